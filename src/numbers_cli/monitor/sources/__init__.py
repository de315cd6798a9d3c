"""Where a scan finds images: one small module per kind of place.

Every source yields `FoundImage` (the bytes of one image and where it was) or
`SourceError` (what could not be read, in one line): a bad place never stops
a scan. The sources do not decode images; `monitor.image` does, for all.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Largest image file any source hands over (a 100 MP JPEG is about 40 MB).
MAX_IMAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FoundImage:
    source: str  # what a finding names: a path, an image URL, ipfs://CID, nft://...
    data: bytes
    page: str | None = None  # the HTML page the image was found on
    place_owner: str | None = None  # the address owning the place (an NFT's owner)


@dataclass(frozen=True)
class SourceError:
    source: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "error": self.message}
