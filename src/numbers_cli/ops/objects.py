"""Plumbing for scripts: `nit hash` (Nid of a file, no repository needed) and
`nit cat` (an object's bytes, or a whole file reassembled from its blocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from numbers_cli.model.nid import Nid
from numbers_cli.ops.ingest import nid_of_file, nid_of_stream

if TYPE_CHECKING:  # `nit hash` reads no repository: it does not import one
    from numbers_cli.ops.trees import ObjectSource
    from numbers_cli.repo.repository import Repository


def hash_file(path: Path, advance: Callable[[int], None] | None = None) -> Nid:
    return nid_of_file(path, advance)


def hash_stream(stream: BinaryIO, advance: Callable[[int], None] | None = None) -> Nid:
    """The Nid of what a stream holds (`nit hash -`: standard input)."""
    return nid_of_stream(stream, advance)


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
    from numbers_cli.ops.trees import iter_file

    nid = repo.resolve_asset(cid)
    if source is not None and not repo.objects.has(nid):
        source.fetch(nid, whole=not raw_block)
    if raw_block:
        yield repo.objects.get(nid)
        return
    yield from iter_file(repo, nid, source, max_size=None)  # fetched above, bounded by its root
