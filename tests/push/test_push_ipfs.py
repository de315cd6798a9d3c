"""`nit push` with an IPFS remote: objects reach a real IPFS node, pinned, before the chain."""

from __future__ import annotations

import json
import os

import pytest
from tests.push.conftest import committed
from tests.support.ipfs_node import IpfsNodeError
from tests.support.store_damage import sql

from numbers_cli.model.nid import Nid
from numbers_cli.ops.trees import load_commit
from numbers_cli.repo.repository import Repository

pytestmark = pytest.mark.ipfs


def pinned(node, cid: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        reply = node.rpc_json("pin/ls", {"arg": cid, "type": "recursive", "timeout": "2s"})
    except IpfsNodeError:  # js-ipfs answers "not pinned" with an HTTP error
        return False
    return any(Nid.parse(key) == Nid.parse(cid) for key in reply.get("Keys", {}))


@pytest.fixture
def big_and_small(nit, repo, workdir, signing_key):  # type: ignore[no-untyped-def]
    """One multi-block file (3 MiB + 1: a DAG of 13 blocks) and one small file, committed."""
    big = workdir / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 1))
    small = workdir / "small.txt"
    small.write_bytes(b"small " + os.urandom(16))
    committed(nit, big, small)
    repo_ = Repository.find(workdir)
    objects = []
    for asset in repo_.refs.assets():
        for commit_nid in repo_.refs.history(asset):
            objects += [asset, load_commit(repo_, commit_nid).tree_cid, commit_nid]
    return objects


def test_push_uploads_and_pins_every_object_then_registers(
    nit, workdir, on_devnet, ipfs_node, big_and_small
):
    assert nit("remote", "add", "local", ipfs_node.api_url).exit_code == 0

    result = nit("push", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["remote"] == "local"
    assert {Nid(u["cid"]) for u in report["uploads"]} == set(big_and_small)
    assert all(u["status"] == "uploaded" for u in report["uploads"])
    assert [c["state"] for c in report["commits"]] == ["pushed", "pushed"]
    for cid in big_and_small:
        assert pinned(ipfs_node, cid), cid
    # the node serves our file back, from our blocks (no re-chunking)
    big_nid = Repository.find(workdir).index().tracked["big.bin"].nid
    assert ipfs_node.rpc("cat", {"arg": big_nid}) == (workdir / "big.bin").read_bytes()


def test_push_again_uploads_nothing_and_sends_nothing(
    nit, workdir, on_devnet, ipfs_node, big_and_small
):
    assert nit("remote", "add", "local", ipfs_node.api_url).exit_code == 0
    assert nit("push").exit_code == 0

    again = nit("push", "--json")

    assert again.exit_code == 0, again.stderr
    report = json.loads(again.stdout)
    assert {u["status"] for u in report["uploads"]} == {"skipped"}
    assert report["commits"] == []


def test_no_chain_uploads_only(nit, workdir, on_devnet, ipfs_node, big_and_small):
    assert nit("remote", "add", "local", ipfs_node.api_url).exit_code == 0

    result = nit("push", "--no-chain", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["network"] is None and report["commits"] == []
    assert all(pinned(ipfs_node, cid) for cid in big_and_small)
    # nothing on chain yet: a later push registers both commits
    later = json.loads(nit("push", "--json").stdout)
    assert [c["state"] for c in later["commits"]] == ["pushed", "pushed"]


def test_ipfs_node_down_fails_before_anything_is_registered(nit, workdir, on_devnet, big_and_small):
    from tests.support.tools import free_port

    assert nit("remote", "add", "gone", f"http://127.0.0.1:{free_port()}").exit_code == 0

    result = nit("push")

    assert result.exit_code == 9, result.stderr
    assert result.stderr.count("\n") == 1
    # The way out is in the message: register on chain without the IPFS remote.
    assert result.stderr.strip().endswith(
        "`nit push --no-ipfs` registers the commits on chain without it)"
    ), result.stderr
    assert sql(workdir, "SELECT name FROM refs WHERE name LIKE 'refs/remotes/devnet/%'") == []
    done = nit("push", "--no-ipfs")
    assert done.exit_code == 0, done.stderr
    assert "2 commits registered" in done.stdout


def test_without_a_remote_push_registers_and_says_files_stay_local(
    nit, workdir, on_devnet, big_and_small
):
    result = nit("push")

    assert result.exit_code == 0, result.stderr
    assert "no IPFS remote configured" in result.stderr
    assert "2 commits registered" in result.stdout


def test_no_chain_without_a_remote_is_a_usage_error(nit, workdir, big_and_small):
    result = nit("push", "--no-chain")
    assert result.exit_code == 2
    assert "no IPFS remote" in result.stderr


def test_push_rereads_a_file_added_by_reference_and_refuses_a_changed_one(
    nit, repo, workdir, on_devnet, ipfs_node, signing_key
):
    """`--no-copy`: push re-reads the file and checks it against its Nid before it leaves."""
    big = workdir / "by-reference.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    added = nit("add", "--no-copy", big.name, "--json")
    assert added.exit_code == 0, added.output
    (entry,) = json.loads(added.stdout)
    assert entry["referenced"] is True
    assert nit("commit", "-m", "by reference").exit_code == 0
    assert nit("remote", "add", "local", ipfs_node.api_url).exit_code == 0
    data = bytearray(big.read_bytes())
    data[1_000_000] ^= 0xFF
    big.write_bytes(bytes(data))

    result = nit("push")
    assert result.exit_code == 31, result.output
    assert result.stderr.count("\n") == 1
    assert "by-reference.bin was added by reference and has changed since" in result.stderr
    assert not pinned(ipfs_node, entry["nid"])

    data[1_000_000] ^= 0xFF  # the original back: push sends exactly it
    big.write_bytes(bytes(data))
    assert nit("push").exit_code == 0
    assert pinned(ipfs_node, entry["nid"])
    assert ipfs_node.rpc("cat", {"arg": entry["nid"]}) == bytes(data)
