"""One writer at a time.

The lock is an `flock` on `.numbers/lock`: the kernel drops it when the holder
dies, even by SIGKILL, so there are no stale locks to clean up by hand. It
serialises whole commands (an add, a commit, a push's recording), so a second
writer is told at once who is busy instead of waiting inside the store;
all-or-nothing updates are the store's own transactions (`repo.store`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from numbers_cli.errors import RepositoryLocked
from numbers_cli.fsio import flocked


def exclusive(lock_path: Path, timeout: float) -> contextlib.AbstractContextManager[None]:
    """The repository's write lock (and push lock): RepositoryLocked after `timeout` s."""

    def busy(holder: str) -> RepositoryLocked:
        what = "pushing from" if lock_path.name == "push.lock" else "writing to"
        return RepositoryLocked(
            f"another nit process (pid {holder}) is {what} this repository",
            hint="wait for it to finish, then run the command again",
        )

    return flocked(lock_path, timeout, busy)
