"""Plain output: when rich would write a line unchanged, write it without rich.

Importing rich's console and text costs ~12 ms, about a tenth of a small
`nit add` (issue 9). Styles reach a reader only on a terminal; into a pipe or
a file rich writes the bare characters. So a styled line for people is
written by hand when the stream is no terminal (decided here as rich decides
it) and its text holds none of the characters rich would change; otherwise it
goes through rich, as before. The bytes a script reads are the same either way
(`tests/cli/test_plain_output.py` holds them to rich's).
"""

from __future__ import annotations

import os
from typing import TextIO

#: What rich's Text rewrites on output: tabs (expanded to spaces) and the
#: control codes it strips (BEL, BS, VT, FF, CR: `rich.control.STRIP_CONTROL_CODES`).
_REWRITTEN = frozenset("\t\a\b\v\f\r")


def is_terminal(stream: TextIO) -> bool:
    """rich's `Console.is_terminal` for `stream`, without importing rich.

    TTY_COMPATIBLE=0/1 decides, else FORCE_COLOR (set and non-empty: a
    terminal), else whether the stream is a TTY.
    """
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # a closed stream (rich says False too)
        return False


def unchanged_by_rich(text: str) -> bool:
    """True when rich would write `text` (a Text's characters) exactly as it is."""
    return _REWRITTEN.isdisjoint(text)
