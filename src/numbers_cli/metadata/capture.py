"""What Exif tags say about a capture: when, where, and with which camera.

Pure functions over exifread's tag mapping. Each returns its value and a list
of problems (short phrases, no file name); the caller turns them into
warnings. Values that end up in a signed AssetTree must be right or absent,
so anything implausible is dropped with a problem rather than guessed at.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # fractions is imported for a GPS position only, not by every `nit add`
    from fractions import Fraction

# (date tag, offset tags to try in order): the Exif 2.31 pairing of each date
# with its own offset, then the general OffsetTime, which cameras that record
# only one offset mean for all three dates.
_DATE_TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DateTimeOriginal", ("OffsetTimeOriginal", "OffsetTime")),
    ("DateTimeDigitized", ("OffsetTimeDigitized", "OffsetTime")),
    ("DateTime", ("OffsetTime",)),
)
# Patterns, not compiled ones: `re` compiles (and caches) them for the first file with
# Exif dates, not at every `nit add`'s start-up.
_DATE = r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})"
_OFFSET = r"([+-])(\d{2}):(\d{2})"
_CAMERA_TAGS = (
    ("make", "Make"),
    ("model", "Model"),
    ("software", "Software"),
    ("lens", "LensModel"),
)
_MAX_TEXT = 256
_QUOTE_MAX = 40


def capture_time(tags: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    """Unix seconds of the capture, from the first plausible Exif date, and the problems met.

    Tries DateTimeOriginal (shutter press), then DateTimeDigitized, then the
    IFD0 DateTime (last change; still closer to the capture than a copied
    file's mtime). Exif dates are local wall-clock time: the matching
    OffsetTime* tag gives the zone when present; without one the time is
    read as UTC (there is no honest better guess, and a fixed rule keeps
    the result independent of the machine running nit).

    A blank date ("    :  :     :  :  ", the Exif way to say unknown) is
    treated as absent; "0000:00:00 00:00:00", impossible calendar dates and
    years before 1970 are implausible and reported.
    """
    problems: list[str] = []
    for name, offset_names in _DATE_TAGS:
        raw = _text(_find(tags, name))
        if raw is None or not raw.strip(" :\x00"):
            continue
        local = _parse_date(raw)
        if local is None:
            problems.append(f"Exif {name} {_quote(raw)} is not a plausible date")
            continue
        if problems:
            problems[-1] += f"; using {name}"
        zone, offset_problem = _zone(tags, offset_names)
        if offset_problem:
            problems.append(offset_problem)
        return int(local.replace(tzinfo=zone).timestamp()), problems
    return None, problems


def _parse_date(raw: str) -> datetime | None:
    found = re.match(_DATE, raw.strip())
    if found is None:
        return None
    try:
        local = datetime(*(int(part) for part in found.groups()))  # zone set by the caller
    except ValueError:  # month 13, day 0, second 60, ...
        return None
    return local if local.year >= 1970 else None


def _zone(tags: Mapping[str, Any], names: tuple[str, ...]) -> tuple[timezone, str | None]:
    """The zone of the first present offset tag; UTC (and a problem) if it is malformed."""
    for name in names:
        raw = _text(_find(tags, name))
        if raw is None or not raw.strip(" :\x00"):
            continue
        found = re.fullmatch(_OFFSET, raw.strip())
        if found:
            sign, hours, minutes = found.groups()
            delta = timedelta(hours=int(hours), minutes=int(minutes))
            if delta <= timedelta(hours=14) and int(minutes) < 60:
                return timezone(-delta if sign == "-" else delta), None
        return UTC, f"Exif {name} {_quote(raw)} is not a UTC offset; reading the time as UTC"
    return UTC, None


def gps_location(tags: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """GPS position as "lat,lon" in decimal degrees (6 decimals), or None, and the problems met.

    Degrees/minutes/seconds rationals are summed exactly; S and W are
    negative. A position is dropped (with a problem) when a part or its N/S/E/W
    reference is missing or unreadable, when it is off the globe, or when it
    is exactly 0,0, which receivers write when they have no fix.
    """
    lat_tag, lon_tag = _find(tags, "GPSLatitude"), _find(tags, "GPSLongitude")
    if lat_tag is None and lon_tag is None:
        return None, []
    if lat_tag is None or lon_tag is None:
        return None, ["GPS position has only one coordinate; ignored"]
    lat = _degrees(lat_tag, _find(tags, "GPSLatitudeRef"), "NS")
    lon = _degrees(lon_tag, _find(tags, "GPSLongitudeRef"), "EW")
    if lat is None or lon is None:
        return None, ["GPS position unreadable (bad value or missing N/S/E/W); ignored"]
    if abs(lat) > 90 or abs(lon) > 180:
        return None, [f"GPS position {float(lat):.6f},{float(lon):.6f} is impossible; ignored"]
    if lat == 0 and lon == 0:
        return None, ["GPS position 0,0 (a receiver without a fix); ignored"]
    return f"{_round6(lat)},{_round6(lon)}", []


def _degrees(tag: Any, ref_tag: Any, refs: str) -> Fraction | None:
    """Signed degrees from an Exif D/M/S triple (1 to 3 non-negative parts) and its reference."""
    from fractions import Fraction

    ref = (_text(ref_tag) or "").strip(" \x00").upper()
    if ref not in (refs[0], refs[1]):
        return None
    values = getattr(tag, "values", None)
    if not isinstance(values, list) or not 1 <= len(values) <= 3:
        return None
    parts: list[Fraction] = []
    for value in values:
        part = _fraction(value)
        if part is None or part < 0:
            return None
        parts.append(part)
    degrees, minutes, seconds = (*parts, Fraction(0), Fraction(0))[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    return -total if ref == refs[1] else total


def _fraction(value: Any) -> Fraction | None:
    """An Exif rational (or integer) as an exact Fraction; None for x/0 and non-numbers.

    exifread's Ratio is a Fraction that tolerates a zero denominator, so the
    check is on the denominator, never on a float conversion.
    """
    from fractions import Fraction

    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        numerator, denominator = value.numerator, value.denominator
        if not isinstance(numerator, int) or not isinstance(denominator, int) or denominator == 0:
            return None
        return Fraction(numerator, denominator)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    return None


def _round6(value: Fraction) -> str:
    """Six decimals, rounded half away from zero on the exact value; never "-0.000000"."""
    from fractions import Fraction

    scaled = abs(value) * 1_000_000
    micro = math.floor(scaled + Fraction(1, 2))
    sign = "-" if value < 0 and micro else ""
    return f"{sign}{micro // 1_000_000}.{micro % 1_000_000:06d}"


def camera(tags: Mapping[str, Any]) -> dict[str, str]:
    """make / model / software / lens, each only when it has visible text.

    Cameras pad these with spaces and NULs (stripped); a hostile file could
    hide terminal control or bidi characters in them (each becomes a space),
    and the length is capped: the values are shown to users and signed into
    trees.
    """
    found: dict[str, str] = {}
    for key, name in _CAMERA_TAGS:
        raw = _text(_find(tags, name))
        if raw is None:
            continue
        clean = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in raw)
        clean = clean.strip()[:_MAX_TEXT].strip()
        if clean:
            found[key] = clean
    return found


def _find(tags: Mapping[str, Any], name: str) -> Any:
    """A tag by its bare Exif name, wherever exifread filed it (IFD0, Exif IFD or GPS IFD).

    Some writers (DNG, some TIFFs) put Exif-IFD tags into IFD0, so both
    places are looked at; the Exif IFD wins.
    """
    for ifd in ("EXIF", "GPS", "Image"):
        tag = tags.get(f"{ifd} {name}")
        if tag is not None:
            return tag
    return None


def _text(tag: Any) -> str | None:
    """An ASCII tag's text; Latin-1 for bytes exifread could not decode as UTF-8."""
    if tag is None:
        return None
    value = getattr(tag, "values", tag)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, list):  # a text tag mistyped as BYTE
        if not value or not all(isinstance(item, int) and 0 <= item <= 255 for item in value):
            return None
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        return None
    return value.split("\x00", 1)[0]


def _quote(raw: str) -> str:
    """A tag value fit for a one-line warning: escaped, and short."""
    shown = raw if len(raw) <= _QUOTE_MAX else raw[:_QUOTE_MAX] + "…"
    return repr(shown)
