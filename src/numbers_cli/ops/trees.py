"""Loading commits and trees from the store, shared by every read operation."""

from __future__ import annotations

from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.repo.repository import Repository


def load_commit(repo: Repository, commit_nid: Nid) -> Commit:
    return Commit.from_json(repo.objects.get(commit_nid))


def tree_of(repo: Repository, commit: Commit) -> AssetTree:
    """The AssetTree a commit signed (a tree may span blocks, like any file)."""
    return AssetTree.from_bytes(read_file(repo, commit.tree_cid))


def load_tree(repo: Repository, commit_nid: Nid) -> AssetTree:
    return tree_of(repo, load_commit(repo, commit_nid))


def read_file(repo: Repository, nid: Nid) -> bytes:
    """Whole content of a small file object (a raw block or a UnixFS DAG)."""
    return b"".join(iter_file(repo, nid))


def iter_file(repo: Repository, nid: Nid):  # type: ignore[no-untyped-def]
    """Stream a file's content block by block, every block verified."""
    from numbers_cli.model.unixfs import decode_file_node

    block = repo.objects.get(nid)
    if nid.is_raw:
        yield block
        return
    node = decode_file_node(block)
    if node.data:
        yield node.data
    for link in node.links:
        yield from iter_file(repo, Nid.from_bytes(link.cid))
