"""Images and videos on IPFS: `ipfs://CID` or a bare CID, read block by block.

The blocks come from a `BlockReader` the operation hands in (the repository's
store, then its IPFS remote: `ops.blocks.RemoteObjects.block`), which
re-hashes every block against its CID; this module only walks the UnixFS file
DAG and never opens a connection of its own. Nothing fetched is stored: a
scanned stranger's image is not an object of this repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.monitor.sources import MAX_IMAGE_BYTES

BlockReader = Callable[[Nid], bytes]


class IpfsReadError(Exception):
    """The CID names something that is not a file this module can read."""


def parse_cid(text: str) -> Nid:
    """A CID from `ipfs://CID` or a bare CID; CIDv0 (Qm...) becomes its CIDv1."""
    bare = text.removeprefix("ipfs://").strip("/")
    if "/" in bare:
        raise IpfsReadError("paths inside IPFS directories are not supported; give the file's CID")
    try:
        return Nid.parse(bare)
    except InvalidFormat:
        pass
    try:
        from multiformats import CID

        cid = CID.decode(bare)
        return Nid.parse(str(cid.set(version=1).encode("base32")))
    except Exception:  # the library raises several unrelated types
        raise IpfsReadError(f"not a CID: {bare[:80]!r}") from None


def looks_like_cid(text: str) -> bool:
    try:
        parse_cid(text)
    except IpfsReadError:
        return False
    return True


def read_file(cid: Nid, block: BlockReader, cap: int = MAX_IMAGE_BYTES) -> bytes:
    """The file's bytes, depth first through its UnixFS DAG, at most `cap` bytes."""
    parts: list[bytes] = []
    size = 0
    for chunk in iter_file(cid, block, cap):
        size += len(chunk)
        if size > cap:
            raise IpfsReadError(f"larger than {cap // 2**20} MiB")
        parts.append(chunk)
    return b"".join(parts)


def iter_file(cid: Nid, block: BlockReader, cap: int | None = None) -> Iterator[bytes]:
    """The file's bytes piece by piece (a video is spooled to disk, not held).

    A root declaring more than `cap` is refused before any other block is asked
    for, and the walk is bounded by what the root declares (`model.dag_budget`):
    a DAG of a million empty leaves is stopped, not read block by block.
    """
    from numbers_cli.model.dag_budget import DagBudget, DagTooLarge
    from numbers_cli.model.unixfs import decode_file_node

    stack = [cid]
    budget: DagBudget | None = None
    while stack:
        current = stack.pop()
        data = block(current)
        if current.is_raw:
            chunk = data
            links: list[Nid] = []
        else:
            try:
                node = decode_file_node(data)
            except InvalidFormat as exc:
                raise IpfsReadError(f"{current} is not a UnixFS file ({exc})") from None
            chunk = node.data
            links = [Nid.from_bytes(link.cid) for link in node.links]
            if budget is None:
                if cap is not None and node.filesize > cap:
                    raise IpfsReadError(
                        f"larger than {cap / 2**20:g} MiB (declares {node.filesize:,} bytes)"
                    )
                budget = DagBudget(cid, node.filesize)
        if budget is not None:
            try:
                budget.charge(len(data), len(chunk))
            except DagTooLarge as exc:
                raise IpfsReadError(str(exc)) from None
        if chunk:
            yield chunk
        stack.extend(reversed(links))
