"""Run `nit ARGS` in this process and SIGKILL it at a chosen step: a crash on demand.

    python crash.py --trace FILE [--kill-at N --when before|after] [--kinds fs,block] -- ARGS

Steps are calls that change what is on disk: `os.replace`, `os.rename`,
`os.link`, `os.unlink`, `os.mkdir`, `os.rmdir` ("fs"), the writes of blocks into
a pack (`PackFile.__call__` and `PackFile.leaves`, a buffer's leaves at once: a
file's pack or a transaction's batch; and `BatchPack.add_many`, several small
blocks in one write: "block"),
and every statement that writes to the store, BEGIN and COMMIT included
(`Store.execute`, `Store.executemany`, `Store.commit`, "db"). They are numbered
from 1 in the order the command makes them. Without `--kill-at` the command runs to the end
and FILE receives one JSON line per step (kind, call, path) so a test can count
them; with it, the process kills itself with SIGKILL just before (or just after)
step N, the way a power cut or the OOM killer would: no `finally`, no `atexit`.

Nothing here is in nit itself: the hooks wrap library functions from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

FS_CALLS = ("replace", "rename", "link", "unlink", "mkdir", "rmdir")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trace", required=True)
    parser.add_argument("--kill-at", type=int, default=0)
    parser.add_argument("--when", choices=("before", "after"), default="before")
    parser.add_argument("--kinds", default="fs")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args

    from numbers_cli.cli.main import main as nit_main
    from numbers_cli.repo.packs import BatchPack, PackFile
    from numbers_cli.repo.store import Store

    steps: list[dict[str, Any]] = []

    def wrap(owner: Any, name: str, kind: str) -> None:
        real = getattr(owner, name)

        def hooked(*a: Any, **kw: Any) -> Any:
            # The file a step touches: a path argument, the pack a block goes to, the SQL.
            if name in ("__call__", "add_many", "leaves"):
                target = a[0]._path
            elif kind == "db":
                target = a[1].split("(")[0][:60] if len(a) > 1 else "COMMIT"
            else:
                target = a[0] if a else None
            steps.append({"kind": kind, "call": name, "path": str(target)})
            number = len(steps)
            if number == opts.kill_at and opts.when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            try:
                return real(*a, **kw)
            finally:  # also after a call that raised (mkdir of an existing directory)
                if number == opts.kill_at and opts.when == "after":
                    os.kill(os.getpid(), signal.SIGKILL)

        setattr(owner, name, hooked)

    kinds = set(opts.kinds.split(","))
    if "fs" in kinds:
        for name in FS_CALLS:
            wrap(os, name, "fs")
    if "block" in kinds:
        wrap(PackFile, "__call__", "block")
        wrap(PackFile, "leaves", "block")
        wrap(BatchPack, "add_many", "block")  # many small blocks in one write (nit stamp)
    if "db" in kinds:
        for name in ("execute", "executemany", "commit"):
            wrap(Store, name, "db")

    try:
        nit_main(args)
    finally:
        with open(opts.trace, "w", encoding="utf-8") as out:
            for s in steps:
                out.write(json.dumps(s) + "\n")


if __name__ == "__main__":
    sys.exit(main())
