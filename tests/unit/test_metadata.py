"""The metadata adapter: what nit learns from a media file (MIME, capture time, GPS, camera).

Real camera files from tests/fixtures/media (read-only; copied before
any change) pin the values; the expected capture times and positions were
cross-checked by reading the raw Exif with exifread by hand and converting
with `calendar.timegm` / D + M/60 + S/3600. Broken and hostile variants are
built in tmp_path, either by cutting a real file or with a small Exif writer.
"""

from __future__ import annotations

import calendar
import os
import random
import struct
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from numbers_cli.errors import NitError, NotFound
from numbers_cli.metadata import FileMetadata, read_metadata, sniff_mime

REPO_ROOT = Path(__file__).resolve().parents[2]
MEDIA = REPO_ROOT / "tests" / "fixtures" / "media"


def utc(*parts: int) -> int:
    """Unix seconds of a UTC wall-clock time."""
    return calendar.timegm((*parts, 0, 0, 0))


def mtime_of(path: Path) -> int:
    return path.stat().st_mtime_ns // 1_000_000_000


# What each fixture yields: mime, capture time (None = the file's mtime),
# location, camera. None of them gives a warning (see the tests below for
# why corrupted.jpg and invalid-*.jpg do not).
GIMP = {"software": "GIMP 2.4.5"}
COOLPIX = {"make": "NIKON", "model": "COOLPIX P6000", "software": "Nikon Transfer 1.1 W"}
EXPECTED: dict[str, tuple[str, int | None, str | None, dict[str, str]]] = {
    "Canon_40D.jpg": (
        "image/jpeg", utc(2008, 5, 30, 15, 56, 1), None,
        {"make": "Canon", "model": "Canon EOS 40D", **GIMP},
    ),
    "Canon_PowerShot_S40.jpg": (
        "image/jpeg", utc(2003, 12, 14, 12, 1, 44), None,
        {"make": "Canon", "model": "Canon PowerShot S40"},
    ),
    "Fujifilm_FinePix_E500.jpg": (
        "image/jpeg", utc(2006, 8, 17, 9, 24, 48), None,
        {"make": "FUJIFILM", "model": "FinePix E500", **GIMP},  # Exif: "FinePix E500   "
    ),
    "Konica_Minolta_DiMAGE_Z3.jpg": (
        "image/jpeg", utc(2005, 3, 10, 15, 10, 48), None,
        {"make": "KONICA MINOLTA", "model": "DiMAGE Z3", **GIMP},
    ),
    "Nikon_D70.jpg": (
        # no DateTimeDigitized in this file; DateTimeOriginal wins over DateTime
        "image/jpeg", utc(2008, 3, 15, 9, 52, 1), None,
        {"make": "NIKON CORPORATION", "model": "NIKON D70", **GIMP},
    ),
    "PaintTool_sample.jpg": ("image/jpeg", None, None, GIMP),  # Exif without any date
    "Pentax_K10D.jpg": (
        "image/jpeg", utc(2008, 5, 4, 16, 47, 24), None,
        {"make": "PENTAX Corporation", "model": "PENTAX K10D", **GIMP},
    ),
    "README.md": ("text/markdown", None, None, {}),
    "Sony_HDR-HC3.jpg": (
        "image/jpeg", utc(2007, 6, 15, 4, 42, 32), None, {"make": "SONY", "model": "HDR-HC3"},
    ),
    "corrupted.jpg": (
        "image/jpeg", utc(2015, 9, 8, 11, 2, 17), None,
        {"make": "OLYMPUS IMAGING CORP.", "model": "u1020,S1020", "software": "Version 1.0"},
    ),
    "exif-org-canon-ixus.jpg": (
        "image/jpeg", utc(2001, 6, 9, 15, 17, 32), None,
        {"make": "Canon", "model": "Canon DIGITAL IXUS"},
    ),
    "exif-org-nikon-e950.jpg": (
        "image/jpeg", utc(2001, 4, 6, 11, 51, 40), None,
        {"make": "NIKON", "model": "E950", "software": "v981-79"},
    ),
    # GPSLatitude [43, 28, 1407/500] N, GPSLongitude [11, 53, 645599999/100000000] E
    "gps-DSCN0010.jpg": (
        "image/jpeg", utc(2008, 10, 22, 16, 28, 39), "43.467448,11.885127", COOLPIX,
    ),
    "gps-DSCN0012.jpg": (
        "image/jpeg", utc(2008, 10, 22, 16, 29, 49), "43.467157,11.885395", COOLPIX,
    ),
    "gps-DSCN0021.jpg": (
        "image/jpeg", utc(2008, 10, 22, 16, 38, 20), "43.467082,11.884538", COOLPIX,
    ),
    "gps-DSCN0025.jpg": (
        "image/jpeg", utc(2008, 10, 22, 16, 43, 21), "43.468365,11.881635", COOLPIX,
    ),
    # GPSLongitude [3, 43, 2911/100] W: west is negative
    "hdr-iphone_hdr_YES.jpg": (
        "image/jpeg", utc(2015, 4, 10, 20, 12, 23), "40.446972,-3.724753",
        {
            "make": "Apple", "model": "iPhone 6", "software": "8.3",
            "lens": "iPhone 6 back camera 4.15mm f/2.2",
        },
    ),
    # DateTimeOriginal 2021:04:11 15:47:53 with OffsetTimeOriginal -05:00
    "heic-IMG_5195.HEIC": (
        "image/heic", utc(2021, 4, 11, 20, 47, 53), "39.051344,-94.288772",
        {
            "make": "Apple", "model": "iPhone 11 Pro Max", "software": "14.4.2",
            "lens": "iPhone 11 Pro Max back triple camera 4.25mm f/1.8",
        },
    ),
    "invalid-image00971.jpg": ("image/jpeg", None, None, {}),
    "invalid-image01088.jpg": ("image/jpeg", None, None, {}),
    "invalid-image01137.jpg": ("image/jpeg", None, None, {}),
    # only IFD0 DateTime (2008:07:31 10:50:00) and Software
    "long_description.jpg": ("image/jpeg", utc(2008, 7, 31, 10, 50, 0), None, GIMP),
    "mobile-jolla.jpg": (
        "image/jpeg", utc(2014, 9, 21, 16, 0, 56), None, {"make": "Jolla", "model": "Jolla"},
    ),
    "tiff-BSG1.tiff": ("image/tiff", None, None, {}),  # IFD0 has image structure tags only
    "xmp-BlueSquare.jpg": (
        "image/jpeg", utc(2005, 9, 7, 15, 9, 51), None,
        {"software": "Adobe Photoshop CS2 Macintosh"},
    ),
    # Despite its name, this file has an Exif APP1 segment after a 26 KB XMP
    # segment (exifread alone misses it); its IFD0 DateTime is 2014:09:22 10:56:35.
    "xmp-no_exif.jpg": (
        "image/jpeg", utc(2014, 9, 22, 10, 56, 35), None,
        {"software": "Adobe Photoshop CC (Macintosh)"},
    ),
}  # fmt: skip


@pytest.fixture(scope="session")
def media() -> Path:
    """The real-media fixtures shipped in tests/fixtures/media (always present)."""
    assert MEDIA.is_dir(), f"media fixtures missing at {MEDIA}"
    return MEDIA


def test_the_expected_table_covers_every_fixture(media: Path) -> None:
    assert sorted(p.name for p in media.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_yields_its_metadata(media: Path, name: str) -> None:
    path = media / name
    mime, created, location, camera = EXPECTED[name]

    meta = read_metadata(path)

    assert isinstance(meta, FileMetadata)
    assert meta.mime == mime
    assert sniff_mime(path) == mime
    if created is None:
        assert (meta.created, meta.created_source) == (mtime_of(path), "mtime")
    else:
        assert (meta.created, meta.created_source) == (created, "exif")
    assert meta.location == location
    assert meta.camera == camera
    assert meta.warnings == ()


def test_canon_40d_capture_time_in_unix_seconds(media: Path) -> None:
    # DateTimeOriginal "2008:05:30 15:56:01", no offset tag: read as UTC.
    assert read_metadata(media / "Canon_40D.jpg").created == 1212162961


def test_offset_time_moves_the_capture_time_to_utc(media: Path) -> None:
    meta = read_metadata(media / "heic-IMG_5195.HEIC")  # 15:47:53 at -05:00
    assert meta.created == 1618174073 == utc(2021, 4, 11, 20, 47, 53)


def test_corrupted_and_invalid_fixtures_fail_soft_and_are_what_their_bytes_say(
    media: Path,
) -> None:
    # corrupted.jpg: the damage is in the image data (stray markers after the
    # scan start); its Exif segment is intact and is used.
    assert read_metadata(media / "corrupted.jpg").created_source == "exif"
    # invalid-*.jpg: an XMP packet and no Exif segment at all: nothing to warn about.
    for name in ("invalid-image00971.jpg", "invalid-image01088.jpg", "invalid-image01137.jpg"):
        meta = read_metadata(media / name)
        assert (meta.created_source, meta.warnings) == ("mtime", ())


# --- broken copies of real files ---------------------------------------------------------------


def copy(media: Path, name: str, tmp_path: Path, data: bytes | None = None) -> Path:
    target = tmp_path / name
    target.write_bytes((media / name).read_bytes() if data is None else data)
    return target


@pytest.mark.parametrize("keep", [30, 100, 300, 2000])
def test_truncated_exif_warns_and_still_returns(media: Path, tmp_path: Path, keep: int) -> None:
    whole = (media / "Canon_40D.jpg").read_bytes()  # its Exif APP1 holds 2,468 bytes of TIFF
    path = copy(media, "Canon_40D.jpg", tmp_path, whole[:keep])

    meta = read_metadata(path)

    assert meta.mime == "image/jpeg"
    assert len(meta.warnings) == 1
    assert meta.warnings[0].startswith("Canon_40D.jpg: Exif data")
    assert f"{keep - 30} of 2468 bytes" in meta.warnings[0]
    if meta.created_source == "mtime":
        assert meta.created == mtime_of(path)


def test_cut_before_the_tiff_header_falls_back_to_file_time(media: Path, tmp_path: Path) -> None:
    whole = (media / "Canon_40D.jpg").read_bytes()
    path = copy(media, "Canon_40D.jpg", tmp_path, whole[:30])

    meta = read_metadata(path)

    assert (meta.created, meta.created_source) == (mtime_of(path), "mtime")
    assert meta.warnings == (
        "Canon_40D.jpg: Exif data unreadable (truncated: 0 of 2468 bytes); using file time",
    )


def test_garbage_where_the_tiff_header_should_be(media: Path, tmp_path: Path) -> None:
    data = (
        (media / "Canon_40D.jpg")
        .read_bytes()
        .replace(b"Exif\x00\x00II*\x00", b"Exif\x00\x00XX*\x00")
    )
    path = copy(media, "Canon_40D.jpg", tmp_path, data)

    meta = read_metadata(path)

    assert meta.created_source == "mtime"
    assert meta.camera == {}
    assert meta.warnings == (
        "Canon_40D.jpg: Exif data unreadable (no TIFF header in the Exif segment); using file time",
    )


def test_zeroed_capture_times_fall_back_to_file_time(media: Path, tmp_path: Path) -> None:
    data = (media / "Canon_40D.jpg").read_bytes()
    for stamp in (b"2008:05:30 15:56:01", b"2008:07:31 10:38:11"):
        data = data.replace(stamp, b"0000:00:00 00:00:00")
    path = copy(media, "Canon_40D.jpg", tmp_path, data)

    meta = read_metadata(path)

    assert (meta.created, meta.created_source) == (mtime_of(path), "mtime")
    assert meta.warnings == (
        "Canon_40D.jpg: Exif DateTimeOriginal '0000:00:00 00:00:00' is not a plausible date",
        "Canon_40D.jpg: Exif DateTimeDigitized '0000:00:00 00:00:00' is not a plausible date",
        "Canon_40D.jpg: Exif DateTime '0000:00:00 00:00:00' is not a plausible date;"
        " using file time",
    )
    assert meta.camera["model"] == "Canon EOS 40D"  # the rest of the Exif is still used


def test_every_fixture_survives_random_damage(media: Path, tmp_path: Path) -> None:
    """Seeded fuzzing of the metadata regions: no exception, no hang, always a result."""
    rng = random.Random(20240611)
    sources = [p for p in sorted(media.iterdir()) if p.stat().st_size < 400_000]
    target = tmp_path / "damaged"
    started, warned = time.monotonic(), 0
    for _ in range(300):
        source = rng.choice(sources)
        data = bytearray(source.read_bytes())
        end = min(len(data), 70_000)
        for _ in range(rng.randint(1, 16)):
            width = rng.choice((1, 2, 4))
            at = rng.randrange(2, end - width)
            data[at : at + width] = rng.randbytes(width)
        if rng.random() < 0.2:
            del data[rng.randrange(2, end) :]
        target.with_suffix(source.suffix).write_bytes(data)

        meta = read_metadata(target.with_suffix(source.suffix))

        assert meta.created_source in ("exif", "mtime")
        assert all(w.startswith("damaged") for w in meta.warnings)
        warned += bool(meta.warnings)
    assert warned > 10  # the damage did reach the metadata
    assert time.monotonic() - started < 30


def test_nothing_carries_over_from_the_previous_heic(media: Path, tmp_path: Path) -> None:
    # exifread keeps parsed HEIC boxes in a class-level dict; a HEIC without an
    # item-info box must not be read with the previous file's.
    data = (media / "heic-IMG_5195.HEIC").read_bytes()
    at = data.index(b"iinf")
    no_item_info = copy(media, "heic-IMG_5195.HEIC", tmp_path, data[:at] + b"xxxx" + data[at + 4 :])

    assert read_metadata(media / "heic-IMG_5195.HEIC").created_source == "exif"
    meta = read_metadata(no_item_info)

    assert (meta.mime, meta.created_source, meta.camera) == ("image/heic", "mtime", {})
    assert meta.warnings == (
        "heic-IMG_5195.HEIC: Exif data unreadable (KeyError while parsing); using file time",
    )


# --- Exif written by hand, for the cases no fixture has --------------------------------------

BYTE, ASCII, SHORT, LONG, RATIONAL = 1, 2, 3, 4, 5
Entry = tuple[int, int, object]


def tiff_block(
    ifd0: Sequence[Entry], exif: Sequence[Entry] = (), gps: Sequence[Entry] = ()
) -> bytes:
    """A little-endian TIFF structure: IFD0, then the optional Exif and GPS IFDs, then values."""

    def size(entries: int) -> int:
        return 2 + 12 * entries + 4

    exif_at = 8 + size(len(ifd0) + bool(exif) + bool(gps))
    gps_at = exif_at + (size(len(exif)) if exif else 0)
    data_at = gps_at + (size(len(gps)) if gps else 0)
    ifd0 = [
        *ifd0,
        *([(0x8769, LONG, [exif_at])] if exif else []),
        *([(0x8825, LONG, [gps_at])] if gps else []),
    ]
    out, data = bytearray(b"II*\x00" + struct.pack("<I", 8)), bytearray()
    for entries in (ifd0, exif, gps):
        if not entries:
            continue
        out += struct.pack("<H", len(entries))
        for tag, kind, value in sorted(entries, key=lambda entry: entry[0]):
            raw, count = _encode(kind, value)
            if len(raw) <= 4:
                out += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\x00")
            else:
                out += struct.pack("<HHII", tag, kind, count, data_at + len(data))
                data += raw + b"\x00" * (len(raw) % 2)
        out += b"\x00\x00\x00\x00"
    return bytes(out + data)


def _encode(kind: int, value: object) -> tuple[bytes, int]:
    if kind == ASCII:
        assert isinstance(value, str)
        raw = value.encode("latin-1") + b"\x00"
        return raw, len(raw)
    assert isinstance(value, list)
    if kind == RATIONAL:
        return b"".join(struct.pack("<II", n, d) for n, d in value), len(value)
    fmt = {BYTE: "<B", SHORT: "<H", LONG: "<I"}[kind]
    return b"".join(struct.pack(fmt, v) for v in value), len(value)


def jpeg_with_exif(tiff: bytes) -> bytes:
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + b"\xff\xd9"


def written(
    tmp_path: Path,
    ifd0: Sequence[Entry] = (),
    exif: Sequence[Entry] = (),
    gps: Sequence[Entry] = (),
    name: str = "photo.jpg",
) -> FileMetadata:
    path = tmp_path / name
    path.write_bytes(jpeg_with_exif(tiff_block(ifd0, exif, gps)))
    return read_metadata(path)


def dms(degrees: int, minutes: int, seconds: tuple[int, int]) -> list[tuple[int, int]]:
    return [(degrees, 1), (minutes, 1), seconds]


MAKE = (0x010F, ASCII, "Canon")
DATE_TIME = 0x0132
DATE_ORIGINAL, DATE_DIGITIZED = 0x9003, 0x9004
OFFSET, OFFSET_ORIGINAL = 0x9010, 0x9011


def test_hand_written_exif_is_read_like_a_camera_s(tmp_path: Path) -> None:
    meta = written(
        tmp_path,
        ifd0=[MAKE, (0x0110, ASCII, "EOS R5  "), (0x0131, ASCII, "")],
        exif=[
            (DATE_ORIGINAL, ASCII, "2023:12:31 23:59:59"),
            (OFFSET_ORIGINAL, ASCII, "+09:30"),
            (0xA434, ASCII, "RF24-105mm F4 L IS USM"),
        ],
        gps=[
            (1, ASCII, "S"),
            (2, RATIONAL, dms(33, 51, (3600, 100))),
            (3, ASCII, "W"),
            (4, RATIONAL, dms(151, 12, (4050, 100))),
        ],
    )
    assert meta.created == utc(2023, 12, 31, 14, 29, 59)
    assert meta.created_source == "exif"
    # 33°51'36"S = -33.86, 151°12'40.5"W = -151.21125
    assert meta.location == "-33.860000,-151.211250"
    assert meta.camera == {"make": "Canon", "model": "EOS R5", "lens": "RF24-105mm F4 L IS USM"}
    assert meta.warnings == ()


def test_general_offset_time_applies_when_the_original_one_is_missing(tmp_path: Path) -> None:
    meta = written(
        tmp_path, exif=[(DATE_ORIGINAL, ASCII, "2020:02:29 12:00:00"), (OFFSET, ASCII, "-03:00")]
    )
    assert meta.created == utc(2020, 2, 29, 15, 0, 0)


def test_a_bad_offset_is_reported_and_utc_is_used(tmp_path: Path) -> None:
    meta = written(
        tmp_path,
        exif=[(DATE_ORIGINAL, ASCII, "2020:02:29 12:00:00"), (OFFSET_ORIGINAL, ASCII, "+25:00")],
    )
    assert meta.created == utc(2020, 2, 29, 12, 0, 0)
    assert meta.warnings == (
        "photo.jpg: Exif OffsetTimeOriginal '+25:00' is not a UTC offset; reading the time as UTC",
    )


def test_the_next_date_is_used_when_the_original_is_implausible(tmp_path: Path) -> None:
    meta = written(
        tmp_path,
        exif=[
            (DATE_ORIGINAL, ASCII, "1969:12:31 23:59:59"),
            (DATE_DIGITIZED, ASCII, "2001:01:01 00:00:00"),
        ],
    )
    assert (meta.created, meta.created_source) == (utc(2001, 1, 1, 0, 0, 0), "exif")
    assert meta.warnings == (
        "photo.jpg: Exif DateTimeOriginal '1969:12:31 23:59:59' is not a plausible date;"
        " using DateTimeDigitized",
    )


@pytest.mark.parametrize("blank", ["    :  :     :  :  ", ""])
def test_a_blank_date_means_unknown_and_is_not_a_problem(tmp_path: Path, blank: str) -> None:
    meta = written(
        tmp_path,
        ifd0=[MAKE, (DATE_TIME, ASCII, "2010:10:10 10:10:10")],
        exif=[(DATE_ORIGINAL, ASCII, blank)],
    )
    assert (meta.created, meta.warnings) == (utc(2010, 10, 10, 10, 10, 10), ())


@pytest.mark.parametrize("date", ["2021:02:30 10:00:00", "2021:13:01 10:00:00", "yesterday"])
def test_impossible_dates_fall_back_to_file_time(tmp_path: Path, date: str) -> None:
    meta = written(tmp_path, exif=[(DATE_ORIGINAL, ASCII, date)])
    assert meta.created_source == "mtime"
    assert meta.warnings == (
        f"photo.jpg: Exif DateTimeOriginal {date!r} is not a plausible date; using file time",
    )


@pytest.mark.parametrize(
    ("gps", "warning"),
    [
        (
            [(1, ASCII, "N"), (2, RATIONAL, dms(95, 0, (0, 1))),
             (3, ASCII, "E"), (4, RATIONAL, dms(10, 0, (0, 1)))],
            "GPS position 95.000000,10.000000 is impossible; ignored",
        ),
        (
            [(1, ASCII, "N"), (2, RATIONAL, dms(45, 61, (0, 1))),
             (3, ASCII, "E"), (4, RATIONAL, dms(10, 0, (0, 1)))],
            "GPS position unreadable (bad value or missing N/S/E/W); ignored",
        ),
        (
            [(1, ASCII, "N"), (2, RATIONAL, dms(45, 0, (0, 0))),
             (3, ASCII, "E"), (4, RATIONAL, dms(10, 0, (0, 1)))],
            "GPS position unreadable (bad value or missing N/S/E/W); ignored",
        ),
        (
            [(2, RATIONAL, dms(45, 0, (0, 1))), (4, RATIONAL, dms(10, 0, (0, 1)))],
            "GPS position unreadable (bad value or missing N/S/E/W); ignored",
        ),
        (
            [(1, ASCII, "N"), (2, RATIONAL, dms(45, 0, (0, 1)))],
            "GPS position has only one coordinate; ignored",
        ),
        (
            [(1, ASCII, "N"), (2, RATIONAL, dms(0, 0, (0, 1))),
             (3, ASCII, "E"), (4, RATIONAL, dms(0, 0, (0, 1)))],
            "GPS position 0,0 (a receiver without a fix); ignored",
        ),
    ],
    ids=["off-the-globe", "61-minutes", "zero-denominator", "no-reference", "no-longitude",
         "null-island"],
)  # fmt: skip
def test_bad_gps_is_ignored_with_a_warning(tmp_path: Path, gps: list[Entry], warning: str) -> None:
    meta = written(tmp_path, ifd0=[MAKE], gps=gps)
    assert meta.location is None
    assert meta.warnings == (f"photo.jpg: {warning}",)
    assert meta.camera == {"make": "Canon"}


def test_a_gps_ifd_without_a_position_says_nothing(tmp_path: Path) -> None:
    meta = written(tmp_path, ifd0=[MAKE], gps=[(0, BYTE, [2, 3, 0, 0])])  # GPSVersionID only
    assert (meta.location, meta.warnings) == (None, ())


def test_control_characters_never_reach_the_camera_fields(tmp_path: Path) -> None:
    meta = written(
        tmp_path,
        ifd0=[(0x010F, ASCII, "\x1b[31mEvil\x1b[0m Corp\x07"), (0x0110, ASCII, "\x00\x00")],
    )
    assert meta.camera == {"make": "[31mEvil [0m Corp"}


def test_a_tiff_file_gives_its_exif(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    path.write_bytes(tiff_block([MAKE, (DATE_TIME, ASCII, "2012:01:02 03:04:05")]))
    meta = read_metadata(path)
    assert (meta.mime, meta.created, meta.camera) == (
        "image/tiff",
        utc(2012, 1, 2, 3, 4, 5),
        {"make": "Canon"},
    )


def test_a_tiff_whose_ifd_is_unreadable_warns(tmp_path: Path) -> None:
    path = tmp_path / "broken.tif"
    path.write_bytes(b"II*\x00" + struct.pack("<I", 10_000) + b"\x00" * 100)
    meta = read_metadata(path)
    assert meta.created_source == "mtime"
    assert meta.warnings == (
        "broken.tif: Exif data unreadable (no readable tags); using file time",
    )


# --- bounded work on hostile or huge files ----------------------------------------------------


def test_a_huge_tag_table_is_given_up_on_quickly(tmp_path: Path) -> None:
    # 5,000 entries of 999 SHORTs each: exifread would make 5 million reads.
    entries = struct.pack("<H", 5000) + struct.pack("<HHII", 0x0100, SHORT, 999, 8) * 5000
    path = tmp_path / "bomb.jpg"
    path.write_bytes(jpeg_with_exif(b"II*\x00" + struct.pack("<I", 8) + entries + b"\x00" * 4))

    started = time.monotonic()
    meta = read_metadata(path)

    assert time.monotonic() - started < 10
    assert meta.created_source == "mtime"
    assert meta.warnings == (
        "bomb.jpg: Exif data unreadable (gave up: Exif structure too large or looping);"
        " using file time",
    )


def test_an_absurd_string_length_is_skipped(tmp_path: Path) -> None:
    tiff = bytearray(
        tiff_block(
            [MAKE, (0x0110, ASCII, "a model name")],
            exif=[(DATE_ORIGINAL, ASCII, "2020:01:01 00:00:00")],
        )
    )
    at = tiff.index(struct.pack("<HHI", 0x0110, ASCII, 13))
    tiff[at + 4 : at + 8] = struct.pack("<I", 0xFFFF_FFF0)  # Model claims 4 GiB
    path = tmp_path / "absurd.jpg"
    path.write_bytes(jpeg_with_exif(bytes(tiff)))

    meta = read_metadata(path)

    assert (meta.created, meta.camera) == (utc(2020, 1, 1, 0, 0, 0), {"make": "Canon"})
    assert meta.warnings == ("absurd.jpg: an Exif field with an impossible size was skipped",)


def test_huge_sparse_files_are_never_read_whole(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    with video.open("wb") as f:
        f.write(struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2")
        f.truncate(3 * 2**30)
    # A TIFF whose only IFD sits 2 GiB in: exifread seeks there, reads a few bytes.
    far = 2 * 2**30
    tiff = tiff_block([MAKE, (DATE_TIME, ASCII, "2012:01:02 03:04:05")])
    scan = tmp_path / "far.tif"
    with scan.open("wb") as f:
        f.write(b"II*\x00" + struct.pack("<I", far))
        f.seek(far)
        f.write(_relocated_ifd(tiff, far))

    started = time.monotonic()
    clip_meta, scan_meta = read_metadata(video), read_metadata(scan)

    assert time.monotonic() - started < 5
    assert (clip_meta.mime, clip_meta.created_source, clip_meta.warnings) == (
        "video/mp4",
        "mtime",
        (),
    )
    assert (scan_meta.created, scan_meta.camera) == (utc(2012, 1, 2, 3, 4, 5), {"make": "Canon"})


def _relocated_ifd(tiff: bytes, base: int) -> bytes:
    """IFD0 and data of `tiff_block` output, with value offsets moved to start at `base`."""
    body = bytearray(tiff[8:])
    (count,) = struct.unpack_from("<H", body, 0)
    for i in range(count):
        at = 2 + 12 * i
        _tag, kind, n, value = struct.unpack_from("<HHII", body, at)
        if kind == ASCII and n > 4:
            struct.pack_into("<I", body, at + 8, value - 8 + base)
    return bytes(body)


def test_exifread_s_log_output_never_reaches_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    png = tmp_path / "plain.png"  # exifread logs "PNG file does not have exif data."
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0) + b"IEND" + b"\xaeB`\x82")
    caplog.set_level("DEBUG")

    meta = read_metadata(png)

    assert (meta.mime, meta.warnings) == ("image/png", ())
    assert capsys.readouterr() == ("", "")
    assert [r for r in caplog.records if r.name.startswith("exifread")] == []


# --- files without Exif, and MIME sniffing -----------------------------------------------------


def test_file_time_is_used_for_a_file_without_exif(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello")
    os.utime(note, (1_600_000_000, 1_600_000_123))

    meta = read_metadata(note)

    assert meta == FileMetadata(
        mime="text/plain",
        created=1_600_000_123,
        created_source="mtime",
        location=None,
        camera={},
        warnings=(),
    )


def test_an_empty_file_is_fine(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    meta = read_metadata(empty)
    assert (meta.mime, meta.created_source, meta.warnings) == (
        "application/octet-stream",
        "mtime",
        (),
    )


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 16


EPUB_HEAD = b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/epub+zipPK"
SNIFF_CASES = [
    ("x.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("holiday.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),  # bytes beat name
    ("x", b"GIF89a\x01\x00\x01\x00", "image/gif"),
    ("x", b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    ("x", b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    ("IMG_0001.DNG", b"II*\x00\x08\x00\x00\x00", "image/x-adobe-dng"),  # raw is TIFF inside
    ("x", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("x", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
    ("x", ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    ("x", ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
    ("x", ftyp(b"mif1", b"mif1", b"miaf"), "image/heif"),
    ("x", ftyp(b"avif", b"avif", b"mif1"), "image/avif"),
    ("x", ftyp(b"isom", b"isom", b"iso2", b"avc1"), "video/mp4"),
    ("x", ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    ("x", ftyp(b"M4A ", b"M4A ", b"mp42"), "audio/mp4"),
    ("x", b"%PDF-1.7\n", "application/pdf"),
    ("x", b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    ("x", b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),  # MPEG-1 layer III frame, no ID3
    ("x", b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio/ogg"),
    ("x", b"fLaC\x00\x00\x00\x22", "audio/flac"),
    ("x", b"PK\x03\x04\x14\x00" + b"\x00" * 40, "application/zip"),
    ("book.zip", EPUB_HEAD, "application/epub+zip"),  # names its type in a "mimetype" member
    ("data.json", b'{"a": 1}', "application/json"),  # no magic: the extension
    ("notes.md", b"# Notes\n", "text/markdown"),
    ("backup.txt.gz", b"not really gzip", "application/gzip"),  # a compressed name
    ("x", b"\x00\x01\x02\x03 whatever", "application/octet-stream"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "mime"), SNIFF_CASES, ids=[f"{m}-{n}" for n, _, m in SNIFF_CASES]
)
def test_sniff_mime(tmp_path: Path, name: str, data: bytes, mime: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert sniff_mime(path) == mime
    assert read_metadata(path).mime == mime


def test_sniffing_reads_only_the_beginning(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    with path.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(2**36)  # a sparse 64 GiB
    assert sniff_mime(path) == "image/png"


# --- files that cannot be read at all ---------------------------------------------------------


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no such file"):
        read_metadata(tmp_path / "nope.jpg")
    with pytest.raises(NotFound):
        sniff_mime(tmp_path / "nope.jpg")


def test_a_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(NitError, match=r"a directory$") as raised:
        read_metadata(tmp_path)
    assert not isinstance(raised.value, NotFound)
    assert "\n" not in raised.value.message


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(NitError, match="not a regular file"):
        read_metadata(fifo)


def test_warnings_never_carry_raw_control_bytes(tmp_path: Path) -> None:
    meta = written(tmp_path, exif=[(DATE_ORIGINAL, ASCII, "\x1b]0;pwned\x07 2020")])
    assert len(meta.warnings) == 1
    assert "\x1b" not in meta.warnings[0] and "\\x1b" in meta.warnings[0]
