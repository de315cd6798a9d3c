"""MIME type of a media file, from its first bytes and then its name.

The type ends up in the AssetTree (`encodingFormat`), which is hashed and
signed, so it must not depend on the machine: magic bytes decide first (a
renamed file keeps its real type), then a fixed extension table, then Python's
*built-in* `mimetypes` table (never the host's /etc/mime.types, which differs
between machines), else `application/octet-stream`.

Only the first `SNIFF_BYTES` of a file are ever read here.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePath

SNIFF_BYTES = 4096
"""How much of a file's beginning the sniffer looks at."""

OCTET_STREAM = "application/octet-stream"

# Common media extensions Python 3.11's built-in table lacks (or spells
# differently from what the sniffer answers); checked before `mimetypes`.
_EXTENSIONS: dict[str, str] = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
    ".jxl": "image/jxl",
    ".psd": "image/vnd.adobe.photoshop",
    ".dng": "image/x-adobe-dng",
    ".cr2": "image/x-canon-cr2",
    ".cr3": "image/x-canon-cr3",
    ".nef": "image/x-nikon-nef",
    ".arw": "image/x-sony-arw",
    ".pef": "image/x-pentax-pef",
    ".orf": "image/x-olympus-orf",
    ".rw2": "image/x-panasonic-rw2",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".ogv": "video/ogg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".m4v": "video/x-m4v",
    ".mkv": "video/x-matroska",
}

# Camera raw formats are TIFF inside: the magic only says "TIFF", the
# extension says which raw format.
_TIFF_BASED = frozenset({".dng", ".cr2", ".nef", ".arw", ".pef"})

# What a compressed file is when `mimetypes` only knows its inner type
# (`x.txt.gz` is gzip data, not text).
_ENCODINGS: dict[str, str] = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}

# Python's own table only: deterministic across hosts (see module docstring).
# `MimeTypes()` would first run the module's `init()`, which reads the host's
# mime.types files it then does not use (10-25 ms of every `nit add`): marking the
# module initialised for that moment skips it; its own functions still init later.
_inited, mimetypes.inited = mimetypes.inited, True
try:
    _BUILTIN_TYPES = mimetypes.MimeTypes(filenames=())
finally:
    mimetypes.inited = _inited

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis"})
_HEIC_SEQUENCE_BRANDS = frozenset({b"hevc", b"hevx", b"hevm", b"hevs"})
_ZIP_MIMETYPE = re.compile(rb"[a-z0-9.+-]+/[a-z0-9.+-]+")


def mime_from_name(name: str) -> str | None:
    """The type a file name's extension suggests, or None when it says nothing."""
    suffix = PurePath(name).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    mime, encoding = _BUILTIN_TYPES.guess_type(name, strict=True)
    if encoding is not None:
        return _ENCODINGS.get(encoding, OCTET_STREAM)
    return mime


def mime_from_head(head: bytes, name: str = "") -> str:
    """The MIME type of a file whose first bytes are `head` and whose name is `name`.

    `head` should be the first `SNIFF_BYTES` (fewer for a smaller file).
    """
    sniffed = _sniff(head)
    by_name = mime_from_name(name) if name else None
    if sniffed == "image/tiff" and PurePath(name).suffix.lower() in _TIFF_BASED and by_name:
        return by_name
    if sniffed == "application/zip" and by_name and by_name.startswith("application/"):
        # docx, jar, apk...: a ZIP whose extension names the real format.
        return by_name if by_name != OCTET_STREAM else sniffed
    return sniffed or by_name or OCTET_STREAM


def _sniff(head: bytes) -> str | None:
    """The type the magic bytes prove, or None. Order: most specific first."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"  # classic and BigTIFF
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return _iso_bmff(head)
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {
            b"WEBP": "image/webp",
            b"WAVE": "audio/wav",
            b"AVI ": "video/x-msvideo",
        }.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head else "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _zip(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "image/jxl"
    if head.startswith(b"8BPS"):
        return "image/vnd.adobe.photoshop"
    if head.startswith(b"\x1f\x8b\x08"):
        return "application/gzip"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "image/bmp"
    return _mpeg_audio_frame(head)


def _iso_bmff(head: bytes) -> str:
    """HEIC/HEIF/AVIF/MP4/MOV/3GP/CR3: all ISO base media files; the `ftyp` brands tell."""
    major = head[8:12]
    size = int.from_bytes(head[0:4], "big")
    end = min(size, len(head)) if size >= 16 else 16
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in _HEIC_SEQUENCE_BRANDS:
        return "image/heic-sequence"
    if major in (b"avif", b"avis"):
        return "image/avif"
    if major in (b"mif1", b"msf1"):
        # Generic HEIF: the compatible brands say which codec is inside.
        if compatible & _HEIC_BRANDS:
            return "image/heic"
        if b"avif" in compatible:
            return "image/avif"
        return "image/heif" if major == b"mif1" else "image/heif-sequence"
    if major == b"crx ":
        return "image/x-canon-cr3"
    if major == b"qt  ":
        return "video/quicktime"
    if major in (b"M4A ", b"M4B ", b"M4P "):
        return "audio/mp4"
    if major in (b"M4V ", b"M4VH", b"M4VP"):
        return "video/x-m4v"
    if major.startswith(b"3g2"):
        return "video/3gpp2"
    if major.startswith(b"3g"):
        return "video/3gpp"
    return "video/mp4"


def _zip(head: bytes) -> str:
    """EPUB and OpenDocument announce their type in a first stored member named `mimetype`."""
    if head[30:38] == b"mimetype":
        found = _ZIP_MIMETYPE.match(head, 38)
        if found:
            return found.group().decode("ascii")
    return "application/zip"


def _mpeg_audio_frame(head: bytes) -> str | None:
    """An MP3 (no ID3 tag) or ADTS AAC file starts with a frame sync word.

    Checked last and strictly (valid layer, bitrate and sample-rate fields),
    since 11 set bits alone are too weak a signature.
    """
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    layer = (head[1] >> 1) & 0b11
    if layer == 0:  # ADTS (AAC) uses the MPEG-4 sync with layer bits 00
        return "audio/aac" if head[1] & 0xF6 == 0xF0 else None
    version = (head[1] >> 3) & 0b11
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0b11
    if version == 0b01 or bitrate in (0, 0xF) or sample_rate == 0b11:
        return None
    return "audio/mpeg"
