"""JSON read from outside nit (a node's reply, a gateway's document, a file): nesting bounded.

Why not plain `json.loads`: its C parser recurses once per `[` or `{`, guarded
only by Python's recursion limit. py_ecc (imported by eth-account) raises that
limit to 100,000 at import, and from then on a reply of 100,000 `[` overflows
the C stack: a segfault, not an error. nit restores the limit after that import
(wallet.eth_account_import), but a limit is process-wide state any library may
change again; counting the nesting before parsing does not depend on it.

`loads` is `json.loads` (same values, same ValueError family for bad input)
that refuses nesting deeper than `MAX_DEPTH` with `JsonTooDeep`, a
`json.JSONDecodeError`, so every caller's existing `except ValueError` turns it
into its one-line error. No JSON nit reads nests past a few dozen levels.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

__all__ = ["MAX_DEPTH", "JsonTooDeep", "loads", "too_deep"]

#: Deepest nesting accepted. Well under what the C parser survives at Python's
#: default recursion limit (1,000, minus the frames of the caller).
MAX_DEPTH = 512

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
# '[' and '{' become +1, ']' and '}' become -1 (0xFF read as a signed byte).
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


class JsonTooDeep(json.JSONDecodeError):
    """JSON nested deeper than `MAX_DEPTH`: refused before the parser recurses into it."""

    def __init__(self, limit: int) -> None:
        ValueError.__init__(self, f"JSON nested deeper than {limit} levels")
        self.msg = f"nested deeper than {limit} levels"
        self.doc = ""
        self.pos = self.lineno = self.colno = 0


def too_deep(data: str | bytes | bytearray, limit: int = MAX_DEPTH) -> bool:
    """True when `data`, read as JSON, nests arrays/objects deeper than `limit`.

    Fast for the usual document: fewer brackets in all than `limit` settles it
    with two counts. Otherwise strings are cut out (a bracket in a string is
    text) and the running depth of the remaining brackets is measured, each
    step at C speed. Invalid JSON may be over-counted, never under-counted
    before the point where the parser itself stops.
    """
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= limit:
            return False
        raw = data.encode("utf-8", "surrogatepass")
    else:
        raw = bytes(data)
        if raw.count(b"[") + raw.count(b"{") <= limit:
            return False
        encoding = json.detect_encoding(raw)
        if encoding != "utf-8":  # UTF-16/32: brackets are not single bytes there
            raw = raw.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
    if b"\\" in raw:  # escapes: `\\` pairs first, as a parser reads them, then `\"`
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Only brackets and quotes matter now; every quote left opens or closes a string,
    # so every other piece between quotes is outside the strings.
    outside = b"".join(raw.translate(None, _NOT_STRUCTURE).split(b'"')[0::2])
    steps = outside.translate(_STEPS)
    return max(itertools.accumulate(memoryview(steps).cast("b")), default=0) > limit


def loads(data: str | bytes | bytearray, limit: int = MAX_DEPTH) -> Any:
    """`json.loads(data)`, refusing nesting deeper than `limit` (JsonTooDeep)."""
    if too_deep(data, limit):
        raise JsonTooDeep(limit)
    try:
        return json.loads(data)
    except RecursionError:  # the caller was itself deep in the stack already
        raise JsonTooDeep(limit) from None
