"""What `nit stamp` is asked to stamp: files, files under directories (`-r`),
or standard input, each read once for its Nid, sha256 and MIME type.

Reading is one streaming pass per artifact (memory bounded by a chunk, even
for `tar c dist | nit stamp -`). With a block sink (the batch's pack: the
content is kept) every block lands in the repository as it is read; without
one (hash-only) the content goes nowhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.errors import UsageError
from numbers_cli.metadata import metadata_of_open, open_regular
from numbers_cli.metadata.mime import SNIFF_BYTES, mime_from_head
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.unixfs import BlockSink, NidBuilder, read_chunks
from numbers_cli.ops.add_paths import expand

__all__ = ["HashedArtifact", "Input", "hash_input", "plan_inputs"]

#: What `--name` defaults to for standard input.
STDIN_NAME = "stdin"


@dataclass(frozen=True)
class Input:
    """One artifact to read: a file (`path`), or the stream `stdin` under `name`."""

    name: str
    path: Path | None = None
    stdin: BinaryIO | None = None


@dataclass(frozen=True)
class HashedArtifact:
    name: str
    nid: Nid
    sha256: str
    size: int
    mime: str
    created: int | None = None
    location: str | None = None
    camera: dict[str, str] = field(default_factory=dict)


def _name(path: str, cwd: str) -> str:
    """How an artifact is listed: its path below the current directory, else whole.

    `path` is absolute already (named files are joined to `cwd`, walked ones
    resolved), and plain string work: no `resolve()` or `Path` parsing per
    artifact, which cost more than reading a small one.
    """
    prefix = cwd.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def _named(text: str, cwd: str) -> str:
    """A file named on the command line, as an absolute path (symlinks kept: the
    name is what the user typed). Missing or odd ones fail as `nit add` fails."""
    path = os.path.normpath(os.path.join(cwd, text))
    if os.path.isfile(path):
        return path
    return str(next(iter(expand([Path(path)], Path(cwd), lambda message: None))).path)


def plan_inputs(
    paths: list[str],
    *,
    stdin: BinaryIO | None,
    name: str | None,
    recursive: bool,
    batch_size: int,
    cwd: Path,
    root: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Input]:
    """The artifacts named on the command line, checked before anything is read.

    A directory needs `-r`; `-` (standard input) stands alone; `--name` names
    only standard input; more artifacts than `batch_size` is refused (a stamp is
    one batch, one registration). Below a directory, what `nit add` skips is
    skipped, with a `warn`ing (`root`: the repository; symlinks out of it are
    skipped). Nothing is read or written here.
    """
    if not paths:
        raise UsageError("nothing to stamp: name files, or - for standard input")
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("- (standard input) cannot be stamped together with files")
        if stdin is None:
            raise UsageError("no standard input to read")
        label = name if name is not None else STDIN_NAME
        if not label.strip():
            raise UsageError("--name must not be empty")
        return [Input(label, stdin=stdin)]
    if name is not None:
        raise UsageError("--name names the artifact read from standard input (-)")
    found: list[str] = []
    here = str(cwd)
    for text in paths:
        if not os.path.isdir(os.path.join(here, text)):
            found.append(_named(text, here))
            continue
        if not recursive:
            raise UsageError(f"{text} is a directory; use -r to stamp the files in it")
        walked = expand([Path(here, text)], root or cwd, warn or (lambda message: None))
        found += [str(f.path) for f in walked]
    files = list(dict.fromkeys(found))
    if not files:
        raise UsageError("nothing to stamp: no files found")
    if len(files) > batch_size:
        raise UsageError(
            f"{len(files)} artifacts do not fit one batch of {batch_size}: "
            "a stamp is one registration; raise --batch-size or stamp them in parts"
        )
    return [Input(_name(path, here), path=Path(path)) for path in files]


def _hash(f: BinaryIO, sink: BlockSink | None) -> tuple[Nid, str, int, bytes]:
    """(Nid, sha256 hex, size, first bytes) of a stream, its blocks to `sink`.

    Each chunk is hashed once: its sha256 names its raw block, and for the
    usual build artifact (one chunk, up to 256 KiB) it is also the file's
    sha256, so a second pass over the bytes is only made for larger files.
    """
    builder = NidBuilder(sink)  # the sink gets interior nodes from it, leaves from us
    first: bytes | None = None
    first_digest = b""
    whole: Any = None
    for chunk in read_chunks(f):
        digest = hashlib.sha256(chunk).digest()
        cid = RAW_PREFIX + digest
        if sink is not None:
            sink(cid, chunk)
        builder.add_leaf(cid, len(chunk))
        if first is None:
            first, first_digest = chunk, digest
            continue
        if whole is None:
            whole = hashlib.sha256(first)
        whole.update(chunk)
    nid = builder.finish()
    if first is None:
        return nid, hashlib.sha256(b"").hexdigest(), 0, b""
    sha = whole.hexdigest() if whole is not None else first_digest.hex()
    return nid, sha, builder.size, bytes(first[:SNIFF_BYTES])


def hash_input(item: Input, sink: BlockSink | None) -> HashedArtifact:
    """Read one artifact once: Nid, sha256 and size (blocks to `sink`), plus its
    metadata (the same reader `nit add` uses, for files)."""
    if item.stdin is not None:
        nid, sha, size, head = _hash(item.stdin, sink)
        if size == 0:
            raise UsageError("standard input is empty: nothing to stamp")
        return HashedArtifact(item.name, nid, sha, size, mime_from_head(head, item.name))
    assert item.path is not None
    # One open: metadata from the head (the reader `nit add` uses; it refuses what is
    # not a regular file, in one clear line), then the bytes from the start.
    with open_regular(item.path) as f:
        meta = metadata_of_open(f, item.path)
        f.seek(0)
        nid, sha, size, _head = _hash(f, sink)
    return HashedArtifact(
        item.name, nid, sha, size, meta.mime, meta.created, meta.location, dict(meta.camera)
    )
