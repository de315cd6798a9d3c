"""Bytes to pixels, safely: the only place the monitor decodes an image.

Why caps here and not in each source: a decompression bomb or a 30,000 px
strip is dangerous wherever it came from, so every image passes the same
checks before any pixel is decoded (Pillow reads the size from the header
first). JPEGs are decoded at a reduced scale (`draft`) when the work size is
much smaller than the file, which is most of the indexing time saved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from numbers_cli.errors import UnreadableImage

if TYPE_CHECKING:
    import numpy as np

#: Largest image accepted, in pixels (a 12,000 x 8,000 photo is 96 MP).
MAX_PIXELS = 100_000_000
#: Longest side accepted, in pixels.
MAX_SIDE = 20_000
#: Shortest side accepted: below it there is nothing to recognise.
MIN_SIDE = 16
#: Longest side of the pixels the fingerprints are computed on.
WORK_SIDE = 1024

#: File signatures of the formats Pillow decodes here (for sniffing directories).
_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)


def looks_like_image(head: bytes) -> bool:
    """Whether the first bytes of a file are those of an image format we decode."""
    if head.startswith(_SIGNATURES):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


@dataclass(frozen=True)
class Pixels:
    """An RGB image scaled to at most WORK_SIDE, and the size of the original."""

    rgb: np.ndarray  # (h, w, 3) uint8
    width: int  # of the original image
    height: int


def decode(data: bytes, what: str) -> Pixels:
    """RGB pixels of an image file's bytes, at most WORK_SIDE on the long side.

    `what` names the image in errors (a path, a URL, a CID). Raises
    UnreadableImage for anything that is not a decodable image within the caps.
    """
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, as a second line
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise UnreadableImage(f"{what}: not an image (or a format nit cannot decode)") from None
    except Image.DecompressionBombError:
        raise UnreadableImage(f"{what}: more than {MAX_PIXELS:,} pixels") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage(f"{what}: truncated or corrupt image ({exc})") from None
    width, height = image.size
    _check_size(width, height, what)
    try:
        if image.format == "JPEG":
            image.draft("RGB", (WORK_SIDE, WORK_SIDE))  # DCT scaling: decode 1/2..1/8
        image = image.convert("RGB")
        if max(image.size) > WORK_SIDE:
            image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
        rgb = np.asarray(image, dtype=np.uint8)
    except Image.DecompressionBombError:
        raise UnreadableImage(f"{what}: more than {MAX_PIXELS:,} pixels") from None
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        raise UnreadableImage(f"{what}: truncated or corrupt image ({exc})") from None
    return Pixels(np.ascontiguousarray(rgb), width, height)


def _check_size(width: int, height: int, what: str) -> None:
    if min(width, height) < MIN_SIDE:
        raise UnreadableImage(
            f"{what}: {width}x{height} px is too small to fingerprint "
            f"(needs {MIN_SIDE} px on each side)"
        )
    if max(width, height) > MAX_SIDE:
        raise UnreadableImage(f"{what}: {width}x{height} px is longer than {MAX_SIDE:,} px")
    if width * height > MAX_PIXELS:
        raise UnreadableImage(f"{what}: {width}x{height} px is more than {MAX_PIXELS:,} pixels")
