"""nit's rich Console: the one for people's output (`Env.out`, `Env.err`).

Apart from `cli.env` so that importing the environment does not import rich:
a command that prints only JSON never loads it.
"""

from __future__ import annotations

from rich.console import Console


class NitConsole(Console):
    """A rich Console whose reader may leave: `nit log | head -1` is no error.

    rich's own answer to a closed pipe is `SystemExit(1)`; nit stops writing
    (quietly from then on) and lets `cli.main.run` end the command with exit 0.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError
