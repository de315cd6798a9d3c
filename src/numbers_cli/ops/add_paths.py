"""Which files `nit add PATH...` means, and what it skips below a directory.

A file named on its own must be addable (else the add fails with its error).
Below a directory, what cannot be an asset is skipped with a warning naming
it, and the add goes on: a dangling symlink, a symlink leading out of the
repository, a FIFO, socket or device, a folder that cannot be listed (and, when
it is opened, a file that cannot be read). Hidden entries and nit's and other
tools' folders are skipped silently, as before.

Directories are walked from their resolved path, so the files found need no
further `resolve()` (one `lstat` each, from `os.scandir`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.errors import UsageError
from numbers_cli.model.names import quote_path

SKIP_DIRS = {".numbers", ".git", "node_modules", "__pycache__"}

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


@dataclass(frozen=True)
class Found:
    path: Path  # resolved
    walked: bool  # found below a directory (skip with a warning) or named (fail)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _shown(path: Path, root: Path) -> str:
    try:
        return quote_path(path.relative_to(root).as_posix())
    except ValueError:
        return quote_path(str(path))


def expand(paths: Iterable[Path], root: Path, warn: Callable[[str], None]) -> Iterator[Found]:
    """Files named, and files below directories named (hidden entries skipped)."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path.resolve(), root, warn)
        elif path.exists():
            yield Found(path.resolve(), False)
        elif path.is_symlink():
            raise UsageError(f"{quote_path(str(path))}: a dangling symlink")
        else:
            raise UsageError(f"{quote_path(str(path))}: no such file or directory")


def _walk(top: Path, root: Path, warn: Callable[[str], None]) -> Iterator[Found]:
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            warn(f"skipped {_shown(folder, root)}/: cannot read the folder ({exc.strerror})")
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                warn(f"skipped {_shown(path, root)}: {exc.strerror}")
                continue
            if stat.S_ISDIR(mode):
                if entry.name not in SKIP_DIRS:
                    subdirs.append(path)
            elif stat.S_ISREG(mode):
                yield Found(path, True)
            elif stat.S_ISLNK(mode):
                found = _follow(path, root, warn)
                if found is not None:
                    yield found
            else:
                kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
                warn(f"skipped {_shown(path, root)}: {kind}")
        stack.extend(reversed(subdirs))


def _follow(link: Path, root: Path, warn: Callable[[str], None]) -> Found | None:
    """A symlink below a directory: its target if that is a regular file in the repository."""
    target = link.resolve()
    shown = _shown(link, root)
    if not target.exists():
        warn(f"skipped {shown}: a dangling symlink")
        return None
    if not _inside(target, root):
        warn(f"skipped {shown}: a symlink out of the repository (to {quote_path(str(target))})")
        return None
    if target.is_dir():
        return None  # its files are reached (or skipped) where they are
    if not target.is_file():
        warn(f"skipped {shown}: a symlink to something that is not a regular file")
        return None
    return Found(target, True)
