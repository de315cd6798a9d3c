"""The reference tools themselves work and agree with each other.

Why: the Nid compatibility tests trust two outside implementations, the real
js-ipfs node (``ipfs add --cid-version=1``) and ipfs-unixfs-importer. These
tests pin both to published vectors and to each other, on the sizes where the
DAG shape changes (one chunk, two chunks, a full 174-link node, one more leaf),
so a broken install or a changed default shows up here and not as a puzzling
failure in our own tests. They do not import numbers_cli on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.ipfs_node import IpfsNode
from tests.support.reference_nid import ReferenceNid, write_sha256_counter_file

CHUNK = 262144
MAX_LINKS = 174

# Published CIDv1 (raw leaves) of well-known contents.
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
HELLO_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"

# Nids of the first N bytes of the sha256-counter stream (write_sha256_counter_file).
# Computed once with the js-ipfs node, ipfs-unixfs-importer and a from-scratch
# Python rendering of Kubo's balanced layout, which all agreed; unit tests of our
# own Nid code can use this table without any tool installed.
COUNTER_STREAM_VECTORS: dict[int, str] = {
    0: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    1: "bafkreic2nz5eovfprz7up7eusmca3bj6pma6hhktpsy52nj4so324whlhu",
    5: "bafkreidbmqosjpbdkybc7iocea2yckxiq52edt7seopp2ng3qsyy3ijgpy",
    CHUNK - 1: "bafkreihltot3cwbf7l3ut7ntv6ua3ajjqjt2y3xpqu546be3aifopn5mee",
    CHUNK: "bafkreigy5tcgloscldzhi2iadhemu2v7dj2u5wme7vgim2jlmnxindpsfi",
    CHUNK + 1: "bafybeiavfl3mrv5rig3iqfle6aheyo3crcdzseal3jfwykhuwtmc4vtyjy",
    2 * CHUNK: "bafybeigpjdzr4ooxv66ji25bakjwvshle7u3ic67uslqeiarvk6asxfhta",
    10 * 1024 * 1024 + 7: "bafybeidap25jk2yrsykunwawuqfgflo7hae2v6jkqr34exkzxpds4ry5de",
    MAX_LINKS * CHUNK: "bafybeie5xnk32fia7bu7dn2cvjojbnxskp6irq3xikyi6bdrh3v5yfddqy",
    MAX_LINKS * CHUNK + 1: "bafybeibwfjx4gjco2cvbbqlhbtazzttn73bsxnan2t4zmxrjmolwknbe7y",
    (MAX_LINKS + 1) * CHUNK: "bafybeih6u4rq327rf6ovigkdcxdjwpf2k52xa2bsbxth6yzppmrqnvd4yq",
}

# Sizes where the DAG shape changes: empty, one byte, around one chunk, and
# around the first full 174-link node.
BOUNDARY_SIZES = [
    0,
    1,
    CHUNK - 1,
    CHUNK,
    CHUNK + 1,
    MAX_LINKS * CHUNK,
    MAX_LINKS * CHUNK + 1,
]


def test_reference_importer_gives_published_vectors(
    tmp_path: Path, reference_nid: ReferenceNid
) -> None:
    """``hello`` and the empty file have well-known CIDv1s; the importer must give them."""
    hello = tmp_path / "hello"
    hello.write_bytes(b"hello")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert reference_nid(hello) == HELLO_CID
    assert reference_nid.many([empty, hello]) == {empty: EMPTY_CID, hello: HELLO_CID}


def test_ipfs_node_gives_published_vectors(tmp_path: Path, ipfs_node: IpfsNode) -> None:
    """The real node's ``add --cid-version=1`` gives the same well-known CIDv1s."""
    hello = tmp_path / "hello"
    hello.write_bytes(b"hello")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert ipfs_node.add(hello) == HELLO_CID
    assert ipfs_node.add(empty) == EMPTY_CID


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_ipfs_node_agrees_with_reference_importer(
    size: int, tmp_path: Path, ipfs_node: IpfsNode, reference_nid: ReferenceNid
) -> None:
    """``ipfs add --cid-version=1`` and the importer agree on every DAG-shape boundary."""
    path = write_sha256_counter_file(tmp_path / f"counter-{size}.bin", size)
    assert ipfs_node.add(path) == reference_nid(path)


def test_counter_stream_vectors(
    tmp_path: Path, ipfs_node: IpfsNode, reference_nid: ReferenceNid
) -> None:
    """Both tools still give the fixed vectors that unit tests of our Nids rely on."""
    paths = {
        size: write_sha256_counter_file(tmp_path / f"counter-{size}.bin", size)
        for size in COUNTER_STREAM_VECTORS
    }
    reference = reference_nid.many(paths.values())
    for size, path in paths.items():
        expected = COUNTER_STREAM_VECTORS[size]
        assert reference[path] == expected, f"importer, {size} bytes"
        assert ipfs_node.add(path) == expected, f"js-ipfs, {size} bytes"


def test_ipfs_node_is_private_and_serves_content(tmp_path: Path, ipfs_node: IpfsNode) -> None:
    """The node has no swarm address or peer, and its gateway serves what was added."""
    identity = ipfs_node.rpc_json("id")
    assert identity["Addresses"] == []
    assert ipfs_node.rpc_json("swarm/peers")["Peers"] == []
    path = write_sha256_counter_file(tmp_path / "two-chunks.bin", 2 * CHUNK)
    cid = ipfs_node.add(path)
    assert ipfs_node.gateway_get(cid) == path.read_bytes()
    assert ipfs_node.rpc("cat", {"arg": cid}) == path.read_bytes()
