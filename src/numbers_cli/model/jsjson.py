"""Byte-exact `JSON.stringify` of JavaScript, because trees are hashed and signed.

The reference tool hashes `JSON.stringify(tree, null, 2)` and puts
`JSON.stringify(commit)` on chain. Python's `json.dumps` differs in details
that change the hash: float formatting (`1.0` vs `1`, `1e-07` vs `1e-7`),
integers beyond 2**53 (JavaScript numbers are doubles), lone surrogates.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from numbers_cli.errors import InvalidFormat
from numbers_cli.model import json_input

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_MAX_SAFE = 2**53


# Strings with nothing to escape (nearly all: Nids, hex, names) are copied as they are;
# strings without lone surrogates are escaped by json.dumps, which for those writes
# exactly what JSON.stringify does (the short escapes, then \u00xx in lower case).
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*\Z')
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _string(s: str) -> str:
    if _PLAIN.match(s):
        return '"' + s + '"'
    if not _SURROGATE.search(s):
        return json.dumps(s, ensure_ascii=False)
    return _escaped(s)


def _escaped(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            # Python str cannot hold a valid surrogate pair, so any surrogate is lone.
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def js_number(value: float) -> str:
    """Format a number as JavaScript's Number.prototype.toString does."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # what JSON.stringify writes
    if value == 0:
        return "0"
    # repr gives the shortest round-trip digits, the same digits JS picks.
    mantissa, _, exp_text = repr(float(value)).partition("e")
    sign = "-" if mantissa.startswith("-") else ""
    mantissa = mantissa.lstrip("-")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    exponent = int(exp_text or 0) + len(int_part.lstrip("0") or "") - 1
    if not int_part.lstrip("0"):  # 0.000ddd: count the zeros after the point
        stripped = frac_part.lstrip("0")
        exponent = int(exp_text or 0) - (len(frac_part) - len(stripped)) - 1
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), exponent + 1  # JS spec: value = 0.d1d2..dk × 10^n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        body = (
            digits[0]
            + ("." + digits[1:] if k > 1 else "")
            + ("e+" if e >= 0 else "e-")
            + str(abs(e))
        )
    return sign + body


def _scalar(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value) if abs(value) <= _MAX_SAFE else js_number(float(value))
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, str):
        return _string(value)
    return None


def _plain(v: Any) -> bool:
    """True when json.dumps writes `v` exactly as JSON.stringify would: nothing but
    dicts with string keys, lists, strings without lone surrogates, safe integers,
    booleans and null (a float, or an integer past 2**53, is written differently)."""
    if isinstance(v, str):
        return not _SURROGATE.search(v)
    if v is None or v is True or v is False:
        return True
    if isinstance(v, int):
        return abs(v) <= _MAX_SAFE
    if isinstance(v, dict):
        return all(
            isinstance(k, str) and not _SURROGATE.search(k) and _plain(x) for k, x in v.items()
        )
    if isinstance(v, list):
        return all(_plain(x) for x in v)
    return False


def _dumps(value: Any, indent: int | None, depth: int = 0) -> str:
    """json.dumps of a `_plain` value, as JSON.stringify writes it at `depth` levels
    of nesting (a JSON string holds no raw newline, so re-indenting is safe)."""
    if indent:
        text = json.dumps(value, ensure_ascii=False, indent=indent, separators=(",", ": "))
        return text.replace("\n", "\n" + " " * (indent * depth)) if depth else text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def stringify(value: Any, indent: int | None = None) -> str:
    """`JSON.stringify(value, null, indent)`; `indent=None` is the compact form."""
    if _plain(value):  # the common case, at C speed (trees and commits of nit's own)
        return _dumps(value, indent)

    def walk(v: Any, depth: int) -> str:
        scalar = _scalar(v)
        if scalar is not None:
            return scalar
        if _plain(v):  # a plain part of a value that is not (one float elsewhere): at C speed
            return _dumps(v, indent, depth)
        pad = "\n" + " " * (indent * (depth + 1)) if indent else ""
        end = "\n" + " " * (indent * depth) if indent else ""
        colon = ": " if indent else ":"
        if isinstance(v, Mapping):
            if not v:
                return "{}"
            parts = [pad + _string(str(k)) + colon + walk(x, depth + 1) for k, x in v.items()]
            return "{" + ",".join(parts) + end + "}"
        if isinstance(v, Sequence) and not isinstance(v, bytes | bytearray):
            if not v:
                return "[]"
            return "[" + ",".join(pad + walk(x, depth + 1) for x in v) + end + "]"
        raise InvalidFormat(f"cannot serialize {type(v).__name__} as JSON")

    return walk(value, 0)


def parse(text: str | bytes) -> Any:
    """JSON.parse: objects keep key order (dict), numbers stay ints where integral;
    nesting bounded (model.json_input), as the text may come from anyone."""
    try:
        return json_input.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidFormat(f"invalid JSON: {exc}") from exc
