"""The kill switch behind push_crash.py and market_crash.py: count hooked calls, SIGKILL at one.

A driver script names the calls where its command can die with consequences
(`KillSwitch.wrap`), then runs nit in this process (`KillSwitch.run`). The
command line is the same for every driver:

    python DRIVER.py --kill-at KIND:N:WHEN [--log FILE] -- NIT ARGS...

N counts occurrences of KIND from 1; WHEN is `before` or `after` it. The
process kills itself with SIGKILL, as a power cut or the OOM killer would: no
`finally`, no `atexit`. With --log, one line per occurrence is written (and
flushed) first, so a test can see how far the command got.

Nothing here is in nit itself: the hooks wrap nit's functions from outside.
"""

from __future__ import annotations

import argparse
import os
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any


def sends_transactions(_rpc: Any, calls: Any) -> bool:
    """For `JsonRpc.batch`: the batches that broadcast (carry eth_sendRawTransaction)."""
    return any(method == "eth_sendRawTransaction" for method, _params in calls)


class KillSwitch:
    """The parsed `--kill-at`, the hooks installed so far and the nit arguments."""

    def __init__(self) -> None:
        parser = argparse.ArgumentParser()
        parser.add_argument("--kill-at", default="")
        parser.add_argument("--log", default="")
        parser.add_argument("args", nargs=argparse.REMAINDER)
        opts = parser.parse_args()
        self.args: list[str] = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
        kind, nth, when = opts.kill_at.split(":") if opts.kill_at else ("", "0", "")
        self._kind, self._nth, self._when = kind, int(nth), when
        self._seen: Counter[str] = Counter()
        self._log = open(opts.log, "a", encoding="utf-8") if opts.log else None  # noqa: SIM115

    def wrap(
        self, owner: Any, name: str, kind: str, applies: Callable[..., bool] | None = None
    ) -> None:
        """Count calls of `owner.name` (those `applies` accepts) as occurrences of `kind`."""
        real = getattr(owner, name)

        def hooked(*a: Any, **kw: Any) -> Any:
            if applies is not None and not applies(*a, **kw):
                return real(*a, **kw)
            self._seen[kind] += 1
            number = self._seen[kind]
            if self._log:
                self._log.write(f"{kind} {number}\n")
                self._log.flush()
            hit = kind == self._kind and number == self._nth
            if hit and self._when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*a, **kw)
            if hit and self._when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(owner, name, hooked)

    def run(self) -> None:
        """nit with the arguments after `--`, in this process, through its real entry point."""
        from numbers_cli.cli.main import main as nit_main

        nit_main(self.args)
