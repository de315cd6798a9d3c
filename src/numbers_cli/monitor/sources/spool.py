"""Downloaded videos wait on disk, not in memory, until they are decoded.

A web or IPFS body is read in pieces; its first bytes (or a `video/*` content
type) say whether it is a video. An image is kept in memory (at most
MAX_IMAGE_BYTES); a video is written to a file in a private directory under
`.numbers/monitor/` (at most MAX_VIDEO_BYTES), which the scan removes when it
has decoded it, and the whole directory when the scan ends. A scan killed
mid-way leaves its directory behind; the next scan removes directories whose
process is gone.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from numbers_cli.monitor.sources import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES
from numbers_cli.monitor.video import looks_like_video

_PREFIX = "spool-"


class SpoolError(Exception):
    """A body went past its cap; the message says which."""


class Spool:
    """A scan's directory for downloaded videos; `close()` removes it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir: Path | None = None

    def _directory(self) -> Path:
        if self._dir is None:
            self.root.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.root)
            self._dir = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=self.root))
        return self._dir

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def collect(
        self,
        chunks: Iterator[bytes],
        content_type: str = "",
        image_cap: int = MAX_IMAGE_BYTES,
        on_video: Callable[[], None] | None = None,
        video_cap: int | None = -1,
    ) -> bytes | Path:
        """The body: its bytes, or the path of the file a video was written to.

        `video_cap`: most bytes of a video (default MAX_VIDEO_BYTES; None: no cap,
        for the repository's own assets)."""
        if video_cap == -1:
            video_cap = MAX_VIDEO_BYTES
        first = next(chunks, b"")
        if not (looks_like_video(first[:512]) or content_type.lower().startswith("video/")):
            parts, size = [first], len(first)
            if size > image_cap:
                raise SpoolError(f"larger than {_mib(image_cap)}")
            for chunk in chunks:
                size += len(chunk)
                if size > image_cap:
                    raise SpoolError(f"larger than {_mib(image_cap)}")
                parts.append(chunk)
            return b"".join(parts)
        if on_video is not None:
            on_video()
        fd, name = tempfile.mkstemp(suffix=".video", dir=self._directory())
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                size = 0
                for piece in itertools.chain([first], chunks):
                    size += len(piece)
                    if video_cap is not None and size > video_cap:
                        raise SpoolError(f"video larger than {_mib(video_cap)}")
                    out.write(piece)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path


def _remove_stale(root: Path) -> None:
    """Spool directories of scans that are no longer running."""
    for folder in root.glob(f"{_PREFIX}*"):
        pid = folder.name.removeprefix(_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mib(size: int) -> str:
    if size >= 2**30:
        return f"{size / 2**30:g} GiB"
    return f"{size / 2**20:g} MiB"
