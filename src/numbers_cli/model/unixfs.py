"""UnixFS file DAGs exactly as `ipfs add --cid-version=1` builds them.

Kubo's defaults: fixed 262,144-byte chunks, raw leaves, a balanced DAG of at most
174 links per node, dag-pb interior nodes carrying UnixFS `File` data with
`filesize` and `blocksizes`. A file of one chunk (or none) is a single raw block.

`NidBuilder` consumes chunks as they are read and hands every finished block to a
sink, so a file of any size is hashed in one pass with memory bounded by the DAG
depth (174 links per level), never by the file size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import RAW_PREFIX, Nid, dag_pb_cid_bytes

CHUNK_SIZE = 262_144
MAX_LINKS = 174

BlockSink = Callable[[bytes, bytes | memoryview], None]
"""Receives (binary CID, block bytes) for every block, leaves first, root last."""


# --- protobuf wire format (just what dag-pb and UnixFS need) -----------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise InvalidFormat("truncated or oversized protobuf varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes | memoryview) -> Iterator[tuple[int, int | bytes]]:
    """Yield (field number, value) of a protobuf message: varints and byte strings."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            yield field, value
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            if pos + length > len(buf):
                raise InvalidFormat("truncated protobuf field")
            yield field, bytes(buf[pos : pos + length])
            pos += length
        else:
            raise InvalidFormat(f"unsupported protobuf wire type {wire}")


# --- dag-pb / UnixFS nodes ----------------------------------------------------


@dataclass(frozen=True)
class Link:
    cid: bytes  # binary CID of the child
    tsize: int  # cumulative bytes of the child's whole sub-DAG (blocks, not content)
    filesize: int  # content bytes below the child


@dataclass(frozen=True)
class FileNode:
    """A decoded dag-pb node holding UnixFS file data."""

    links: tuple[Link, ...]
    filesize: int
    data: bytes  # inline content (empty for nodes with raw leaves)


def encode_file_node(links: list[Link]) -> bytes:
    """dag-pb bytes of a UnixFS File node linking `links`, in the field order Kubo writes."""
    filesize = sum(link.filesize for link in links)
    unixfs = bytearray(b"\x08\x02")  # Type = File
    unixfs += b"\x18" + _varint(filesize)
    for link in links:
        unixfs += b"\x20" + _varint(link.filesize)
    out = bytearray()
    for link in links:
        pblink = (
            b"\x0a"
            + _varint(len(link.cid))
            + link.cid
            + b"\x12\x00"
            + b"\x18"
            + _varint(link.tsize)
        )
        out += b"\x12" + _varint(len(pblink)) + pblink
    out += b"\x0a" + _varint(len(unixfs)) + unixfs
    return bytes(out)


def decode_file_node(block: bytes) -> FileNode:
    """Parse a dag-pb UnixFS File (or Raw) node, e.g. to walk a DAG for `nit cat`."""
    link_parts: list[tuple[bytes, int]] = []
    unixfs = b""
    for field, value in _fields(block):
        if field == 2 and isinstance(value, bytes):
            cid, tsize = b"", 0
            for lf, lv in _fields(value):
                if lf == 1 and isinstance(lv, bytes):
                    cid = lv
                elif lf == 3 and isinstance(lv, int):
                    tsize = lv
            link_parts.append((cid, tsize))
        elif field == 1 and isinstance(value, bytes):
            unixfs = value
    kind, filesize, data, blocksizes = None, None, b"", []
    for field, value in _fields(unixfs):
        if field == 1 and isinstance(value, int):
            kind = value
        elif field == 2 and isinstance(value, bytes):
            data = value
        elif field == 3 and isinstance(value, int):
            filesize = value
        elif field == 4 and isinstance(value, int):
            blocksizes.append(value)
    if kind not in (0, 2):  # Raw or File
        raise InvalidFormat(f"UnixFS node of type {kind} is not a file")
    if len(blocksizes) != len(link_parts):
        raise InvalidFormat("UnixFS blocksizes do not match the node's links")
    links = tuple(Link(c, t, s) for (c, t), s in zip(link_parts, blocksizes, strict=True))
    return FileNode(links, filesize if filesize is not None else len(data), data)


class LinkWalk:
    """The links below a file node, depth first: leaves come in file order.

    The walk does not read blocks itself: whoever reads a child it yielded
    calls `descend` with that child's links, which come next. So each caller
    decides what it reads (a fetch reads every block, an upload only interior
    nodes), and memory is one iterator over one node's links per DAG level.
    """

    def __init__(self, links: Iterable[Link]) -> None:
        self._stack: list[Iterator[Link]] = [iter(links)]

    def __iter__(self) -> Iterator[Link]:
        while self._stack:
            link = next(self._stack[-1], None)
            if link is None:
                self._stack.pop()
                continue
            yield link

    def descend(self, links: Iterable[Link]) -> None:
        """Walk `links` (those of the link just yielded) before that link's siblings."""
        self._stack.append(iter(links))


def dag_pb_links(block: bytes | memoryview) -> list[bytes]:
    """Binary CIDs a dag-pb node links to, in order, whatever UnixFS type it holds.

    Walking or importing a DAG needs only its edges, so a directory or a node
    another tool wrote is followed as well as one of our file nodes.
    """
    links: list[bytes] = []
    for field, value in _fields(block):
        if field == 2 and isinstance(value, bytes):
            cid = next((v for f, v in _fields(value) if f == 1 and isinstance(v, bytes)), None)
            if cid is None:
                raise InvalidFormat("dag-pb link without a CID")
            links.append(cid)
    return links


# --- the streaming builder ---------------------------------------------------


class NidBuilder:
    """Build a file's UnixFS DAG chunk by chunk; `finish()` returns its Nid.

    Feed exactly CHUNK_SIZE bytes per call except for the last chunk. Layers of
    the balanced tree are grouped in 174s as soon as a group is full, which is
    what Kubo's balanced layout produces: every leaf at the same depth, an
    interior node even when it has a single child, the root alone unwrapped.
    """

    def __init__(self, sink: BlockSink | None = None) -> None:
        self._sink = sink
        self._levels: list[list[Link]] = [[]]  # pending links per level
        self._added: list[int] = [0]  # links ever added per level
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        cid = RAW_PREFIX + hashlib.sha256(chunk).digest()
        if self._sink is not None:
            self._sink(cid, chunk)
        self.add_leaf(cid, len(chunk))

    def add_leaf(self, cid: bytes, size: int) -> None:
        """A leaf hashed elsewhere (e.g. on another thread); leaves must come in order."""
        self.size += size
        self._push(0, Link(cid, size, size))

    def _push(self, level: int, link: Link) -> None:
        if level == len(self._levels):
            self._levels.append([])
            self._added.append(0)
        pending = self._levels[level]
        pending.append(link)
        self._added[level] += 1
        if len(pending) == MAX_LINKS:
            self._levels[level] = []
            self._push(level + 1, self._node(pending))

    def _node(self, links: list[Link]) -> Link:
        block = encode_file_node(links)
        cid = dag_pb_cid_bytes(block)
        if self._sink is not None:
            self._sink(cid, block)
        return Link(cid, len(block) + sum(x.tsize for x in links), sum(x.filesize for x in links))

    def finish(self) -> Nid:
        if self._added[0] == 0:
            self.update(b"")  # the empty file is one empty raw block
        level = 0
        while True:
            if self._added[level] == 1:
                return Nid.from_bytes(self._levels[level][0].cid)
            pending = self._levels[level]
            if pending:
                self._levels[level] = []
                self._push(level + 1, self._node(pending))
            level += 1


def read_chunks(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Fixed-size chunks of a stream; short reads (pipes) are filled up first."""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        while len(chunk) < chunk_size:
            more = stream.read(chunk_size - len(chunk))
            if not more:
                break
            chunk += more
        yield chunk
        if len(chunk) < chunk_size:
            return


def nid_of_bytes(data: bytes) -> Nid:
    """Nid of bytes held in memory (trees, commits, test vectors)."""
    builder = NidBuilder()
    for start in range(0, max(len(data), 1), CHUNK_SIZE):
        builder.update(data[start : start + CHUNK_SIZE])
    return builder.finish()
