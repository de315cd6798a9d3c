"""Images and videos in files and directories.

A file named on the command line is always read (a non-image is reported);
in a directory, walked recursively without following symlinks, only files
whose first bytes are an image or video signature are read, so a folder of
mixed content does not fill the report with its text files. A video is
handed over as its path (decoded in place, never read into memory). Hidden entries,
`.numbers` and `.git` are skipped, like `nit add` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from numbers_cli.monitor.image import looks_like_image
from numbers_cli.monitor.sources import MAX_IMAGE_BYTES, FoundImage, FoundVideo, SourceError
from numbers_cli.monitor.video import looks_like_video

_SKIP_DIRS = {".numbers", ".git", "node_modules"}


def read_path(path: Path, shown: str) -> Iterator[FoundImage | FoundVideo | SourceError]:
    """The image or video at `path`, or every one under it when it is a directory."""
    if path.is_dir():
        yield from _walk(path, shown)
    else:
        yield _read(path, shown, sniff=False)


def image_files(root: Path) -> Iterator[Path]:
    """Files under `root` that look like images or videos, in a stable order."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                with path.open("rb") as f:
                    head = f.read(512)
            except OSError:
                continue
            if looks_like_image(head) or looks_like_video(head):
                yield path


def _walk(root: Path, shown: str) -> Iterator[FoundImage | FoundVideo | SourceError]:
    for path in image_files(root):
        relative = path.relative_to(root).as_posix()
        yield _read(path, f"{shown.rstrip('/')}/{relative}", sniff=True)


def _read(path: Path, shown: str, *, sniff: bool) -> FoundImage | FoundVideo | SourceError:
    try:
        with path.open("rb") as f:
            head = f.read(512)
        if not head:
            return SourceError(shown, "empty file (0 bytes)")
        if looks_like_video(head) and not looks_like_image(head):
            return FoundVideo(shown, path)
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return SourceError(shown, f"larger than {MAX_IMAGE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except FileNotFoundError:
        return SourceError(shown, "no such file")
    except IsADirectoryError:
        return SourceError(shown, "a directory")
    except OSError as exc:
        return SourceError(shown, exc.strerror or str(exc))
    return FoundImage(shown, data)
