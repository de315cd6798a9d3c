"""CARv1 framing: how a file's blocks are packed locally and sent to IPFS.

A CAR is `varint(len(header)) header` then, per block,
`varint(len(cid)+len(data)) cid data`. The header is dag-cbor
`{"roots": [cid], "version": 1}`; for one CIDv1/sha2-256 root it always has the
same length, so a writer can reserve it before the root is known and fill it in
after the last block: one sequential pass over the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import RAW_PREFIX
from numbers_cli.model.unixfs import _read_varint, _varint

CID_LEN = 36  # CIDv1 + sha2-256 multihash of 32 bytes


def encode_header(root: bytes) -> bytes:
    """dag-cbor header with one root, itself varint-prefixed."""
    if len(root) != CID_LEN:
        raise InvalidFormat("CAR roots must be CIDv1 sha2-256 CIDs")
    cid_field = b"\xd8\x2a\x58" + bytes([len(root) + 1]) + b"\x00" + root  # tag 42, bytes
    body = b"\xa2" + b"\x65roots" + b"\x81" + cid_field + b"\x67version" + b"\x01"
    return _varint(len(body)) + body


HEADER_LEN = len(encode_header(RAW_PREFIX + bytes(32)))
MAX_HEADER = 64 * 1024
CARV2_PRAGMA = bytes.fromhex("0aa16776657273696f6e02")  # {"version": 2}, framed


def block_frame(cid: bytes, size: int) -> bytes:
    """Prefix written before a block's data."""
    return _varint(len(cid) + size) + cid


def _cid_length(buf: bytes, pos: int) -> int:
    """Length of the binary CID at `pos` (CIDv1: version, codec, hash code, digest len)."""
    if buf[pos : pos + 2] == b"\x12\x20":  # CIDv0: bare sha2-256 multihash
        return 34
    start = pos
    for _ in range(3):
        _, pos = _read_varint(buf, pos)
    digest_len, pos = _read_varint(buf, pos)
    return pos - start + digest_len


def read_header_roots(stream: BinaryIO) -> list[bytes]:
    """The root CIDs of a CARv1 stream (positioned at its start); leaves it after the header."""
    prefix = stream.read(10)
    if not prefix:
        raise InvalidFormat("not a CAR file: it is empty")
    length, pos = _read_varint(prefix, 0)
    if not 9 <= length <= MAX_HEADER:  # also keeps a non-CAR file from being read whole
        raise InvalidFormat("not a CARv1 file: no valid header")
    body = prefix[pos:] + stream.read(length - (len(prefix) - pos))
    if len(body) != length:
        raise InvalidFormat("truncated CAR header")
    if body == CARV2_PRAGMA[1:]:
        raise InvalidFormat("a CARv2 file: nit reads CARv1 (export the data as CARv1)")
    roots: list[bytes] = []
    i = body.find(b"\xd8\x2a")
    while i != -1:  # every tag-42 byte string in the header is a root CID
        size_byte = body[i + 2]
        if size_byte == 0x58:
            n, start = body[i + 3], i + 4
        elif 0x40 <= size_byte <= 0x57:
            n, start = size_byte - 0x40, i + 3
        else:
            raise InvalidFormat("unexpected CAR header encoding")
        roots.append(body[start + 1 : start + n])  # skip the 0x00 multibase byte
        i = body.find(b"\xd8\x2a", start + n)
    if b"version" not in body:
        raise InvalidFormat("not a CARv1 header")
    return roots


def iter_blocks(stream: BinaryIO) -> Iterator[tuple[bytes, bytes, int]]:
    """Yield (cid, data, offset of data) for each block after the header."""
    while True:
        head = stream.read(10)
        if not head:
            return
        length, pos = _read_varint(head, 0)
        start = stream.tell() - len(head) + pos
        stream.seek(start)
        section = stream.read(length)
        if len(section) != length:
            raise InvalidFormat("truncated CAR block")
        n = _cid_length(section, 0)
        yield section[:n], section[n:], start + n


MAX_SECTION = 16 * 1024 * 1024  # far above any IPFS block (Kubo refuses > 2 MiB)


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    """Up to `n` bytes, looping over short reads (raw pipes may return less)."""
    data = stream.read(n)
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = stream.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_blocks(stream: BinaryIO, offset: int = 0) -> Iterator[tuple[bytes, bytes]]:
    """Yield (cid, data) for each block after the header, reading strictly forward.

    `iter_blocks` seeks (it reports offsets, for pack indexes); an import reads
    stdin or a pipe, which cannot seek. A section length larger than any block
    is refused before anything is allocated, so a corrupt length cannot exhaust
    memory. `offset` (bytes already consumed, e.g. the header) only makes the
    error messages point at the right byte.
    """
    while True:
        start = offset
        length = shift = 0
        while True:
            byte = stream.read(1)
            if not byte:
                if offset == start:
                    return  # clean end, between two blocks
                raise InvalidFormat(f"truncated CAR: block length cut at byte {offset}")
            offset += 1
            length |= (byte[0] & 0x7F) << shift
            if not byte[0] & 0x80:
                break
            shift += 7
            if shift > 63:
                raise InvalidFormat(f"corrupt CAR: oversized block length at byte {start}")
        if length > MAX_SECTION:
            raise InvalidFormat(
                f"corrupt CAR: block section of {length} bytes at byte {start} "
                "is larger than any IPFS block"
            )
        section = _read_exact(stream, length)
        if len(section) != length:
            raise InvalidFormat(
                f"truncated CAR: the block at byte {start} has {len(section)} of its {length} bytes"
            )
        offset += length
        try:
            n = _cid_length(section, 0)
        except InvalidFormat:
            n = length + 1
        if n > length:
            raise InvalidFormat(f"corrupt CAR: the block at byte {start} has no valid CID")
        yield section[:n], section[n:]
