"""What a match says was done to the registered picture: crop, flip, rotation,
resize, colour, border, overlay.

From an alignment (a verified `Geometry`): the mirror, the rotation angle and
scale of the similarity transform, how much of the registered picture the
query shows (`crop`) and how much of the query it covers (`border`), then a
comparison of the aligned thumbnails (`colour` for a changed mean or spread,
`overlay` for local differences left after matching them). Without one, from
the print variant that matched. Pure functions over pixels and matrices.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from numbers_cli.monitor.fingerprint import DIHEDRAL, THUMB_SIDE, Features, Geometry

if TYPE_CHECKING:
    import numpy as np

    from numbers_cli.monitor.image import Pixels


def geometry_transforms(
    geometry: Geometry, query: Pixels, registered_thumb: np.ndarray, registered: Features
) -> list[str]:
    """What was done to the registered image, judged from the aligned match."""
    import numpy as np

    done: list[str] = []
    m = geometry.matrix
    linear = m[:, :2]
    determinant = float(np.linalg.det(linear))
    scale = math.sqrt(abs(determinant))
    # for a mirrored query the linear part includes the reflection; take the angle of
    # the rotation part (undo the reflection in x first)
    rot = linear @ np.diag([-1.0, 1.0]) if geometry.mirrored else linear
    angle = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    if geometry.mirrored:
        done.append("flip")
    rotated = abs(angle) > 1.5
    if rotated:
        done.append("rotation")
    if abs(scale - 1) > 0.1:
        done.append("resize")
    w, h = registered.width, registered.height
    qw, qh = query.width, query.height
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], dtype=np.float64)
    projected = corners @ m.T
    visible = _clipped_area(projected, qw, qh) / max(1e-9, _polygon_area(projected))
    covered = _clipped_area(projected, qw, qh) / (qw * qh)
    if visible < (0.85 if rotated else 0.97):
        done.append("crop")
    if covered < 0.95 and not (rotated and covered > 0.85):
        done.append("border")
    done += _photometric(geometry, query, registered_thumb, registered)
    return done


def print_transforms(
    window_query: int, window_registered: int, variant: int, trimmed: float
) -> list[str]:
    """What a print match says about the transform (no alignment available)."""
    done = list(DIHEDRAL[variant])
    if window_registered == 1 and window_query == 0:
        done.append("crop")
    if trimmed > 0.03:
        done.append("border")
    return done


def _photometric(
    geometry: Geometry, query: Pixels, registered_thumb: np.ndarray, registered: Features
) -> list[str]:
    """Colour change and overlays: warp the registered thumbnail onto the query."""
    import cv2
    import numpy as np

    qh, qw = query.rgb.shape[:2]
    factor = THUMB_SIDE / max(qh, qw)
    size = (max(1, round(qw * factor)), max(1, round(qh * factor)))
    query_small = cv2.resize(query.rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    th, tw = registered_thumb.shape[:2]
    # thumb px -> registered original px -> query original px -> query small px
    to_original = np.diag([registered.width / tw, registered.height / th, 1.0])
    to_small = np.diag([size[0] / query.width, size[1] / query.height, 1.0])
    warp = (to_small @ np.vstack([geometry.matrix, [0, 0, 1]]) @ to_original)[:2]
    warped = cv2.warpAffine(registered_thumb, warp, size, flags=cv2.INTER_AREA).astype(np.float32)
    inside = cv2.warpAffine(np.full((th, tw), 255, np.uint8), warp, size, flags=cv2.INTER_NEAREST)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8)) > 0
    if inside.sum() < 50:
        return []
    a = warped[inside]
    b = query_small[inside]
    done = []
    mean_shift = float(np.abs(a.mean(axis=0) - b.mean(axis=0)).max())
    spread = b.std(axis=0) / np.maximum(a.std(axis=0), 1.0)
    if mean_shift > 12 or spread.min() < 0.85 or spread.max() > 1.18:
        done.append("colour")
    # overlays: large differences left after matching each channel's mean and spread
    normalised = (a - a.mean(axis=0)) * (b.std(axis=0) / np.maximum(a.std(axis=0), 1.0))
    normalised += b.mean(axis=0)
    differs = np.abs(normalised - b).max(axis=1) > 70
    if differs.mean() > 0.02:
        done.append("overlay")
    return done


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float((x * _roll(y) - _roll(x) * y).sum()))


def _roll(values: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.roll(values, -1)


def _clipped_area(points: np.ndarray, width: float, height: float) -> float:
    """Area of the polygon `points` inside the rectangle [0, width] x [0, height]."""
    import numpy as np

    polygon = [tuple(p[:2]) for p in points]
    for axis, limit, keep_below in (
        (0, 0.0, False),
        (0, width, True),
        (1, 0.0, False),
        (1, height, True),
    ):
        out: list[tuple[float, float]] = []
        for i, current in enumerate(polygon):
            previous = polygon[i - 1]
            inside_now = current[axis] <= limit if keep_below else current[axis] >= limit
            inside_before = previous[axis] <= limit if keep_below else previous[axis] >= limit
            if inside_now != inside_before:
                t = (limit - previous[axis]) / (current[axis] - previous[axis])
                out.append(
                    (
                        previous[0] + t * (current[0] - previous[0]),
                        previous[1] + t * (current[1] - previous[1]),
                    )
                )
            if inside_now:
                out.append(current)
        polygon = out
        if not polygon:
            return 0.0
    return _polygon_area(np.array(polygon))
