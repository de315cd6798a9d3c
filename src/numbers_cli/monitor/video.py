"""Video files to sampled frames, safely: the only place the monitor decodes video.

Decoding is OpenCV's `VideoCapture` over the FFmpeg that opencv-python-headless
bundles (no system FFmpeg, no new dependency). Frames are read one at a time
from the file and dropped once sampled, so memory stays flat however long the
video is.

**Sampling: a fixed rate, with a cap.** One frame every `step` seconds of
presentation time (the first frame at 0 s), by the frames' own timestamps
(frame number / frame rate when a container has none). When the header's
duration says there would be more than `max_samples` of them, the step is
widened so there are not: a 10-hour video is sampled every 10 s, not every
second. Indexing keeps, among those, only the frames that differ from the last
kept one (`monitor.keyframes`); a scan matches every sampled frame.

Everything a hostile file can do is bounded before or while frames are read:
only container formats sniffed by their first bytes are opened, and FFmpeg is
told to read only the file itself and only those formats (no playlist that
reaches for other files or the network); the frame size, the frame count and
the duration in the header are checked against caps before any frame is
decoded, and again while decoding (a header may lie); a file that ends before
its header said it would is reported as truncated, after the frames it did
have were used. FFmpeg's own log lines are silenced: errors are one line each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from numbers_cli.errors import UnreadableImage

if TYPE_CHECKING:
    from numbers_cli.monitor.image import Pixels

#: Longest frame side accepted (8K DCI is 8192 x 4320).
MAX_SIDE = 8192
#: Most pixels per frame accepted.
MAX_FRAME_PIXELS = 36_000_000
#: Longest video accepted, in seconds (header and decoded timestamps both).
MAX_DURATION = 6 * 3600.0
#: Most frames accepted (header and decoded both): six hours at 46 frames/s.
MAX_FRAMES = 1_000_000
#: Seconds between sampled frames.
STEP = 1.0
#: Most frames sampled from one video (the step widens to stay under it).
MAX_SAMPLES = 3600
#: A header frame rate outside this range is not believed (timestamps are used).
_FPS_RANGE = (0.1, 1000.0)

#: Container formats FFmpeg may open (its demuxer names) and sniffed signatures.
_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv,mpeg"
_CAPTURE_OPTIONS = f"protocol_whitelist;file|format_whitelist;{_FORMATS}"


class VideoTruncated(UnreadableImage):
    """The file ended (or broke) before its header said; the frames before were used."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float  # 0 when the header has no believable rate
    frames: int  # from the header; 0 when unknown
    duration: float  # seconds, from the header; 0 when unknown


@dataclass(frozen=True)
class Frame:
    time: float  # seconds of presentation time
    pixels: Pixels


def looks_like_video(head: bytes) -> bool:
    """Whether a file's first bytes are those of a container format read here:
    MP4/QuickTime/3GP (`ftyp`, `moov`, `mdat`, `wide`, `free` boxes), Matroska/WebM,
    AVI, FLV, MPEG transport and program streams."""
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return True
    if head.startswith((b"\x1a\x45\xdf\xa3", b"FLV\x01", b"\x00\x00\x01\xba")):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    # MPEG-TS: 188-byte packets, each starting with the sync byte 0x47 ('G')
    return len(head) > 376 and head[0] == head[188] == head[376] == 0x47


def _cv2():  # type: ignore[no-untyped-def]
    """OpenCV, with FFmpeg quiet and held to local files of the formats above (the
    variables are read by each VideoCapture open, so setting them here is enough)."""
    os.environ["OPENCV_FFMPEG_LOGLEVEL"] = "-8"  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = _CAPTURE_OPTIONS
    import cv2

    return cv2


class VideoReader:
    """One video file, opened and checked; `frames()` samples it. Close when done."""

    def __init__(self, path: Path, what: str) -> None:
        self.what = what
        try:
            with path.open("rb") as f:
                head = f.read(512)
        except OSError as exc:
            raise UnreadableImage(f"{what}: {exc.strerror or exc}") from None
        if not head:
            raise UnreadableImage(f"{what}: empty file (0 bytes)")
        if not looks_like_video(head):
            raise UnreadableImage(f"{what}: not a video container nit reads (MP4, MOV, MKV, ...)")
        cv2 = _cv2()
        self._cv2 = cv2
        self._capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            self.close()
            raise UnreadableImage(f"{what}: truncated or corrupt video (cannot be opened)")
        try:
            self.info = self._probe()
        except BaseException:
            self.close()  # refused by the caps: the decoder is released now, not at GC
            raise

    def close(self) -> None:
        capture = getattr(self, "_capture", None)
        if capture is not None:
            capture.release()
            self._capture = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _probe(self) -> VideoInfo:
        cv2, capture = self._cv2, self._capture
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        if not _FPS_RANGE[0] <= fps <= _FPS_RANGE[1] or not math.isfinite(fps):
            fps = 0.0
        frames = int(frames) if math.isfinite(frames) and frames > 0 else 0
        duration = frames / fps if fps and frames else 0.0
        info = VideoInfo(width, height, fps, frames, duration)
        self._check(info)
        return info

    def _check(self, info: VideoInfo) -> None:
        what = self.what
        if min(info.width, info.height) < 16:
            raise UnreadableImage(f"{what}: {info.width}x{info.height} px frames are too small")
        if max(info.width, info.height) > MAX_SIDE:
            raise UnreadableImage(
                f"{what}: {info.width}x{info.height} px frames are longer than {MAX_SIDE:,} px"
            )
        if info.width * info.height > MAX_FRAME_PIXELS:
            raise UnreadableImage(
                f"{what}: {info.width}x{info.height} px frames are more than "
                f"{MAX_FRAME_PIXELS:,} pixels"
            )
        if info.frames > MAX_FRAMES:
            raise UnreadableImage(
                f"{what}: its header claims {info.frames:,} frames, more than {MAX_FRAMES:,}"
            )
        if info.duration > MAX_DURATION:
            raise UnreadableImage(
                f"{what}: its header claims {_hours(info.duration)}, "
                f"more than {_hours(MAX_DURATION)}"
            )

    def step_for(self, step: float, max_samples: int) -> float:
        """`step`, widened so that a video as long as its header says gives at most
        `max_samples` frames."""
        if self.info.duration and self.info.duration / step > max_samples:
            return self.info.duration / max_samples
        return step

    def frames(self, step: float = STEP, max_samples: int = MAX_SAMPLES) -> Iterator[Frame]:
        """See `_frames`; OpenCV's own errors become one-line UnreadableImage."""
        try:
            yield from self._frames(step, max_samples)
        except self._cv2.error as exc:
            reason = str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else "error"
            raise UnreadableImage(f"{self.what}: truncated or corrupt video ({reason})") from None
        except MemoryError:
            raise UnreadableImage(f"{self.what}: a frame does not fit in memory") from None

    def _frames(self, step: float, max_samples: int) -> Iterator[Frame]:
        """One frame every `step` seconds (see the module docstring), in order.

        Raises VideoTruncated after the last good frame when the file ends well
        before its header said, and UnreadableImage when it decodes nothing or goes
        past the caps (frames sampled before that were yielded)."""
        cv2, capture, what = self._cv2, self._capture, self.what
        step = self.step_for(step, max_samples)
        fps = self.info.fps
        decoded = sampled = 0
        due = 0.0
        last = -1.0
        while capture.grab():
            decoded += 1
            if decoded > MAX_FRAMES:
                raise UnreadableImage(f"{what}: more than {MAX_FRAMES:,} frames; stopped there")
            stamp = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(stamp) or stamp < 0 or stamp <= last:
                # no usable timestamp: the frame's number and the rate tell the time
                stamp = (decoded - 1) / fps if fps else max(last, 0.0) + 1 / 30
            last = stamp
            if stamp > MAX_DURATION:
                raise UnreadableImage(f"{what}: longer than {_hours(MAX_DURATION)}; stopped there")
            if stamp + 1e-6 < due:
                continue
            ok, bgr = capture.retrieve()
            if not ok or bgr is None:
                continue
            sampled += 1
            yield Frame(round(stamp, 3), _pixels(cv2, bgr, self.info))
            if sampled >= max_samples:
                return
            while due <= stamp + 1e-6:
                due += step
        if decoded == 0:
            raise UnreadableImage(f"{what}: truncated or corrupt video (no frame decodes)")
        expected = self.info.frames
        if expected and decoded < 0.9 * expected and expected - decoded > 1:
            raise VideoTruncated(
                f"{what}: truncated or corrupt video: {decoded:,} of the {expected:,} frames "
                f"its header lists decode (up to {last:.1f} s)"
            )


def _pixels(cv2, bgr, info: VideoInfo) -> Pixels:  # type: ignore[no-untyped-def]
    """A decoded frame as Pixels: RGB at most WORK_SIDE long (the original size kept)."""
    import numpy as np

    from numbers_cli.monitor.image import WORK_SIDE, Pixels

    h, w = bgr.shape[:2]
    if max(h, w) > WORK_SIDE:
        factor = WORK_SIDE / max(h, w)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    return Pixels(rgb, w, h)


def _hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} h"
    return f"{seconds:,.0f} s"
