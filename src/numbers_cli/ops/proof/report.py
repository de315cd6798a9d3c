"""The verdicts of `nit proof verify`: one `ProofCheck` per link, gathered in a
`ProofReport` (its exit code ranked as `nit verify` ranks them) by a `Checker`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import ExitCode
from numbers_cli.ops.link_check import Check
from numbers_cli.ops.signatures import worst

__all__ = ["Checker", "ProofCheck", "ProofReport"]


@dataclass(frozen=True)
class ProofCheck(Check):
    """A `Check` of one part of a bundle, with the part it is about."""

    subject: str = field(kw_only=True)  # "content", "commit #3", "block 42"

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, **super().to_json()}


@dataclass
class ProofReport:
    bundle: str
    asset: str
    network: dict[str, Any]
    commits: int
    checks: list[ProofCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[ProofCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def exit_code(self) -> ExitCode:
        codes = [c.code for c in self.failed]
        found = worst(codes)  # `nit verify`'s order for the record links
        return found if found != ExitCode.OK or not codes else ExitCode.PROOF

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "asset": self.asset,
            "network": self.network,
            "commits": self.commits,
            "ok": self.ok,
            "exitCode": int(self.exit_code),
            "checks": [c.to_json() for c in self.checks],
        }


class Checker:
    """Collects the verdicts of one bundle: `add` records one and says whether it held."""

    def __init__(self, report: ProofReport) -> None:
        self.report = report

    def add(self, subject: str, name: str, ok: bool, good: str, bad: str, code: ExitCode) -> bool:
        self.report.checks.append(ProofCheck(name, ok, good if ok else bad, code, subject=subject))
        return ok
