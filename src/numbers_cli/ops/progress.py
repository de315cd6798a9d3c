"""How long-running operations report progress without knowing who listens."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """`unit` is "bytes" (files) or a plural noun such as "commits"."""

    def start(self, label: str, total: int, unit: str = "bytes") -> None: ...
    def advance(self, amount: int) -> None: ...
    def done(self) -> None: ...


class NoProgress:
    """The default for Python callers and scripts."""

    def start(self, label: str, total: int, unit: str = "bytes") -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def done(self) -> None:
        pass
