"""Run `nit ARGS` in this process and SIGKILL it at a chosen step of the store rebuild.

    python repair_crash.py --kill-at KIND:N:WHEN [--log FILE] -- fsck --repair

KIND is a step of `repo.maintenance.rebuild_store` / `finish_rebuild` that
leaves something on disk:
  create   a new, empty store is made
  reindex  one pack's blocks are indexed into it
  rows     the saved rows of one table are written into it
  note     a file is written atomically (the build's `aside` note)
  replace  a file is renamed (the damaged store's files aside, the new one in)
  dirsync  a directory is fsync'ed
The rest (N, WHEN, --log) is kill_switch.py's.
"""

from __future__ import annotations

import os
import sys

from kill_switch import KillSwitch


def main() -> None:
    from numbers_cli.repo import maintenance
    from numbers_cli.repo.store import Store

    switch = KillSwitch()
    switch.wrap(Store, "create", "create")
    switch.wrap(maintenance, "reindex", "reindex")
    switch.wrap(Store, "executemany", "rows")
    switch.wrap(maintenance, "atomic_write", "note")
    switch.wrap(os, "replace", "replace")
    switch.wrap(maintenance, "fsync_dir", "dirsync")
    switch.run()


if __name__ == "__main__":
    sys.exit(main())
