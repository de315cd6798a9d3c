"""Everything nit learns from a media file for its AssetTree (the metadata adapter).

`read_metadata(path)` gives the MIME type, the capture time (Exif, else the
file's mtime), the GPS position and the camera. It fails soft: a file with
broken, truncated or hostile metadata still gets a `FileMetadata`, with one
warning sentence per problem, because refusing to register a file over its
metadata would be worse than registering it with its file time. Only a file
that cannot be opened or read raises.

The work per file is bounded: a few KiB for the MIME type, and for Exif the
JPEG header segments or a fixed read budget (see `metadata.exif`), whatever
the file's size.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from numbers_cli.errors import NitError, NotFound
from numbers_cli.metadata.capture import camera, capture_time, gps_location
from numbers_cli.metadata.exif import SourceReadError, read_exif
from numbers_cli.metadata.mime import OCTET_STREAM, SNIFF_BYTES, mime_from_head

__all__ = [
    "OCTET_STREAM",
    "FileMetadata",
    "metadata_of_open",
    "open_regular",
    "read_metadata",
    "sniff_mime",
]


@dataclass(frozen=True)
class FileMetadata:
    """What a media file says about itself, ready for an AssetTree."""

    mime: str
    """e.g. "image/jpeg"; "application/octet-stream" when unknown."""
    created: int
    """Unix seconds: the Exif capture time when present and plausible, else the file's mtime."""
    created_source: Literal["exif", "mtime"]
    """Where `created` came from."""
    location: str | None
    """GPS position "lat,lon" in decimal degrees with 6 decimals; None if absent or invalid."""
    camera: dict[str, str]
    """Only the non-empty ones of "make", "model", "software", "lens"."""
    warnings: tuple[str, ...]
    """One short sentence per problem, starting with the file name."""


def read_metadata(path: Path) -> FileMetadata:
    """Read the metadata of the file at `path`.

    Capture time: Exif DateTimeOriginal, else DateTimeDigitized, else IFD0
    DateTime, zoned by the matching OffsetTime* tag when present and read as
    UTC otherwise (Exif times are wall-clock times without a zone; UTC is
    a fixed, machine-independent rule). No date, or only implausible ones
    ("0000:00:00 00:00:00", before 1970): the file's mtime, with a warning
    in the implausible case.

    Raises `NotFound` if there is no such file, `NitError` if it cannot be
    opened or read or is not a regular file; never for bad content.
    """
    with open_regular(path) as f:
        return metadata_of_open(f, path)


def metadata_of_open(f: BinaryIO, path: Path) -> FileMetadata:
    """`read_metadata` of a file already opened (by `open_regular`), read from its
    start; the file is left somewhere inside. For callers that read the bytes
    too (`nit stamp`): one open per file instead of two."""
    name = path.name
    mtime = os.fstat(f.fileno()).st_mtime_ns // 1_000_000_000
    head = _read_head(f, path)
    mime = mime_from_head(head, name)
    try:
        exif = read_exif(f, head)
    except SourceReadError as error:
        raise _unreadable(path, error.error) from error

    warnings: list[str] = [f"{name}: {note}" for note in exif.notes]
    if exif.problem is not None:
        warnings.append(f"{name}: Exif data unreadable ({exif.problem}); using file time")

    created, time_problems = capture_time(exif.tags)
    location, gps_problems = gps_location(exif.tags)
    if created is None and time_problems:
        time_problems[-1] += "; using file time"
    warnings += [f"{name}: {problem}" for problem in time_problems + gps_problems]

    return FileMetadata(
        mime=mime,
        created=mtime if created is None else created,
        created_source="mtime" if created is None else "exif",
        location=location,
        camera=camera(exif.tags),
        warnings=tuple(warnings),
    )


def sniff_mime(path: Path) -> str:
    """The MIME type of the file at `path`: magic bytes, then extension, then octet-stream.

    Reads at most the first few KiB. Raises like `read_metadata`.
    """
    with open_regular(path) as f:
        return mime_from_head(_read_head(f, path), path.name)


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    """Open `path` for reading, refusing anything but a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a
    writer (a hang), so the type check can refuse it; it changes nothing for
    regular files.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise _unreadable(path, error) from error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise NitError(f"{path}: {kind}")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def _read_head(f: BinaryIO, path: Path) -> bytes:
    try:
        return f.read(SNIFF_BYTES)
    except OSError as error:
        raise _unreadable(path, error) from error


def _unreadable(path: Path, error: OSError) -> NitError:
    """The one-line error for a file nit cannot open or read."""
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return NotFound(f"{path}: no such file")
    if error.errno == errno.EISDIR:
        return NitError(f"{path}: a directory")
    reason = error.strerror or type(error).__name__
    return NitError(f"cannot read {path}: {reason.lower()}")
