"""Small rendering pieces shared by commands for people (not for --json)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

KIND_STYLE = {"new": "green", "update": "yellow", "derive": "cyan", "unchanged": "bright_black"}


def when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def kind_text(kind: str) -> Text:
    return Text(kind, style=KIND_STYLE.get(kind, "white"))


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


def quote_path(path: str) -> str:
    """A file name fit for one line of output, quoted the way git quotes it.

    Names with control characters, quotes or backslashes are put in double
    quotes with C escapes (`"a\\nb.jpg"`); bytes that are not UTF-8 (kept by
    Python as surrogate escapes) and C1 controls become octal escapes of their
    bytes (`"caf\\351.jpg"`). Other names, accented letters included, are
    printed as they are (git with `core.quotePath=false`).
    """
    out: list[str] = []
    quoted = False
    for ch in path:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\{code:03o}")
        elif 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape for a byte that is not UTF-8
            out.append(f"\\{code - 0xDC00:03o}")
        elif 0x80 <= code < 0xA0:
            out.append("".join(f"\\{byte:03o}" for byte in ch.encode("utf-8")))
        else:
            out.append(ch)
            continue
        quoted = True
    return f'"{"".join(out)}"' if quoted else path
