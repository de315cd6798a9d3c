"""File names as people and JSON see them.

A file name is bytes; Python hands them over as text with undecodable bytes
kept as lone surrogates (`os.fsdecode`, "surrogateescape"). Such a name, or one
with a newline or a control character, cannot be printed or put into JSON as
is. nit does what git does (`core.quotePath=false`): the name is shown in
double quotes with C escapes (`"caf\\351.jpg"`, `"a\\nb"`), and left alone
otherwise. The quoted form is valid UTF-8 and valid JSON, and it says exactly
which bytes the name has; the bytes themselves are what nit stores.
"""

from __future__ import annotations

import os

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def _needs_quoting(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or code == 0x7F or ch in '"\\' or 0xDC80 <= code <= 0xDCFF


def quote_path(name: str) -> str:
    """`name` as git prints it: unchanged if plain, else C-quoted in double quotes."""
    if not any(_needs_quoting(ch) for ch in name):
        return name
    out = []
    for ch in name:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\{ord(ch) - 0xDC00:03o}")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def path_bytes(name: str) -> bytes:
    """The file name's own bytes (what the store keeps)."""
    return os.fsencode(name)


def path_text(raw: bytes) -> str:
    """A stored name back as Python text (undecodable bytes as surrogates)."""
    return os.fsdecode(raw)
