"""One writer at a time, and all-or-nothing updates of refs and the index.

The lock is an `flock` on `.numbers/lock`: the kernel drops it when the holder
dies, even by SIGKILL, so there are no stale locks to clean up by hand.

A write that touches several files (a commit moves refs of many assets and
clears the index) is first written whole to `.numbers/journal`, then applied
file by file, then the journal is removed. Whoever takes the lock next and finds
a journal applies it again (every step is an idempotent overwrite): a crash at
any point leaves either none of the change visible or, once replayed, all of it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from numbers_cli.errors import RepositoryLocked
from numbers_cli.fsio import atomic_write, flocked


def exclusive(lock_path: Path, timeout: float) -> contextlib.AbstractContextManager[None]:
    """The repository's write lock (and push lock): RepositoryLocked after `timeout` s."""

    def busy(holder: str) -> RepositoryLocked:
        what = "pushing from" if lock_path.name == "push.lock" else "writing to"
        return RepositoryLocked(
            f"another nit process (pid {holder}) is {what} this repository",
            hint="wait for it to finish, then run the command again",
        )

    return flocked(lock_path, timeout, busy)


class Journal:
    """Pending multi-file writes: {relative path: new text or None for delete}."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "journal"

    def write(self, changes: dict[str, str | None]) -> None:
        atomic_write(self.path, json.dumps(changes, ensure_ascii=False).encode("utf-8"))

    def replay(self) -> bool:
        """Apply a journal left by an interrupted writer; True if there was one."""
        try:
            changes = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return False
        except ValueError:
            # A journal is only ever renamed into place whole; an unreadable one
            # was never committed to, so dropping it loses nothing.
            self.path.unlink(missing_ok=True)
            return False
        self.apply(changes)
        return True

    def apply(self, changes: dict[str, str | None]) -> None:
        for rel, text in changes.items():
            target = self.root / rel
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, text.encode("utf-8"))
        self.path.unlink(missing_ok=True)
