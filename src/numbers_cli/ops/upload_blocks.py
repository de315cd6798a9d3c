"""An object's blocks in the order they are uploaded, and a run of them as a CAR.

Both uploaders (`ops.upload`, resumable segment by segment, and
`ops.upload_car`, a stamp batch in one request) send exactly the blocks we
hold, so the node stores our CIDs and never re-chunks a file. They need the
same fixed walk order (an interrupted upload resumes by counting blocks in
it), the same check of every block before it leaves the machine, and the
same CAR framing; this module is that shared part, with no network in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from numbers_cli.errors import IntegrityError
from numbers_cli.model import car
from numbers_cli.model.nid import RAW, Nid
from numbers_cli.model.unixfs import LinkWalk, decode_file_node
from numbers_cli.repo.objects import ObjectStore

__all__ = ["Block", "car_segment", "in_segments", "object_size", "read_block", "walk_blocks"]


@dataclass(frozen=True)
class Block:
    cid: bytes  # binary CID
    length: int  # bytes of the block
    content: int  # file bytes it carries (for progress): a raw leaf's length, else inline data


def _is_raw(cid: bytes) -> bool:
    return len(cid) > 1 and cid[0] == 1 and cid[1] == RAW


def walk_blocks(store: ObjectStore, root: Nid) -> Iterator[Block]:
    """Every block of the object, root first, depth first: a fixed order to resume in.

    Only interior nodes are read here (about one block in 175); leaves are
    read when they are sent. Memory is one node's links per level of the DAG.
    """
    data = store.get(root)
    if root.is_raw:
        yield Block(root.to_bytes(), len(data), len(data))
        return
    node = decode_file_node(data)
    yield Block(root.to_bytes(), len(data), len(node.data))
    walk = LinkWalk(node.links)
    for link in walk:
        if _is_raw(link.cid):
            yield Block(link.cid, link.filesize, link.filesize)
            continue
        block = store.get(Nid.from_bytes(link.cid))
        child = decode_file_node(block)
        yield Block(link.cid, len(block), len(child.data))
        walk.descend(child.links)


def object_size(store: ObjectStore, root: Nid) -> int:
    """The file bytes of an object: what its upload's progress bar counts to."""
    data = store.get(root)
    return len(data) if root.is_raw else decode_file_node(data).filesize


def read_block(store: ObjectStore, block: Block) -> bytes:
    """A block's bytes from the store, checked before they leave the machine.

    `get` re-hashes them and names what is wrong: a damaged pack, or a file
    added by reference (`--no-copy`) that changed or is gone since.
    """
    nid = Nid.from_bytes(block.cid)
    data = store.get(nid)
    if len(data) != block.length:
        raise IntegrityError(
            f"object {nid} in this repository is corrupt; nothing more was sent",
            hint="run `nit fsck`",
        )
    return data


def in_segments(blocks: Iterable[Block], limit: int) -> Iterator[list[Block]]:
    """The blocks in runs of about `limit` bytes: one request each."""
    segment: list[Block] = []
    size = 0
    for block in blocks:
        segment.append(block)
        size += block.length
        if size >= limit:
            yield segment
            segment, size = [], 0
    if segment:
        yield segment


def car_segment(
    store: ObjectStore, root: Nid, segment: list[Block], sent: Callable[[int], None]
) -> tuple[Iterator[bytes], int]:
    """One segment as CAR chunks, and their exact length; a block repeated in it goes once.

    `sent(n)` is called as each block is handed to the connection, with the
    file bytes it carries, so progress moves while a segment is on its way.
    """
    header = car.encode_header(root.to_bytes())
    unique = {block.cid: block for block in segment}
    length = len(header) + sum(
        len(car.block_frame(b.cid, b.length)) + b.length for b in unique.values()
    )

    def chunks() -> Iterator[bytes]:
        yield header
        seen: set[bytes] = set()
        for block in segment:
            if block.cid not in seen:
                seen.add(block.cid)
                data = read_block(store, block)
                yield car.block_frame(block.cid, block.length)
                yield data
            sent(block.content)

    return chunks(), length
