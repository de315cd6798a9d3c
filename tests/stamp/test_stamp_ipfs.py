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


def pinned(node, cid: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the node has `cid` pinned recursively (asked about that CID alone:
    the session's node also holds CIDv0 pins that base32 cannot list)."""
    try:
        answer = node.rpc_json("pin/ls", {"arg": cid, "type": "recursive", "cid-base": "base32"})
    except IpfsNodeError:
        return False
    return cid in answer.get("Keys", {})


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


def test_a_batch_goes_up_as_one_car(
    nit, repo, on_devnet, ipfs_node, artifacts, monkeypatch
) -> None:
    """40 artifacts, hash-only: 83 objects in one `dag/import` and two `pin/add`s
    (64 CIDs each at most), every one pinned on the node and recorded once."""
    from numbers_cli.ipfs.kubo import KuboRemote

    calls: dict[str, int] = {"import": 0, "pin": 0, "pin_one": 0}
    real_import, real_post = KuboRemote.import_car, KuboRemote._post

    def counting_import(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["import"] += 1
        return real_import(self, *args, **kwargs)

    def counting_post(self, command, params=None, **kwargs):  # type: ignore[no-untyped-def]
        if command == "pin/add":
            many = isinstance((params or {}).get("arg"), list)
            calls["pin" if many else "pin_one"] += 1
        return real_post(self, command, params, **kwargs)

    monkeypatch.setattr(KuboRemote, "import_car", counting_import)
    monkeypatch.setattr(KuboRemote, "_post", counting_post)
    ok(nit("remote", "add", "local", ipfs_node.api_url))
    artifacts(40)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--hash-only", "--json")).stdout)
    assert report["uploaded"] == 2 * 40 + 3
    assert calls == {"import": 1, "pin": 2, "pin_one": 0}
    local = Repository.find(repo)
    for item in report["artifacts"]:
        assert pinned(ipfs_node, item["commit"])
        assert pinned(ipfs_node, load_commit(local, Nid(item["commit"])).tree_cid)
    batch = report["batches"][0]
    assert pinned(ipfs_node, batch["batch"]) and pinned(ipfs_node, batch["commit"])
    record = (repo / ".numbers" / "remotes" / "local" / "pinned").read_text().split()
    assert len(record) == len(set(record)) == 2 * 40 + 3

    # The next stamp sends only its own objects: the record says the rest is there.
    artifacts(2, prefix="late")
    later = json.loads(ok(nit("stamp", "-r", "dist", "--hash-only", "--json")).stdout)
    assert later["uploaded"] == 2 * 2 + 3
    assert calls == {"import": 2, "pin": 3, "pin_one": 0}
