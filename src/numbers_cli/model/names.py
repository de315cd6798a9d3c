"""File names as people and JSON see them.

A file name is bytes; Python hands them over as text with undecodable bytes
kept as lone surrogates (`os.fsdecode`, "surrogateescape"). Such a name, or one
with a newline or a control character, cannot be printed or put into JSON as
is. nit does what git does (`core.quotePath=false`): the name is shown in
double quotes with C escapes (`"caf\\351.jpg"`, `"a\\nb"`), and left alone
otherwise. In JSON a name is itself (JSON escapes control characters), unless
it holds bytes that are not UTF-8: then it is the quoted form, which is valid
UTF-8 and says exactly which bytes the name has. The bytes themselves are what
nit stores.
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


def quote_path(name: str) -> str:
    """`name` as git prints it: unchanged if plain, else C-quoted in double quotes.

    Control characters (C0, DEL and the C1 range), quotes and backslashes are
    escaped (`"a\\nb.jpg"`); bytes that are not UTF-8 (kept by Python as
    surrogate escapes) become octal escapes of themselves (`"caf\\351.jpg"`).
    Other names, accented letters included, are printed as they are.
    """
    out: list[str] = []
    quoted = False
    for ch in name:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\{code:03o}")
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\{code - 0xDC00:03o}")
        elif 0x80 <= code < 0xA0:  # C1 controls: the octal of their UTF-8 bytes
            out.append("".join(f"\\{byte:03o}" for byte in ch.encode("utf-8")))
        else:
            out.append(ch)
            continue
        quoted = True
    return f'"{"".join(out)}"' if quoted else name


def json_path(name: str) -> str:
    """`name` for JSON: itself when it is text (JSON escapes control characters),
    git-quoted when it holds bytes that are not UTF-8 (JSON text must be Unicode)."""
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in name):
        return quote_path(name)
    return name


def path_bytes(name: str) -> bytes:
    """The file name's own bytes (what the store keeps)."""
    return os.fsencode(name)


def path_text(raw: bytes) -> str:
    """A stored name back as Python text (undecodable bytes as surrogates)."""
    return os.fsdecode(raw)
