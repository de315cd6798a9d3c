"""Fingerprints: pure functions over pixels (no I/O, no state).

Two kinds, because neither alone survives every re-use (measured in
bench/bench_monitor.py):

- **Prints**: 256-bit PDQ hashes (Meta's `pdqhash`), compared by Hamming
  distance. They are what the index searches: cheap, and exact enough for
  re-encodes, resizes, noise and colour changes. A registered image gets two,
  of its content with uniform borders trimmed and of its centre 80%; a query
  gets those two windows in all eight dihedral variants, so flips, right-angle
  rotations, added borders and central crops meet a print of the same pixels.
- **Local features**: ORB keypoints (OpenCV), detected tile by tile so a text
  watermark cannot take the whole budget, matched with Lowe's ratio test and
  confirmed by a RANSAC similarity transform (rotation, scale, translation).
  They confirm what prints only suggest (crops, small rotations, overlays) and
  reject look-alikes: unrelated photos share under 20 inliers, re-uses of the
  same photo hundreds.

Coordinates of features are those of the ORB work image; `Features.scale`
maps them back to the original image's pixels, so the transform a match
implies can be described in the original sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from numbers_cli.monitor.image import Pixels

#: Bytes in one print (a 256-bit PDQ hash).
PRINT_BYTES = 32
#: Longest side of the pixels PDQ prints are computed on.
PRINT_SIDE = 512
#: Side of the centre window that is printed besides the whole trimmed image.
CENTRE = 0.8
#: ORB work image: long side scaled into [ORB_MIN_SIDE, ORB_MAX_SIDE].
ORB_MIN_SIDE = 512
ORB_MAX_SIDE = 800
#: Keypoints wanted per image (spread over GRID x GRID tiles).
ORB_FEATURES = 1000
GRID = 4
#: Side of the thumbnail kept to compare colours once a match is aligned.
THUMB_SIDE = 96
#: PDQ quality below which a print alone is not trusted (Meta's guidance: 50).
MIN_QUALITY = 50
#: Inliers at which a geometric match scores 0.5; unrelated photos stay under 20.
INLIERS_AT_HALF = 40
#: Hamming distance at which a print match scores 0.5 (PDQ's usual threshold, 31).
DISTANCE_AT_HALF = 31

#: The eight dihedral variants as pdqhash.compute_dihedral orders them (checked in
#: tests: 1-3 rotations by 90/180/270, 4 upside down, 5 mirrored left-right,
#: 6-7 transposes), described as what was done to the registered image.
DIHEDRAL = (
    (),
    ("rotation",),
    ("rotation",),
    ("rotation",),
    ("flip", "rotation"),
    ("flip",),
    ("flip", "rotation"),
    ("flip", "rotation"),
)


@dataclass(frozen=True)
class Features:
    """ORB keypoints of one image: points (n, 2) float32 in the ORB work image,
    descriptors (n, 32) uint8; `scale` = work-image px per original px."""

    points: np.ndarray
    descriptors: np.ndarray
    scale: float
    width: int  # of the original image
    height: int


@dataclass(frozen=True)
class Fingerprint:
    """What the index keeps of a registered image."""

    prints: np.ndarray  # (2, 32) uint8: trimmed whole, centre window
    quality: int
    features: Features
    thumb: np.ndarray  # (h, w, 3) uint8, long side THUMB_SIDE


@dataclass(frozen=True)
class QueryPrints:
    """The prints a query is searched with: codes (10, 32) uint8, and per code
    its window (0 whole, 1 centre) and dihedral variant; `trimmed` is the border
    fraction removed."""

    codes: np.ndarray
    windows: tuple[int, ...]
    variants: tuple[int, ...]
    quality: int
    trimmed: float


@dataclass(frozen=True)
class Geometry:
    """A verified local-feature match: `matrix` (2x3) maps the registered image's
    original pixels to the query's; `mirrored` if the query is a mirror image."""

    inliers: int
    matrix: np.ndarray
    mirrored: bool


# -- prints -----------------------------------------------------------------------


def trim_borders(rgb: np.ndarray, tolerance: int = 14, limit: float = 0.45) -> np.ndarray:
    """The image without uniform borders (padding, letterbox bars, frames).

    A row or column is border when nearly all its pixels are within
    `tolerance` of the colour of the outermost line on that side; at most
    `limit` of each dimension is removed, and nothing when too little would stay.
    """
    import numpy as np

    h, w = rgb.shape[:2]
    pixels = rgb.astype(np.int16)

    def depth(lines: np.ndarray) -> int:
        # lines: (n, m, 3), outermost first
        reference = np.median(lines[0], axis=0)
        off = np.abs(lines - reference).max(axis=2) > tolerance  # (n, m)
        bad = off.mean(axis=1) > 0.02
        if not bad.any():
            return len(lines)
        return int(np.argmax(bad))

    top = depth(pixels[: int(h * limit)])
    bottom = depth(pixels[::-1][: int(h * limit)])
    left = depth(pixels.transpose(1, 0, 2)[: int(w * limit)])
    right = depth(pixels.transpose(1, 0, 2)[::-1][: int(w * limit)])
    if h - top - bottom < 16 or w - left - right < 16:
        return rgb
    return rgb[top : h - bottom, left : w - right]


def centre(rgb: np.ndarray, fraction: float = CENTRE) -> np.ndarray:
    h, w = rgb.shape[:2]
    dy, dx = round(h * (1 - fraction) / 2), round(w * (1 - fraction) / 2)
    return rgb[dy : h - dy, dx : w - dx]


def _pdq(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    import numpy as np
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(bits.astype(np.uint8)), int(quality)


def _pdq_dihedral(rgb: np.ndarray) -> tuple[list[np.ndarray], int]:
    import numpy as np
    import pdqhash

    variants, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
    return [np.packbits(bits.astype(np.uint8)) for bits in variants], int(quality)


def _print_size(rgb: np.ndarray) -> np.ndarray:
    """At most PRINT_SIDE px: PDQ reduces to 64x64 anyway, and its filters cost
    time in proportion to the pixels they are given."""
    import cv2

    h, w = rgb.shape[:2]
    factor = PRINT_SIDE / max(h, w)
    if factor >= 1:
        return rgb
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def registered_prints(pixels: Pixels) -> tuple[np.ndarray, int]:
    """The prints kept for a registered image, and its PDQ quality (0-100)."""
    import numpy as np

    trimmed = trim_borders(_print_size(pixels.rgb))
    whole, quality = _pdq(trimmed)
    middle, _ = _pdq(centre(trimmed))
    return np.stack([whole, middle]), quality


def query_prints(pixels: Pixels) -> QueryPrints:
    import numpy as np

    small = _print_size(pixels.rgb)
    trimmed = trim_borders(small)
    codes: list[np.ndarray] = []
    windows: list[int] = []
    variants: list[int] = []
    quality = 0
    for window, view in enumerate((trimmed, centre(trimmed))):
        hashes, q = _pdq_dihedral(view)
        if window == 0:
            quality = q
        for variant, code in enumerate(hashes):
            if window == 1 and variant not in (0, 5):
                continue  # centre windows: as is and mirrored only (rotated crops are rare)
            codes.append(code)
            windows.append(window)
            variants.append(variant)
    h, w = small.shape[:2]
    kept = trimmed.shape[0] * trimmed.shape[1] / (h * w)
    return QueryPrints(np.stack(codes), tuple(windows), tuple(variants), quality, 1 - kept)


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    import numpy as np

    return int(np.unpackbits(np.bitwise_xor(a, b)).sum())


# -- local features -------------------------------------------------------------------


def features(pixels: Pixels, mirrored: bool = False) -> Features:
    """ORB keypoints, about ORB_FEATURES of them spread over a GRID x GRID tiling."""
    import cv2
    import numpy as np

    rgb = pixels.rgb[:, ::-1] if mirrored else pixels.rgb
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    longest = max(h, w)
    factor = 1.0
    if longest > ORB_MAX_SIDE:
        factor = ORB_MAX_SIDE / longest
    elif longest < ORB_MIN_SIDE:
        factor = ORB_MIN_SIDE / longest  # small images: upscale so ORB's patches fit
    if factor != 1.0:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, size, interpolation=interpolation)
    gh, gw = gray.shape
    per_tile = max(8, 2 * ORB_FEATURES // (GRID * GRID))
    detector = cv2.ORB_create(nfeatures=per_tile, edgeThreshold=15, patchSize=31, fastThreshold=8)
    keypoints = []
    margin = 32  # ORB needs this much image around a keypoint (edge threshold, patch)
    for i in range(GRID):
        for j in range(GRID):
            y0, y1 = gh * i // GRID, gh * (i + 1) // GRID
            x0, x1 = gw * j // GRID, gw * (j + 1) // GRID
            top, left = max(0, y0 - margin), max(0, x0 - margin)
            tile = gray[top : min(gh, y1 + margin), left : min(gw, x1 + margin)]
            for k in detector.detect(tile, None):
                x, y = k.pt[0] + left, k.pt[1] + top
                if x0 <= x < x1 and y0 <= y < y1:
                    keypoints.append(cv2.KeyPoint(x, y, k.size, k.angle, k.response, k.octave))
    extractor = cv2.ORB_create(nfeatures=len(keypoints) + 1, edgeThreshold=15, patchSize=31)
    keypoints, descriptors = extractor.compute(gray, keypoints)
    if descriptors is None or not keypoints:
        points = np.zeros((0, 2), np.float32)
        descriptors = np.zeros((0, 32), np.uint8)
    else:
        points = np.array([k.pt for k in keypoints], np.float32)
    # work-image px per original px (the pixels are already scaled from the original)
    scale = factor * w / pixels.width
    return Features(points, descriptors, scale, pixels.width, pixels.height)


def verify(query: Features, registered: Features, mirrored: bool) -> Geometry | None:
    """Match descriptors (ratio test), then a RANSAC similarity transform; None when
    fewer than 8 matches agree. `mirrored`: `query` was computed on the mirror image."""
    import cv2
    import numpy as np

    if len(query.descriptors) < 8 or len(registered.descriptors) < 8:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(query.descriptors, registered.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 8:
        return None
    source = registered.points[[m.trainIdx for m in good]]
    target = query.points[[m.queryIdx for m in good]]
    matrix, inliers = cv2.estimateAffinePartial2D(
        source,
        target,
        method=cv2.RANSAC,
        ransacReprojThreshold=5.0,
        maxIters=2000,
        confidence=0.99,
    )
    if matrix is None or inliers is None:
        return None
    count = int(inliers.sum())
    if count < 8:
        return None
    # to original pixels: query_orig = Sq^-1 * M * Sr * registered_orig
    full = np.vstack([matrix, [0, 0, 1]])
    to_query = np.diag([1 / query.scale, 1 / query.scale, 1.0])
    from_registered = np.diag([registered.scale, registered.scale, 1.0])
    original = to_query @ full @ from_registered
    if mirrored:  # the points came from the mirror image: undo the mirror on the query side
        flip = np.array([[-1.0, 0, query.width], [0, 1, 0], [0, 0, 1]])
        original = flip @ original
    return Geometry(count, original[:2], mirrored)


# -- scores and transforms --------------------------------------------------------------


def geometric_score(inliers: int) -> float:
    return min(1.0, inliers / (2 * INLIERS_AT_HALF))


def print_score(distance: int) -> float:
    return max(0.0, 1.0 - distance / (2 * DISTANCE_AT_HALF))


def thumbnail(pixels: Pixels) -> np.ndarray:
    import cv2

    h, w = pixels.rgb.shape[:2]
    factor = THUMB_SIDE / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(pixels.rgb, size, interpolation=cv2.INTER_AREA)


def fingerprint(pixels: Pixels) -> Fingerprint:
    """Everything the index keeps of a registered image."""
    prints, quality = registered_prints(pixels)
    return Fingerprint(prints, quality, features(pixels), thumbnail(pixels))
