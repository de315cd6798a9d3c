"""`nit stamp` with a real IPFS node: hash-only stamps send trees and commits, never bytes."""

from __future__ import annotations

import json

import pytest
from tests.conftest import ok
from tests.support.ipfs_node import IpfsNodeError

from numbers_cli.model.nid import Nid
from numbers_cli.ops.trees import load_commit
from numbers_cli.repo.repository import Repository

pytestmark = pytest.mark.ipfs


def on_node(node, cid: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the (offline) node holds the block `cid`, asked with a short timeout."""
    try:
        node.rpc_json("block/stat", {"arg": cid, "timeout": "2s"})
    except IpfsNodeError:
        return False
    return True


def test_hash_only_stamp_keeps_the_bytes_home(
    nit, repo, on_devnet, ipfs_node, artifacts, monkeypatch
) -> None:
    ok(nit("remote", "add", "local", ipfs_node.api_url))
    monkeypatch.setenv("CI", "true")  # hash-only by default
    artifacts(3)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--json")).stdout)
    assert report["hashOnly"] and report["remote"] == "local"
    local = Repository.find(repo)
    batch = report["batches"][0]
    assert on_node(ipfs_node, batch["batch"])  # the manifest
    assert on_node(ipfs_node, batch["commit"])
    assert on_node(ipfs_node, load_commit(local, Nid(batch["commit"])).tree_cid)
    for item in report["artifacts"]:
        assert on_node(ipfs_node, item["commit"])
        assert on_node(ipfs_node, load_commit(local, Nid(item["commit"])).tree_cid)
        assert not on_node(ipfs_node, item["nid"])  # the artifact itself never left
    # trees, commits, manifest, batch tree and commit: 2 per artifact + 3
    assert report["uploaded"] == 2 * 3 + 3


def test_keep_content_uploads_the_bytes_too(nit, repo, on_devnet, ipfs_node, artifacts) -> None:
    ok(nit("remote", "add", "local", ipfs_node.api_url))
    files = artifacts(2, prefix="kept")
    report = json.loads(ok(nit("stamp", "-r", "dist", "--keep-content", "--json")).stdout)
    assert not report["hashOnly"]
    by_name = {f"dist/{p.name}": p for p in files}
    for item in report["artifacts"]:
        assert ipfs_node.rpc("cat", {"arg": item["nid"]}) == by_name[item["name"]].read_bytes()
