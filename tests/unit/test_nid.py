"""Nids must equal `ipfs add --cid-version=1`. Every vector here was produced by
ipfs-unixfs-importer (Helia's importer, tools/ipfs/nid.mjs), not by our code."""

from __future__ import annotations

import hashlib
import io

import pytest

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import (
    CHUNK_SIZE,
    NidBuilder,
    decode_file_node,
    nid_of_bytes,
    read_chunks,
)


def counter_stream(n: int) -> bytes:
    """Deterministic bytes: sha256 of 8-byte big-endian counters 0, 1, 2, ..."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:n])


VECTORS = {
    0: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    1: "bafkreic2nz5eovfprz7up7eusmca3bj6pma6hhktpsy52nj4so324whlhu",
    5: "bafkreidbmqosjpbdkybc7iocea2yckxiq52edt7seopp2ng3qsyy3ijgpy",
    262_143: "bafkreihltot3cwbf7l3ut7ntv6ua3ajjqjt2y3xpqu546be3aifopn5mee",
    262_144: "bafkreigy5tcgloscldzhi2iadhemu2v7dj2u5wme7vgim2jlmnxindpsfi",
    262_145: "bafybeiavfl3mrv5rig3iqfle6aheyo3crcdzseal3jfwykhuwtmc4vtyjy",
    524_288: "bafybeigpjdzr4ooxv66ji25bakjwvshle7u3ic67uslqeiarvk6asxfhta",
    174 * 262_144: "bafybeie5xnk32fia7bu7dn2cvjojbnxskp6irq3xikyi6bdrh3v5yfddqy",
    174 * 262_144 + 1: "bafybeibwfjx4gjco2cvbbqlhbtazzttn73bsxnan2t4zmxrjmolwknbe7y",
    175 * 262_144: "bafybeih6u4rq327rf6ovigkdcxdjwpf2k52xa2bsbxth6yzppmrqnvd4yq",
    10 * 1024 * 1024 + 7: "bafybeidap25jk2yrsykunwawuqfgflo7hae2v6jkqr34exkzxpds4ry5de",
}


@pytest.fixture(scope="module")
def data() -> bytes:
    return counter_stream(max(VECTORS))


def test_published_hello_vector():
    assert nid_of_bytes(b"hello") == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


@pytest.mark.parametrize("size", sorted(VECTORS))
def test_vectors_from_the_reference_importer(size, data):
    assert nid_of_bytes(data[:size]) == VECTORS[size]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        # 16-byte chunks give three-level DAGs from small inputs (174² leaves and more);
        # the layout depends on the leaf count only, so this checks the level logic.
        (16 * 174 * 174, "bafybeifhyfkydrhc4cfe7pphlbcjqf6j55zja7mg3tlunp3vjarnk6rlpe"),
        (16 * 174 * 174 + 1, "bafybeidqvx4mfkmi2qtjoefu76ks6asamgxvnqixpjiajappnfccgghcze"),
        (16 * 174 * 175 + 5, "bafybeiak7jyoyyikezfkkzixeqfqn5gnaeodmznklkle4ftbyabyxpin2y"),
    ],
)
def test_deep_balanced_layout_matches_reference(size, expected):
    data = bytes((i * 7 + 3) & 255 for i in range(size))
    builder = NidBuilder()
    for start in range(0, size, 16):
        builder.update(data[start : start + 16])
    assert builder.finish() == expected


def test_sink_receives_every_block_once_root_last(data):
    blocks: list[tuple[bytes, bytes]] = []
    builder = NidBuilder(lambda cid, block: blocks.append((cid, bytes(block))))
    for start in range(0, 3 * CHUNK_SIZE, CHUNK_SIZE):
        builder.update(data[start : start + CHUNK_SIZE])
    root = builder.finish()
    assert len(blocks) == 4
    assert Nid.from_bytes(blocks[-1][0]) == root
    assert all(Nid.from_bytes(cid).verify_block(block) for cid, block in blocks)
    node = decode_file_node(blocks[-1][1])
    assert node.filesize == 3 * CHUNK_SIZE
    assert [link.cid for link in node.links] == [cid for cid, _ in blocks[:3]]


def test_read_chunks_fills_short_reads():
    class Trickle(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self.buf = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            return self.buf.read(min(n, 1000))

    payload = counter_stream(CHUNK_SIZE + 10)
    chunks = list(read_chunks(Trickle(payload)))
    assert [len(c) for c in chunks] == [CHUNK_SIZE, 10]


def test_parse_normalizes_and_rejects():
    cid = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    assert Nid.parse(f"  {cid}\n") == cid
    assert Nid.from_bytes(Nid(cid).to_bytes()) == cid
    with pytest.raises(InvalidFormat):
        Nid.parse("not-a-cid")
    with pytest.raises(InvalidFormat, match="CIDv0"):
        Nid.parse("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB")
