"""One link of the chain of trust, checked: its name, whether it held, why, and its exit code.

`nit verify`, `verify --remote`, `nit verify` of a stamp or an attestation
and `nit proof verify` all report their verdicts as these lines, so a script
reads one JSON shape (`check`, `ok`, `detail`, `exitCode`) whichever command
it ran. It lives apart from `ops.verify` so that an offline `nit proof
verify` does not import the file-verifying operation to get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import ExitCode

__all__ = ["Check"]


@dataclass(frozen=True)
class Check:
    """A verdict line: `code` is what the command exits with when it failed."""

    name: str
    ok: bool
    detail: str
    code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "exitCode": 0 if self.ok else int(self.code),  # what this check makes verify exit with
        }
