"""Nid vectors published by Kubo (Go) itself, not only by the two JS importers.

js-ipfs 0.66.1 and Helia's ipfs-unixfs-importer share one lineage, so a bug
they share would pass tests/compat. These vectors come from Kubo's own test
suite, and pin what our Nid rule shares with `ipfs add --cid-version=1`: raw
leaves, CIDv1 dag-pb nodes, and the balanced layout with 174 links per node.

- Empty file, raw leaves: kubo test/sharness/t0040-add-and-cat.sh,
  `test_add_cat_raw`, "zero length file has correct hash".
- "hello world": kubo test/cli/add_test.go, `shortStringCidV1`
  (cidv1 - raw - sha2-256).
- 174 MiB and 175 MiB of deterministic data: kubo test/cli/add_test.go,
  "ipfs init --profile=test-cid-v1 applies UnixFSChunker=size-1048576"
  (CIDv1, raw leaves, 1 MiB chunks, 174 links): at 174 chunks the root holds
  174 leaves, one chunk more rebalances into two levels. The data is
  `testutils.DeterministicRandomReader(size, "v1-seed")`
  (kubo test/cli/testutils/random_deterministic.go): the ChaCha20 keystream
  with key sha256(seed) and an all-zero nonce. Our builder is fed 1 MiB
  chunks here; the layout code is the one every Nid goes through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import NidBuilder, decode_file_node, nid_of_bytes

MIB = 1 << 20


def deterministic_chunks(size: int, seed: str, chunk: int = MIB) -> Iterator[bytes]:
    """Kubo's DeterministicRandomReaderBytes(size, seed), in `chunk`-sized reads."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    key = hashlib.sha256(seed.encode()).digest()
    # cryptography's ChaCha20 takes a 16-byte nonce: 4-byte block counter (0) + the
    # 12-byte IETF nonce Go's chacha20.NewUnauthenticatedCipher uses (all zero).
    stream = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
    zeros = bytes(chunk)
    left = size
    while left:
        n = min(chunk, left)
        yield stream.update(zeros[:n])
        left -= n


def test_the_keystream_is_kubos() -> None:
    """RFC 8439 §2.4.2's cipher, as Go's: the first block of key 0..31 nonce 0..."""
    # RFC 8439 A.1 test vector #1: all-zero key and nonce, counter 0.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    block = Cipher(algorithms.ChaCha20(bytes(32), bytes(16)), mode=None).encryptor()
    assert block.update(bytes(16)).hex() == "76b8e0ada0f13d90405d6ae55386bd28"


def test_empty_file() -> None:
    assert nid_of_bytes(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_hello_world() -> None:
    assert (
        nid_of_bytes(b"hello world")
        == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    )


@pytest.mark.parametrize(
    ("mib", "links", "expected"),
    [
        (174, 174, "bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu"),
        (175, 2, "bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu"),
    ],
)
def test_kubo_balanced_layout_at_and_over_174_links(mib: int, links: int, expected: str) -> None:
    blocks: dict[bytes, bytes] = {}
    builder = NidBuilder(
        lambda cid, data: blocks.__setitem__(cid, bytes(data)) if cid[1] == 0x70 else None
    )
    for chunk in deterministic_chunks(mib * MIB, "v1-seed"):
        builder.update(chunk)
    nid = builder.finish()
    assert nid == expected
    root = decode_file_node(blocks[Nid(nid).to_bytes()])
    assert len(root.links) == links
    assert root.filesize == mib * MIB
