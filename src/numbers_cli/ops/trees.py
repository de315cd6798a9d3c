"""Loading commits and trees from the store, shared by every read operation.

Every function reads the local store only, unless given a `source`: then an
object missing locally is fetched through it (verified, and kept), and the
read goes on. `ops.blocks.source_for(repo, config)` builds one from the
configured remote; callers that pass nothing keep the local-only behaviour.
A document (a commit's tree, a profile) fetched whole through a source may not
declare more than MAX_DOCUMENT_BYTES: a remote's root cannot make nit store a
terabyte to read a tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from numbers_cli.errors import NotFound
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.repo.repository import Repository

#: Largest document (tree, profile, manifest) fetched whole from a remote to be read.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

if TYPE_CHECKING:  # imported by load_commit: `nit add` reads trees, and no commit of a new file
    from numbers_cli.model.commit import Commit


class ObjectSource(Protocol):
    """Somewhere missing objects can be fetched from (`ops.blocks.RemoteObjects`)."""

    def fetch(self, cid: Nid, *, whole: bool = True, max_size: int | None = None) -> Any:
        """Make `cid` local and verified: its whole file DAG (bounded by the size its
        root declares, refused if that is over `max_size`), or with `whole=False`
        one block."""
        ...


def get_block(
    repo: Repository,
    cid: Nid,
    source: ObjectSource | None = None,
    *,
    max_size: int | None = MAX_DOCUMENT_BYTES,
) -> bytes:
    """A verified block from the store, fetched through `source` first if it is
    missing (with the whole DAG it roots, if it declares at most `max_size`)."""
    try:
        return repo.objects.get(cid)
    except NotFound:
        if source is None:
            raise
    source.fetch(cid, max_size=max_size)
    return repo.objects.get(cid)


def load_commit(repo: Repository, commit_nid: Nid, source: ObjectSource | None = None) -> Commit:
    from numbers_cli.model.commit import Commit

    return Commit.from_json(get_block(repo, commit_nid, source))


def tree_of(repo: Repository, commit: Commit, source: ObjectSource | None = None) -> AssetTree:
    """The AssetTree a commit signed (a tree may span blocks, like any file)."""
    return AssetTree.from_bytes(read_file(repo, commit.tree_cid, source))


def load_tree(repo: Repository, commit_nid: Nid, source: ObjectSource | None = None) -> AssetTree:
    return tree_of(repo, load_commit(repo, commit_nid, source), source)


def read_file(repo: Repository, nid: Nid, source: ObjectSource | None = None) -> bytes:
    """Whole content of a small file object (a raw block or a UnixFS DAG)."""
    return b"".join(iter_file(repo, nid, source))


def iter_file(
    repo: Repository,
    nid: Nid,
    source: ObjectSource | None = None,
    *,
    max_size: int | None = MAX_DOCUMENT_BYTES,
) -> Iterator[bytes]:
    """Stream a file's content block by block, every block verified; what is fetched
    through `source` may declare at most `max_size` (None: any size). Walked with a
    stack, not recursion: a valid DAG may be thousands of levels deep."""
    from numbers_cli.model.unixfs import LinkWalk, decode_file_node

    block = get_block(repo, nid, source, max_size=max_size)
    if nid.is_raw:
        yield block
        return
    node = decode_file_node(block)
    if node.data:
        yield node.data
    walk = LinkWalk(node.links)
    for link in walk:
        child = Nid.from_bytes(link.cid)
        block = get_block(repo, child, source, max_size=max_size)
        if child.is_raw:
            yield block
            continue
        inner = decode_file_node(block)
        if inner.data:
            yield inner.data
        walk.descend(inner.links)
