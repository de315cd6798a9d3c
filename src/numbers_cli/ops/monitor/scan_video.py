"""Videos in a scan: sampled frames are matched like images, then each registered
asset a video shows becomes one finding, with the times it was seen.

A video is decoded on the scan's reading thread, one frame at a time
(`monitor.video`: a frame every STEP seconds, at most MAX_SAMPLES); each
sampled frame goes to the matching pool like an image, and a `VideoEnd`
marker follows the last one. The scan consumes results in order, so when it
reaches the marker every frame's matches are in, and the video's findings
are made: per asset, the best-scoring frame gives the score, transform and
`time` (and `registeredTime` when the asset is itself a video), and `frames`
lists every sampled frame that matched, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import UnreadableImage
from numbers_cli.monitor.sources import FoundVideo

if TYPE_CHECKING:
    from numbers_cli.monitor.matcher import Match
    from numbers_cli.monitor.video import Frame

#: Seconds between the frames a scan samples, and the most it samples from one video.
STEP = 1.0
MAX_SAMPLES = 3600
#: A copy of a registered video whose first match is this much further into the
#: registered video than into the copy starts at a later point of it: "trim".
TRIM_OFFSET = 2.0


@dataclass
class VideoScan:
    """One video source being scanned: frames sampled, what they matched, what failed."""

    found: FoundVideo
    frames: int = 0
    error: str | None = None
    hits: dict[str, list[tuple[float, Match]]] = field(default_factory=dict)

    def add(self, time: float, matches: list[Match], min_score: float) -> None:
        self.frames += 1
        for m in matches:
            if m.score >= min_score:
                self.hits.setdefault(m.nid, []).append((time, m))

    def best(self) -> Iterator[tuple[Match, dict[str, Any]]]:
        """Per matched asset (best first): the best frame's match, and the video fields
        its finding adds."""
        ranked = sorted(self.hits.values(), key=lambda hits: -max(m.score for _, m in hits))
        for hits in ranked:
            time, match = max(hits, key=lambda hit: (hit[1].score, hit[1].inliers, -hit[0]))
            transform = list(match.transform)
            registered = [m.time for _, m in hits if m.time is not None]
            if registered and min(registered) - hits[0][0] >= TRIM_OFFSET:
                transform.append("trim")
            extra = {
                "media": "video",
                "time": time,
                "registeredMedia": "image" if match.time is None else "video",
                "registeredTime": match.time,
                "frames": [
                    {"time": t, "registeredTime": m.time, "score": m.score} for t, m in hits
                ],
            }
            yield _with_transform(match, transform), extra


def _with_transform(match: Match, transform: list[str]) -> Match:
    from dataclasses import replace

    return replace(match, transform=transform)


@dataclass(frozen=True)
class FrameItem:
    """One sampled frame on its way to the matching pool."""

    scan: VideoScan
    frame: Frame

    @property
    def source(self) -> str:
        return self.scan.found.source


@dataclass(frozen=True)
class VideoEnd:
    """Follows a video's last frame: its findings can be made."""

    scan: VideoScan

    @property
    def source(self) -> str:
        return self.scan.found.source


def frame_items(found: FoundVideo) -> Iterator[FrameItem | VideoEnd]:
    """The video's sampled frames, then its end marker; a decoding failure is kept
    on the VideoScan (frames that decoded before it are still matched)."""
    from numbers_cli.monitor.video import VideoReader

    scan = VideoScan(found)
    try:
        with VideoReader(found.path, found.source) as reader:
            for frame in reader.frames(STEP, MAX_SAMPLES):
                yield FrameItem(scan, frame)
    except UnreadableImage as exc:
        scan.error = exc.message.removeprefix(f"{found.source}: ")
    finally:
        found.discard()
    yield VideoEnd(scan)


def image_fields(match: Match) -> dict[str, Any]:
    """The video fields of a finding in an image source (a still may show a
    registered video's frame)."""
    return {
        "media": "image",
        "time": None,
        "registeredMedia": "image" if match.time is None else "video",
        "registeredTime": match.time,
        "frames": [],
    }
