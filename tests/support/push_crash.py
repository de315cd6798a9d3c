"""Run `nit ARGS` in this process and SIGKILL it at a chosen point of a push.

    python push_crash.py --kill-at KIND:N:WHEN [--log FILE] -- push --no-ipfs

KIND is where a push can die with consequences:
  journal  a batch of signed transactions is written to the push journal
  send     a JSON-RPC batch carrying eth_sendRawTransaction goes to the node
  record   mined commits are written to refs/remotes
N counts occurrences of that KIND from 1; WHEN is `before` or `after` it.
The process kills itself with SIGKILL, as a power cut or the OOM killer would:
no `finally`, no `atexit`. With --log, one line per occurrence is written
(and flushed) first, so a test can see how far the push got.

Nothing here is in nit itself: the hooks wrap nit's functions from outside.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections import Counter
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-at", default="")
    parser.add_argument("--log", default="")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    kind_at, nth, when = opts.kill_at.split(":") if opts.kill_at else ("", "0", "")
    nth_at = int(nth)

    from numbers_cli.chain.rpc import JsonRpc
    from numbers_cli.cli.main import main as nit_main
    from numbers_cli.ops import push
    from numbers_cli.repo.push_journal import PushJournal

    seen: Counter[str] = Counter()
    log = open(opts.log, "a", encoding="utf-8") if opts.log else None  # noqa: SIM115

    def wrap(owner: Any, name: str, kind: str, applies: Any = None) -> None:
        real = getattr(owner, name)

        def hooked(*a: Any, **kw: Any) -> Any:
            if applies is not None and not applies(*a, **kw):
                return real(*a, **kw)
            seen[kind] += 1
            number = seen[kind]
            if log:
                log.write(f"{kind} {number}\n")
                log.flush()
            hit = kind == kind_at and number == nth_at
            if hit and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*a, **kw)
            if hit and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(owner, name, hooked)

    def sends(_self: Any, calls: Any) -> bool:
        return any(method == "eth_sendRawTransaction" for method, _params in calls)

    wrap(PushJournal, "append", "journal")
    wrap(JsonRpc, "batch", "send", sends)
    wrap(push.Recorder, "flush", "record", lambda self: bool(self._pending))
    nit_main(args)


if __name__ == "__main__":
    sys.exit(main())
