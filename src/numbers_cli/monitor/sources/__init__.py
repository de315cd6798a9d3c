"""Where a scan finds images and videos: one small module per kind of place.

Every source yields `FoundImage` (the bytes of one image and where it was),
`FoundVideo` (a video file on disk: a local file as it is, a downloaded one
spooled under `.numbers/monitor/`, see `spool`) or `SourceError` (what could
not be read, in one line): a bad place never stops a scan. The sources do
not decode; `monitor.image` and `monitor.video` do, for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Largest image file any source hands over (a 100 MP JPEG is about 40 MB).
MAX_IMAGE_BYTES = 64 * 1024 * 1024
#: Largest video a source downloads to decode (web, IPFS); local files are read in place.
MAX_VIDEO_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class FoundImage:
    source: str  # what a finding names: a path, an image URL, ipfs://CID, nft://...
    data: bytes
    page: str | None = None  # the HTML page the image was found on
    place_owner: str | None = None  # the address owning the place (an NFT's owner)


@dataclass(frozen=True)
class FoundVideo:
    source: str  # what a finding names: a path, a video URL, ipfs://CID
    path: Path  # the file to decode
    page: str | None = None
    place_owner: str | None = None
    temporary: bool = False  # a spooled download: removed once scanned

    def discard(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SourceError:
    source: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "error": self.message}
