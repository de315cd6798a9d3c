"""The text of `nit --help` and `nit --version`, built from the command table alone.

Both are answered without importing click or any command module (see
`cli.main.main`'s fast path), because they are what a person runs first and
what shell prompts and scripts run most: they must start as fast as Python
does. The click group prints the same text for `nit -C DIR --help`, so there
is one overview, whichever way it is asked for.
"""

from __future__ import annotations

import os
import sys

from numbers_cli import __version__
from numbers_cli.cli.commands import GROUPS, TABLE

DESCRIPTION = "nit: git for digital-media provenance (Numbers Protocol)."

#: The global options, as `nit --help` lists them (the click group defines them).
GLOBAL_OPTIONS: tuple[tuple[str, str], ...] = (
    ("-C DIR", "Run as if nit was started in DIR."),
    ("-v, --verbose", "Show tracebacks of errors."),
    ("--no-pager", "Never page long output (log, show, diff)."),
    ("--version", "Show the version and exit."),
    ("-h, --help", "Show this message and exit."),
)

USAGE = "Usage: nit [OPTIONS] COMMAND [ARGS]..."

MORE = "`nit help COMMAND` (or `nit COMMAND --help`) shows a command's options and examples."


def version_text() -> str:
    return f"nit, version {__version__}"


def _width() -> int:
    """Wrap at the terminal's width (60..100 columns), 80 when not a terminal."""
    try:
        columns = os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 80
    return max(60, min(columns, 100))


def _rows(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Two columns, the second wrapped under itself (never cut short)."""
    import textwrap

    first = max(len(left) for left, _ in rows) + 2
    lines = []
    for left, text in rows:
        wrapped = textwrap.wrap(text, width=max(20, width - 2 - first)) or [""]
        lines.append(f"  {left:<{first}}{wrapped[0]}")
        lines.extend(" " * (2 + first) + more for more in wrapped[1:])
    return lines


def grouped_commands(extra: dict[str, tuple[str, str]] | None = None) -> dict[str, list[str]]:
    """Group name → command names, groups in `GROUPS` order, then any other group."""
    groups: dict[str, list[str]] = {name: [] for name in GROUPS}
    for name, (_, group, _) in TABLE.items():
        groups.setdefault(group, []).append(name)
    for name, (group, _) in (extra or {}).items():
        groups.setdefault(group, []).append(name)
    return {group: names for group, names in groups.items() if names}


def render(exit_codes: str, extra: dict[str, tuple[str, str]] | None = None) -> str:
    """The whole of `nit --help`. `extra`: commands not in the table (name → group, summary)."""
    width = _width()
    summaries = {name: summary for name, (_, _, summary) in TABLE.items()}
    summaries.update({name: summary for name, (_, summary) in (extra or {}).items()})
    out = [USAGE, "", f"  {DESCRIPTION}", "", "Options:"]
    out += _rows(list(GLOBAL_OPTIONS), width)
    groups = grouped_commands(extra)
    name_width = max(len(name) for names in groups.values() for name in names)
    for group, names in groups.items():
        out += ["", f"{GROUPS.get(group, group.capitalize())}:"]
        rows = [(name.ljust(name_width), summaries[name]) for name in names]
        out += _rows(rows, width)
    out += ["", exit_codes.rstrip("\n"), "", MORE]
    return "\n".join(out) + "\n"
