"""Which frames of a registered video go into the index: scene changes among
the frames sampled at a fixed rate.

The video is sampled like a scan samples it (`monitor.video`: a frame every
STEP seconds, the step widened past MAX_SAMPLES), and a sampled frame is kept
when its print is more than SCENE_DISTANCE bits from the last kept frame's,
i.e. when the picture changed as much as a print match tolerates: a static
shot is indexed once, a pan or a cut again. Flat frames (black, white, one
colour: PDQ quality under FLAT_QUALITY) are never kept; they would match any
fade. At most MAX_KEPT frames are kept per video. Each kept frame carries its
time, so a finding can say where in the registered video the match is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from numbers_cli.monitor.fingerprint import Fingerprint

#: Print distance from the last kept frame above which a frame is a new scene
#: (PDQ's usual match threshold: closer frames already match the kept one).
SCENE_DISTANCE = 31
#: Frames whose PDQ quality is below this are flat and not indexed.
FLAT_QUALITY = 10
#: Most frames indexed per video.
MAX_KEPT = 1000
#: Seconds between sampled frames, and the most sampled (see monitor.video).
STEP = 1.0
MAX_SAMPLES = 3600


class KeptFrames:
    """Iterate to get (time, fingerprint) of the kept frames; afterwards `sampled`
    says how many were looked at and `truncated` why the file ended early (the
    frames before that are kept), or None."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self.sampled = 0
        self.truncated: str | None = None

    def __iter__(self) -> Iterator[tuple[float, Fingerprint]]:
        from numbers_cli.monitor import fingerprint as fpr
        from numbers_cli.monitor.video import VideoReader, VideoTruncated

        last = None
        kept = 0
        with VideoReader(self.path, self.what) as reader:
            try:
                for frame in reader.frames(STEP, MAX_SAMPLES):
                    self.sampled += 1
                    prints, quality = fpr.registered_prints(frame.pixels)
                    if quality < FLAT_QUALITY:
                        continue
                    if last is not None and fpr.hamming(prints[0], last) <= SCENE_DISTANCE:
                        continue
                    last = prints[0]
                    features = fpr.features(frame.pixels)
                    thumb = fpr.thumbnail(frame.pixels)
                    yield frame.time, fpr.Fingerprint(prints, quality, features, thumb)
                    kept += 1
                    if kept >= MAX_KEPT:
                        return
            except VideoTruncated as exc:
                self.truncated = exc.message.removeprefix(f"{self.what}: ")
