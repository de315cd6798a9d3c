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


# --- Nid.parse by hand, against the generic multiformats library ---------------------
# The model checks CIDv1 base32 strings itself (the library's parse cost 450 µs);
# these cases hold it to the library's answers (multiformats 0.3.1, the reference
# implementation of the multiformats specs for Python) on valid and broken input.

VALID = [
    *sorted(set(VECTORS.values())),
    "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",  # "hello"
    # dag-cbor / identity-hash / sha2-512 CIDv1s: other codecs and hashes are CIDs too.
    "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    "bafkqaaa",  # identity multihash of nothing
    # sha2-512 of "hello", raw codec.
    "bafkrgqe3ohjcjplc6n4f3fwunlj6upltggn7xqujbsvnvyw764srszz4u4rshq6ztos4chl4plgg4ffyyxnayrtdi5oc4xb2332g645433aeg",
]
BROKEN = [
    "",
    "b",
    "bafy",
    "Bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq!",
    "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4y",  # digest cut short
    "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeqaa",  # bytes past the digest
    "bajkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",  # CID version 2
    "babkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",  # version 0 in binary
    "bafkreijm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",  # says 33 bytes, has 32
    "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4y1q",  # '1' is not base32
    "b" + "a" * 300,
]


def _library(text: str) -> str | None:
    from multiformats import CID

    try:
        cid = CID.decode(text.strip())
    except Exception:
        return None
    return str(cid.encode("base32")) if cid.version == 1 else None


@pytest.mark.parametrize("text", VALID)
def test_parse_agrees_with_multiformats_on_valid_cids(text):
    assert _library(text) == text
    assert Nid.parse(text) == text
    assert Nid.from_bytes(Nid.parse(text).to_bytes()) == text


@pytest.mark.parametrize("text", BROKEN)
def test_parse_refuses_what_multiformats_refuses(text):
    assert _library(text) is None
    with pytest.raises(InvalidFormat):
        Nid.parse(text)


def test_base32_is_read_in_either_case_and_written_lower():
    text = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    for variant in (text[:-1] + "Q", "B" + text[1:].upper()):
        assert _library(variant) == text
        assert Nid.parse(variant) == text


def test_other_multibases_are_converted_through_the_library():
    text = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    from multiformats import CID

    base58 = str(CID.decode(text).encode("base58btc"))
    assert base58.startswith("z")
    assert Nid.parse(base58) == text


def test_codec_and_block_check_without_the_library():
    raw = Nid.parse("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq")
    assert (raw.codec, raw.is_raw) == (0x55, True)
    assert raw.verify_block(b"hello") and not raw.verify_block(b"hellO")
    node = Nid.parse(VECTORS[262_145])
    assert (node.codec, node.is_raw) == (0x70, False)
    identity = Nid.parse("bafkqaaa")
    assert not identity.verify_block(b"")  # only sha2-256 blocks are checked as such


# --- the file pipeline (ops.ingest): buffers of 16 chunks, one or two threads ---------


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "size", [0, 5, 262_144, 262_145, 16 * 262_144, 16 * 262_144 + 1, 10 * 1024 * 1024 + 7]
)
def test_file_pipeline_gives_the_reference_nids(tmp_path, data, size, threads):
    from numbers_cli.ops.ingest import ingest, nid_of_file

    path = tmp_path / "f.bin"
    path.write_bytes(data[:size] if size <= len(data) else counter_stream(size))
    expected = VECTORS.get(size) or nid_of_bytes(path.read_bytes())
    assert nid_of_file(path, threads=threads) == expected
    got = ingest(path, None)
    assert (got.nid, got.size) == (expected, size)
    assert got.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_pipeline_stores_blocks_that_verify(tmp_path):
    from numbers_cli.ops.ingest import ingest
    from numbers_cli.repo.repository import Repository

    repo = Repository.init(tmp_path / "repo")
    path = tmp_path / "repo" / "big.bin"
    path.write_bytes(counter_stream(40 * 262_144 + 99))  # three buffers, 41 leaves
    got = ingest(path, repo.objects)
    with repo.transaction():
        pass
    blocks = list(repo.objects.iter_dag(got.nid))
    assert len(blocks) == 42 and blocks[0][0] == got.nid
    assert repo.objects.has_pack(got.nid)
