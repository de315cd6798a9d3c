"""The RPC calls that ``nit push`` will rely on behave as we expect on the real node.

Why: js-ipfs 0.66 speaks the Kubo RPC API with quirks (parameter names, CID
bases, waiting forever for absent blocks). These tests write down, as
executable facts, the exact endpoints and parameters that work, so the IPFS
remote can be built on them and a tool upgrade that changes them fails here
first. Like the other compat tests they do not import numbers_cli.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.ipfs_node import IpfsNode, IpfsNodeError
from tests.support.reference_nid import ReferenceNid, write_sha256_counter_file

CHUNK = 262144
HELLO_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
# CIDv0/base58btc and CIDv1/base58btc forms js-ipfs gives when not told otherwise.
HELLO_DAG_PB_V0 = "QmRN6wdp1S2A5EtjW9A3M1vKSBuQQGcgvuhoMUoEz4iiT5"
HELLO_CID_BASE58 = "zb2rhZfjRh2FHHB2RkHVEvL2vJnCTcu7kwRqgVsf9gpkLgteo"


def raw_cid(data: bytes) -> str:
    """CIDv1, raw codec, sha2-256, base32: written out here so the test needs no library."""
    cid = b"\x01\x55\x12\x20" + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(cid).decode("ascii").lower().rstrip("=")


@pytest.fixture
def second_node(tmp_path: Path) -> Iterator[IpfsNode]:
    """Another fresh node (its own repo and ports), to move data between two nodes."""
    with IpfsNode(tmp_path / "second-node") as node:
        yield node


def test_raw_cid_helper_matches_published_vector() -> None:
    assert raw_cid(b"hello") == HELLO_CID


def test_block_put_format_raw(ipfs_node: IpfsNode) -> None:
    """``block/put?format=raw`` stores a raw CIDv1 block (answered in base32 by default)."""
    answer = json.loads(ipfs_node.rpc_upload("block/put", {"format": "raw"}, b"hello"))
    assert answer == {"Key": HELLO_CID, "Size": 5}
    assert ipfs_node.rpc("block/get", {"arg": HELLO_CID}) == b"hello"
    stat = ipfs_node.rpc_json("block/stat", {"arg": HELLO_CID, "cid-base": "base32"})
    assert stat == {"Key": HELLO_CID, "Size": 5}
    # Without cid-base, js-ipfs answers base58btc (Kubo would say base32).
    assert ipfs_node.rpc_json("block/stat", {"arg": HELLO_CID})["Key"] == HELLO_CID_BASE58


def test_block_put_ignores_kubo_cid_codec(ipfs_node: IpfsNode) -> None:
    """Kubo's newer ``cid-codec=raw`` is silently ignored: the bytes land under a dag-pb v0 CID."""
    answer = json.loads(ipfs_node.rpc_upload("block/put", {"cid-codec": "raw"}, b"hello"))
    assert answer["Key"] == HELLO_DAG_PB_V0


def test_pin_add_ls_rm(ipfs_node: IpfsNode) -> None:
    """``pin/add``, ``pin/ls`` and ``pin/rm`` by ``arg``; ``cid-base=base32`` for base32 answers."""
    ipfs_node.rpc_upload("block/put", {"format": "raw"}, b"hello")
    params = {"arg": HELLO_CID, "cid-base": "base32"}
    assert ipfs_node.rpc_json("pin/add", params) == {"Pins": [HELLO_CID]}
    assert ipfs_node.rpc_json("pin/ls", params) == {"Keys": {HELLO_CID: {"Type": "recursive"}}}
    assert ipfs_node.rpc_json("pin/rm", params) == {"Pins": [HELLO_CID]}
    with pytest.raises(IpfsNodeError, match="is not pinned"):
        ipfs_node.rpc("pin/ls", params)


def test_absent_block_needs_a_timeout_parameter(ipfs_node: IpfsNode) -> None:
    """An absent block makes js-ipfs wait (even offline); ``timeout=`` turns that into an error."""
    absent = raw_cid(b"a block that no test ever stores")
    with pytest.raises(IpfsNodeError, match="timed out"):
        ipfs_node.rpc("block/stat", {"arg": absent, "timeout": "1s"}, timeout=30)


def test_dag_export_then_import_into_another_node(
    tmp_path: Path, ipfs_node: IpfsNode, second_node: IpfsNode, reference_nid: ReferenceNid
) -> None:
    """A CAR from ``dag/export`` goes into a fresh node with ``dag/import``, which pins the root."""
    path = write_sha256_counter_file(tmp_path / "three-chunks.bin", 3 * CHUNK)
    root = ipfs_node.add(path)
    assert root == reference_nid(path)
    car = tmp_path / "file.car"
    car.write_bytes(ipfs_node.rpc("dag/export", {"arg": root}))

    answer = json.loads(second_node.rpc_upload("dag/import", None, car))
    assert answer == {"Root": {"Cid": {"/": root}, "PinErrorMsg": ""}}
    pins = second_node.rpc_json("pin/ls", {"type": "recursive", "cid-base": "base32"})
    assert pins == {"Keys": {root: {"Type": "recursive"}}}
    assert second_node.rpc("cat", {"arg": root, "timeout": "10s"}) == path.read_bytes()
    assert second_node.gateway_get(root) == path.read_bytes()


def test_dag_import_without_pinning_answers_nothing(
    tmp_path: Path, ipfs_node: IpfsNode, second_node: IpfsNode
) -> None:
    """With ``pin-roots=false`` the import still stores the blocks but the answer body is empty."""
    path = write_sha256_counter_file(tmp_path / "two-chunks.bin", 2 * CHUNK)
    root = ipfs_node.add(path)
    car = ipfs_node.rpc("dag/export", {"arg": root})
    assert second_node.rpc_upload("dag/import", {"pin-roots": "false"}, car) == b""
    assert second_node.rpc("cat", {"arg": root, "timeout": "10s"}) == path.read_bytes()
    assert second_node.rpc_json("pin/ls", {"type": "recursive"}) == {"Keys": {}}
