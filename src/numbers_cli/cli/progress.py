"""A rich progress bar behind the operations' Progress protocol.

Shown on a terminal only, and only for work big enough to wait for: scripts and
CI logs get no spinner noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numbers_cli.ops.progress import NoProgress
from numbers_cli.ops.progress import Progress as ProgressProtocol

if TYPE_CHECKING:  # rich.progress is imported when a bar is shown, not by every command
    from rich.console import Console
    from rich.progress import Progress

    from numbers_cli.cli.env import Env

MIN_BYTES = 32 * 1024 * 1024
#: Counted work (commits) gets a bar from this many items on.
MIN_ITEMS = 20


class BarProgress:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._bar: Progress | None = None
        self._task: int | None = None

    def start(self, label: str, total: int, unit: str = "bytes") -> None:
        self.done()
        if total < (MIN_BYTES if unit == "bytes" else MIN_ITEMS):
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        amounts = (
            [DownloadColumn(binary_units=True), TransferSpeedColumn()]
            if unit == "bytes"
            else [MofNCompleteColumn(), TextColumn(unit)]
        )
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            *amounts,
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, amount: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_for(console: Console, enabled: bool = True) -> ProgressProtocol:
    if enabled and console.is_terminal:
        return BarProgress(console)
    return NoProgress()


def progress_to(env: Env, enabled: bool = True) -> ProgressProtocol:
    """`progress_for(env.err)`, without making the console (importing rich) when no bar
    can be shown: progress off, or stderr no terminal."""
    if enabled and env.is_terminal(err=True):
        return progress_for(env.err)
    return NoProgress()
