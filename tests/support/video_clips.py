"""Real video files for the monitor tests and bench, encoded with OpenCV's
VideoWriter (the FFmpeg bundled in opencv-python-headless) from real photos.

A clip is a slideshow: each photo fills the frame (letterboxed to keep its
aspect) for a few seconds, with a slow zoom so that consecutive frames differ
as in filmed footage. Re-encodes read a clip back with VideoCapture and write
it again at another size, codec, crop or start, the way a re-post would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: (fourcc, suffix) pairs the bundled FFmpeg can write.
CODECS = {"mp4v": ".mp4", "MJPG": ".avi", "VP90": ".webm", "FFV1": ".mkv"}


def _fit(rgb, size: tuple[int, int], zoom: float):  # type: ignore[no-untyped-def]
    """The photo zoomed by `zoom` about its centre, letterboxed into `size` (BGR)."""
    import cv2
    import numpy as np

    width, height = size
    h, w = rgb.shape[:2]
    cw, ch = round(w / zoom), round(h / zoom)
    x, y = (w - cw) // 2, (h - ch) // 2
    crop = rgb[y : y + ch, x : x + cw]
    factor = min(width / cw, height / ch)
    inner = (max(1, round(cw * factor)), max(1, round(ch * factor)))
    small = cv2.resize(crop, inner, interpolation=cv2.INTER_AREA)
    frame = np.zeros((height, width, 3), np.uint8)
    ox, oy = (width - inner[0]) // 2, (height - inner[1]) // 2
    frame[oy : oy + inner[1], ox : ox + inner[0]] = small[:, :, ::-1]
    return frame


def slideshow(
    path: Path,
    photos: Sequence[Path],
    seconds: float = 3.0,
    fps: float = 10.0,
    size: tuple[int, int] = (640, 360),
    fourcc: str = "mp4v",
) -> Path:
    """Write a slideshow of `photos`, `seconds` each, and return `path`."""
    import cv2
    import numpy as np
    from PIL import Image

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {fourcc} to {path.name}")
    per_photo = round(seconds * fps)
    try:
        for photo in photos:
            image = Image.open(photo).convert("RGB")
            image.thumbnail((1600, 1600))
            rgb = np.asarray(image)
            for i in range(per_photo):
                writer.write(_fit(rgb, size, 1.0 + 0.08 * i / per_photo))
    finally:
        writer.release()
    return path


def reencode(
    source: Path,
    path: Path,
    fourcc: str,
    size: tuple[int, int] | None = None,
    crop: float = 0.0,
    start: float = 0.0,
) -> Path:
    """Read `source` back and write it again: cropped by `crop` of each side, scaled
    to `size`, from `start` seconds on, with `fourcc`."""
    import cv2

    reader = cv2.VideoCapture(str(source))
    fps = reader.get(cv2.CAP_PROP_FPS)
    writer = None
    index = 0
    try:
        while True:
            ok, frame = reader.read()
            if not ok:
                break
            index += 1
            if (index - 1) / fps < start - 1e-6:
                continue
            h, w = frame.shape[:2]
            dy, dx = round(h * crop), round(w * crop)
            frame = frame[dy : h - dy, dx : w - dx]
            out = size or (frame.shape[1], frame.shape[0])
            frame = cv2.resize(frame, out, interpolation=cv2.INTER_AREA)
            if writer is None:
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, out)
            writer.write(frame)
    finally:
        reader.release()
        if writer is not None:
            writer.release()
    return path


def frame_at(source: Path, seconds: float):  # type: ignore[no-untyped-def]
    """The RGB frame shown at `seconds` (read through, not seeked)."""
    import cv2

    reader = cv2.VideoCapture(str(source))
    fps = reader.get(cv2.CAP_PROP_FPS)
    try:
        for index in range(10**6):
            ok, frame = reader.read()
            if not ok:
                raise ValueError(f"{source.name} is shorter than {seconds} s")
            if index / fps >= seconds - 1e-6:
                return frame[:, :, ::-1].copy()
    finally:
        reader.release()
    raise AssertionError("unreachable")
