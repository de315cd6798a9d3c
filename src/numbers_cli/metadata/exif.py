"""Exif tags of a media file, read with exifread under a strict budget.

Files handed to `nit add` are not trusted: a truncated upload, a fuzzed JPEG
or a 40 GiB video must never crash, hang or flood memory. So:

* JPEG: we walk the segment headers ourselves (a few bytes each) and hand
  exifread only the Exif APP1 block (at most 64 KiB). exifread's own JPEG
  search looks only about 4 KB past the first segments and misses Exif that
  follows a large XMP segment (as in the fixture xmp-no_exif.jpg); our walk
  does not.
* TIFF (and TIFF-based raw), HEIC/AVIF, WebP, PNG, JPEG XL: exifread reads the
  real file, but through `_BudgetedReader`, which lets it seek anywhere and
  read at most `READ_BUDGET_BYTES` in at most `READ_BUDGET_CALLS` calls.
  Every loop in exifread reads, so this bounds time as well as memory.
* Only IFD0 and its Exif/GPS sub-directories are needed: the chain to IFD1
  (thumbnail) and later pages is cut, so a 10,000-page TIFF costs one IFD.
* `details=False` (no maker notes: the most fragile part of exifread),
  no thumbnail extraction, and exifread's logger is silenced while it runs,
  so nothing from the file reaches a log or the terminal.

Whatever exifread raises becomes a `ExifRead.problem`; only an OSError of the
file itself escapes (as `SourceReadError`), since that is a broken disk, not
broken metadata.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

# exifread (and logging, which it uses) is imported by the first file that may carry
# Exif (`_run_exifread`): adding a PDF, a video or a data file never loads it (9 ms).

READ_BUDGET_BYTES = 4 * 1024 * 1024
"""At most this much of a file is read for its Exif (the fixtures need 3 KiB at most)."""

READ_BUDGET_CALLS = 50_000
"""At most this many reads: exifread reads values a few bytes at a time (fixtures: < 1,000)."""

MAX_FIELD_BYTES = 1024 * 1024
"""A single read larger than this is a corrupt length field, answered with no bytes."""

_MAX_JPEG_SEGMENTS = 1024
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_EXIFREAD_BMFF_BRANDS = (b"ftypheic", b"ftypavif", b"ftypmif1")

_TOO_BIG = "gave up: Exif structure too large or looping"

_exifread_lock = threading.Lock()


class SourceReadError(Exception):
    """The file itself could not be read (an OSError below exifread)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _BudgetExceeded(Exception):
    """exifread wanted to read more than the budget allows."""


@dataclass
class ExifRead:
    """What reading a file's Exif gave.

    `tags` maps exifread's keys ("EXIF DateTimeOriginal", "GPS GPSLatitude", ...)
    to its IfdTag objects; empty when the file has no Exif or it was unreadable.
    `problem` says why Exif that exists could not be read at all (the caller
    then falls back to the file time); `notes` are lesser problems.
    """

    tags: Mapping[str, Any] = field(default_factory=dict)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


def read_exif(f: BinaryIO, head: bytes) -> ExifRead:
    """Read the Exif of the open file `f`, whose first bytes are `head`.

    Never raises for bad content; raises `SourceReadError` if `f` fails.
    """
    try:
        if head.startswith(b"\xff\xd8\xff"):
            return _read_jpeg(f)
        if head[:4] in _TIFF_MAGIC:
            return _run_exifread(f, cut_chain=_ifd0_chain_patch(f, head), must_have_tags=True)
        if (
            head[4:12] in _EXIFREAD_BMFF_BRANDS
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or head.startswith(b"\x89PNG\r\n\x1a\n")
            or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n")
        ):
            # Here exifread's "no Exif" and "broken Exif" look the same: stay quiet.
            return _run_exifread(f, cut_chain=None, must_have_tags=False)
    except SourceReadError:
        raise
    except OSError as error:
        raise SourceReadError(error) from error
    except Exception as error:  # our own walking code on hostile input
        return ExifRead(problem=_describe(error))
    return ExifRead()


def _read_jpeg(f: BinaryIO) -> ExifRead:
    """Find the first APP1 "Exif" segment and let exifread parse just that block."""
    block = _jpeg_exif_block(f)
    if block is None:
        return ExifRead()
    tiff, declared = block
    truncated = f"truncated: {len(tiff)} of {declared} bytes" if len(tiff) < declared else None
    if tiff[:4] not in _TIFF_MAGIC:
        return ExifRead(problem=truncated or "no TIFF header in the Exif segment")
    patch = _ifd0_chain_patch(io.BytesIO(tiff), tiff[:8])
    result = _run_exifread(io.BytesIO(tiff), cut_chain=patch, must_have_tags=True)
    if truncated and result.problem is None:
        result.notes.insert(0, f"Exif data {truncated}; some fields may be missing")
    elif truncated:
        result.problem = truncated
    return result


def _jpeg_exif_block(f: BinaryIO) -> tuple[bytes, int] | None:
    """(TIFF bytes of the Exif APP1 segment, their declared length), or None if there is none.

    Walks marker segments up to the start of the image data; a broken
    structure before any Exif just means "no Exif found".
    """
    pos = 2
    for _ in range(_MAX_JPEG_SEGMENTS):
        f.seek(pos)
        header = f.read(4)
        if len(header) < 2 or header[0] != 0xFF:
            return None
        marker = header[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no payload
            pos += 2
            continue
        if marker in (0xD9, 0xDA) or len(header) < 4:  # end of image / start of scan
            return None
        length = int.from_bytes(header[2:4], "big")
        if length < 2:
            return None
        if marker == 0xE1 and length >= 8:
            ident = f.read(6)
            if ident[:5] == b"Exif\x00":
                declared = length - 8
                return f.read(declared), declared
        pos += 2 + length
    return None


def _ifd0_chain_patch(f: BinaryIO, head: bytes) -> tuple[int, bytes] | None:
    """(position, zero bytes) that end the IFD chain after IFD0, or None if IFD0 is unreadable.

    Only IFD0 and its sub-IFDs carry what we need; IFD1 is a thumbnail and
    later IFDs are further pages, which exifread would otherwise all walk.
    """
    order = "little" if head[:2] == b"II" else "big"
    ifd0 = int.from_bytes(head[4:8], order)
    if ifd0 < 8:
        return None
    f.seek(ifd0)
    count = f.read(2)
    if len(count) < 2:
        return None
    return ifd0 + 2 + 12 * int.from_bytes(count, order), b"\x00\x00\x00\x00"


def _run_exifread(
    f: BinaryIO, *, cut_chain: tuple[int, bytes] | None, must_have_tags: bool
) -> ExifRead:
    """exifread on `f` within the budget; its failures become a problem, not an exception."""
    import exifread

    reader = _BudgetedReader(f, patch=cut_chain)
    try:
        with _exifread_session():
            tags = exifread.process_file(
                reader,  # type: ignore[arg-type]  # duck-typed: read/seek/tell
                details=False,
                extract_thumbnail=False,
                strict=False,
                truncate_tags=True,
            )
    except SourceReadError:
        raise
    except _BudgetExceeded:
        return ExifRead(problem=_TOO_BIG)
    except Exception as error:  # exifread on hostile data: anything goes
        return ExifRead(problem=_describe(error))
    if reader.exhausted:  # exifread swallowed our exception somewhere
        return ExifRead(problem=_TOO_BIG)
    if not tags and must_have_tags:
        return ExifRead(problem="no readable tags")
    if reader.skipped_oversized:
        return ExifRead(tags=tags, notes=["an Exif field with an impossible size was skipped"])
    return ExifRead(tags=tags)


def _describe(error: BaseException) -> str:
    """A short reason naming the exception type only: exception text may quote file bytes."""
    return f"{type(error).__name__} while parsing"


@contextmanager
def _exifread_session() -> Iterator[None]:
    """Run exifread alone, silent, and with no state left over from the previous file.

    exifread logs warnings like "File format not recognized." (and, at debug
    level, tag values) through the logging module's last-resort stderr
    handler: its logger is disabled for the call. Its HEIC parser files the
    boxes it finds in a dict on the `Box` class, shared by every parse, so a
    HEIC lacking an item table would silently use the previous file's: that
    dict is emptied first. The lock keeps both safe across threads.
    """
    import logging

    try:  # exifread internals, pinned version
        from exifread.core.heic import Box as heic_box
    except ImportError:  # pragma: no cover - a future exifread layout
        heic_box = None
    logger = logging.getLogger("exifread")
    with _exifread_lock:
        heic_boxes = getattr(heic_box, "subs", None)
        if isinstance(heic_boxes, dict):
            heic_boxes.clear()
        was_disabled = logger.disabled
        logger.disabled = True
        try:
            yield
        finally:
            logger.disabled = was_disabled


class _BudgetedReader:
    """A read/seek/tell view of a file that may be read only so much, with one patch overlaid.

    Seeking is free; reading past the budget raises `_BudgetExceeded` (and
    keeps raising, in case a caller catches it). OSErrors of reads from the
    underlying file become `SourceReadError`, so they are told apart from bad
    content.
    """

    def __init__(self, raw: BinaryIO, *, patch: tuple[int, bytes] | None) -> None:
        self._raw = raw
        self._patch = patch
        self._bytes_left = READ_BUDGET_BYTES
        self._calls_left = READ_BUDGET_CALLS
        self.exhausted = False
        self.skipped_oversized = False

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._bytes_left
        self._calls_left -= 1
        if self.exhausted or self._calls_left < 0:
            self.exhausted = True
            raise _BudgetExceeded
        if size > MAX_FIELD_BYTES:
            # One absurd length field (a 4 GiB "string"): answer as at end of
            # file, which exifread takes as an empty value, and go on.
            self.skipped_oversized = True
            return b""
        if size > self._bytes_left:
            self.exhausted = True
            raise _BudgetExceeded
        try:
            start = self._raw.tell()
            data = self._raw.read(size)
        except OSError as error:
            raise SourceReadError(error) from error
        self._bytes_left -= len(data)
        return self._overlay(start, data)

    def _overlay(self, start: int, data: bytes) -> bytes:
        """`data` read at `start`, with the patch bytes in place where they overlap."""
        if self._patch is None:
            return data
        at, replacement = self._patch
        lo, hi = max(start, at), min(start + len(data), at + len(replacement))
        if lo >= hi:
            return data
        patched = bytearray(data)
        patched[lo - start : hi - start] = replacement[lo - at : hi - at]
        return bytes(patched)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # lseek does no I/O: when it fails, the offset came from the file's content.
        if whence == io.SEEK_CUR:
            offset, whence = self._raw.tell() + offset, io.SEEK_SET
        if whence == io.SEEK_SET and offset < 0:
            raise ValueError("negative seek position")
        try:
            return self._raw.seek(offset, whence)
        except OSError as error:
            raise ValueError("seek position out of range") from error

    def tell(self) -> int:
        return self._raw.tell()
