"""Where a devnet's files live, and what its pid file records (see `chain.anvil`).

Kept apart from the code that finds, starts and stops anvil (`chain.anvil`,
which re-exports both names): the layout of one directory and one record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.config import user_data_dir
from numbers_cli.errors import NitError
from numbers_cli.fsio import flocked, make_dirs

__all__ = ["AnvilProcess", "DevnetPaths"]

#: The devnet listens on loopback only: its dev accounts' keys are public knowledge.
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DevnetPaths:
    """Where one devnet's files live (see the module docstring)."""

    root: Path

    @classmethod
    def for_env(cls, env: Mapping[str, str] | None = None) -> DevnetPaths:
        """The devnet of the current user: `<user_data_dir>/devnet` (NIT_DATA_DIR moves it)."""
        return cls(user_data_dir(env) / "devnet")

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def record(self) -> Path:
        return self.root / "anvil.json"

    @property
    def log(self) -> Path:
        return self.root / "anvil.log"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"

    @contextlib.contextmanager
    def locked(self, timeout: float = 120.0) -> Iterator[None]:
        """Hold the devnet's flock, so two `nit devnet up` never start two anvils.

        The kernel drops an flock when its holder dies, so a killed `up` leaves
        no stale lock behind.
        """
        make_dirs(self.root)

        def busy(holder: str) -> NitError:
            return NitError(
                f"another `nit devnet` command (pid {holder}) is still at work",
                hint="wait for it to finish, then run the command again",
            )

        with flocked(self.lock_file, timeout, busy, mode=0o600):
            yield


@dataclass(frozen=True)
class AnvilProcess:
    """A devnet anvil as its pid file records it: the process `up` started (`pid`), leader
    of its own process group `pgid` (None in records of older nit: then only `pid`)."""

    pid: int
    port: int
    binary: str
    started_at: float
    version: str | None = None
    pgid: int | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.port}"
