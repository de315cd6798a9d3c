"""Small rendering pieces shared by commands for people (not for --json)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from numbers_cli.model.names import quote_path as _quote_path

if TYPE_CHECKING:  # rich is imported when something is rendered with it, not for --json
    from rich.text import Text

KIND_STYLE = {"new": "green", "update": "yellow", "derive": "cyan", "unchanged": "bright_black"}


def when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def kind_text(kind: str) -> Text:
    from rich.text import Text

    return Text(*kind_part(kind))


def kind_part(kind: str) -> tuple[str, str]:
    """The kind of a change as a (text, style) part of `Env.line`."""
    return kind, KIND_STYLE.get(kind, "white")


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 commit`, `2 commits` (`many` for irregular plurals): never "commit(s)"."""
    return f"{count} {word if count == 1 else many or word + 's'}"


# File names are quoted by the model's one rule (`model.names`), which the store
# and the operations use for their messages too.
quote_path = _quote_path
