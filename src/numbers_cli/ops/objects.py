"""Plumbing for scripts: `nit hash` (Nid of a file, no repository needed) and
`nit cat` (an object's bytes, or a whole file reassembled from its blocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from numbers_cli.model.nid import Nid, raw_cid_bytes
from numbers_cli.model.unixfs import NidBuilder, read_chunks
from numbers_cli.ops.ingest import nid_of_file
from numbers_cli.ops.trees import ObjectSource, iter_file
from numbers_cli.repo.repository import Repository


def hash_file(path: Path, advance: Callable[[int], None] | None = None) -> Nid:
    return nid_of_file(path, advance)


def hash_stream(stream: BinaryIO, advance: Callable[[int], None] | None = None) -> Nid:
    """Nid of everything `stream` yields (`nit hash -`: standard input), nothing kept.

    One pass in chunks, so memory stays constant however much is piped in;
    a pipe is as fast as its writer, so there is no second hashing thread.
    """
    builder = NidBuilder()
    for chunk in read_chunks(stream):
        builder.add_leaf(raw_cid_bytes(chunk), len(chunk))
        if advance:
            advance(len(chunk))
    return builder.finish()


def cat(
    repo: Repository,
    cid: str,
    *,
    raw_block: bool = False,
    source: ObjectSource | None = None,
) -> Iterator[bytes]:
    """Verified bytes: the block itself with `raw_block`, else the file it roots.

    With a `source` (see `ops.blocks.source_for`), what is missing locally is
    fetched first, verified, and kept: the whole file, or with `raw_block` the
    one block.
    """
    nid = repo.resolve_asset(cid)
    if source is not None and not repo.objects.has(nid):
        source.fetch(nid, whole=not raw_block)
    if raw_block:
        yield repo.objects.get(nid)
        return
    yield from iter_file(repo, nid, source)
