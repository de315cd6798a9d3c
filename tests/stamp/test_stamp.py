"""`nit stamp` against a real anvil: one batch, one registration, a proof per artifact."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok, python_m
from tests.stamp.conftest import make_artifacts

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.stamp import BatchManifest, InclusionProof
from numbers_cli.model.tree import AssetTree
from numbers_cli.model.unixfs import nid_of_bytes
from numbers_cli.ops.trees import load_tree, read_file
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords


def stamp_json(nit: Nit, *args: str, env: dict[str, str] | None = None) -> dict:
    return json.loads(ok(nit("stamp", *args, "--no-ipfs", "--json", env=env)).stdout)


def nonce(network: Network) -> int:
    """Transactions the node has from TEST_ADDRESS, mined or in its pool: a send that
    returned just before a kill may not be mined yet (anvil mines after answering)."""
    with ChainClient(network) as client:
        return client._rpc.call_quantity("eth_getTransactionCount", [TEST_ADDRESS, "pending"])


def test_one_registration_anchors_every_artifact(nit, repo, on_devnet, artifacts) -> None:
    files = artifacts(12)
    before = nonce(on_devnet)
    report = stamp_json(nit, "-r", "dist")
    assert nonce(on_devnet) == before + 1  # one transaction for twelve artifacts

    (batch,) = report["batches"]
    assert batch["state"] == "registered" and batch["leaves"] == 12
    assert [a["state"] for a in report["artifacts"]] == ["stamped"] * 12
    by_name = {f"dist/{p.name}": p for p in files}
    assert sorted(a["name"] for a in report["artifacts"]) == sorted(by_name)
    assert [a["leafIndex"] for a in report["artifacts"]] == list(range(12))

    local = Repository.find(repo)
    with ChainClient(on_devnet) as client:
        (record,) = client.history(batch["batch"])  # the batch's commit, exactly once
        counts = client.commit_counts([a["nid"] for a in report["artifacts"]])
    assert Nid.of_bytes(record.commit_data.encode()) == batch["commit"]
    assert record.tx_hash == batch["txHash"]
    assert batch["root"] in json.loads(record.commit_data)["abstract"]
    assert set(counts.values()) == {0}  # no artifact registered on its own

    # The batch commit signs a tree that names the root, over the manifest listing them all.
    batch_commit = Commit.from_json(record.commit_data)
    tree = AssetTree.from_bytes(read_file(local, batch_commit.tree_cid))
    assert tree.get("custom")["stampBatch"]["root"] == batch["root"]
    assert tree.get("assetCid") == batch["batch"]
    manifest = BatchManifest.from_bytes(read_file(local, Nid(batch["batch"])))
    assert manifest.root_hex() == batch["root"]
    assert [a.commit for a in manifest.artifacts] == [a["commit"] for a in report["artifacts"]]

    # Each artifact: an asset with a tree and a signed commit, and its proof stored.
    for item in report["artifacts"]:
        data = by_name[item["name"]].read_bytes()
        assert item["nid"] == nid_of_bytes(data)
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert local.refs.history(item["nid"]) == [item["commit"]]
        tree = load_tree(local, Nid(item["commit"]))
        assert tree.get("assetSha256") == item["sha256"]
        assert tree.get("encodingFormat") == "application/octet-stream"
        (stamp,) = StampRecords(local.db).of_asset(item["nid"])
        proof = InclusionProof.from_bytes(local.objects.get(stamp[1].proof))
        assert proof.leads_to_root() and proof.leaf_index == item["leafIndex"]
    assert [e.commit for e in local.refs.remote_history("devnet", batch["batch"])] == [
        batch["commit"]
    ]
    ok(nit("fsck"))


def test_verify_says_stamped_in_batch_leaf_i_of_n(nit, repo, on_devnet, artifacts) -> None:
    artifacts(5)
    report = stamp_json(nit, "-r", "dist")
    batch = report["batches"][0]["batch"]
    tx = report["batches"][0]["txHash"]
    # A local verify, like any: the registration as recorded here, no chain asked.
    result = ok(nit("verify", "dist/artifact-3.bin"))
    assert f"stamped in batch {batch}, leaf 4 of 5" in result.stdout
    assert f"registered on devnet in tx {tx}" in result.stdout
    assert "the chain was not asked" in result.stdout
    # --remote: the batch's commit read back from the chain it was registered on.
    remote = ok(nit("verify", "dist/artifact-3.bin", "--remote"))
    assert f"stamped in batch {batch}, leaf 4 of 5" in remote.stdout
    assert f"on chain: devnet tx {tx}" in remote.stdout
    verdict = json.loads(ok(nit("verify", "dist/artifact-3.bin", "--json", "--remote")).stdout)
    checks = {c["check"]: c for c in verdict["commits"][0]["checks"]}
    assert {"leaf", "proof", "batch", "anchor"} <= set(checks)
    assert all(c["ok"] for c in checks.values())
    # A stamped commit named on its own is checked through its batch too.
    by_commit = ok(nit("verify", report["artifacts"][0]["commit"], "--network", "devnet"))
    assert "leaf 1 of 5" in by_commit.stdout and "on chain: devnet" in by_commit.stdout
    offline = ok(nit("verify", "--offline", report["artifacts"][0]["nid"]))
    assert "leaf 1 of 5" in offline.stdout and "the chain was not asked" in offline.stdout
    clash = nit("verify", "--offline", "--remote", report["artifacts"][0]["nid"])
    assert clash.exit_code == 2 and "--offline asks no chain" in clash.output


def test_stamping_the_same_bytes_again(nit, repo, on_devnet, artifacts, workdir) -> None:
    artifacts(3)
    first = stamp_json(nit, "-r", "dist")
    sent = nonce(on_devnet)

    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output
    assert again.stdout.count("already stamped") == 3
    assert "leaf 2 of 3" in again.stdout
    report = json.loads(nit("stamp", "-r", "dist", "--no-ipfs", "--json").stdout)
    assert report["alreadyStamped"] and report["batches"] == []
    assert nonce(on_devnet) == sent  # nothing sent

    # One new file among stamped ones: only it is stamped; the run succeeds.
    make_artifacts(workdir / "dist", 1, prefix="late")
    mixed = stamp_json(nit, "-r", "dist")
    states = {a["name"]: a["state"] for a in mixed["artifacts"]}
    assert states.pop("dist/late-0.bin") == "stamped"
    assert set(states.values()) == {"already"}
    assert mixed["batches"][0]["leaves"] == 1

    # --again: a new batch, a second (update) commit for each artifact.
    anew = stamp_json(nit, "-r", "dist", "--again")
    assert anew["batches"][0]["leaves"] == 4
    local = Repository.find(repo)
    nid = first["artifacts"][0]["nid"]
    history = local.refs.history(nid)
    assert len(history) == 2
    assert Commit.from_json(local.objects.get(history[1])).get("actionName") == "action-commit"
    result = ok(nit("verify", nid))
    assert result.stdout.count("stamped in batch") == 2


def test_standard_input(nit, repo, on_devnet, workdir) -> None:
    payload = b"tar archive bytes\x00" * 40_000  # 720 KB: several blocks
    done = python_m("stamp", "-", "--name", "dist.tar", "--json", cwd=workdir, stdin=payload)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (item,) = report["artifacts"]
    assert item["name"] == "dist.tar" and item["size"] == len(payload)
    assert item["nid"] == nid_of_bytes(payload)
    assert item["sha256"] == hashlib.sha256(payload).hexdigest()
    (workdir / "dist.tar").write_bytes(payload)
    assert "leaf 1 of 1" in ok(nit("verify", "dist.tar")).stdout
    again = python_m("stamp", "-", "--name", "dist.tar", cwd=workdir, stdin=payload)
    assert again.returncode == 24


def test_hash_only_by_default_in_ci(nit, repo, on_devnet, artifacts, monkeypatch) -> None:
    ci_files = artifacts(2, prefix="ci")
    monkeypatch.setenv("CI", "true")
    report = stamp_json(nit, "-r", "dist")
    assert report["hashOnly"] is True
    local = Repository.find(repo)
    for item in report["artifacts"]:
        assert not local.objects.has(Nid(item["nid"]))  # the bytes stayed where they were
    assert ok(nit("verify", str(ci_files[0]))).exit_code == 0

    kept = artifacts(1, prefix="kept", sub="other")
    report = stamp_json(nit, str(kept[0]), "--keep-content")
    assert report["hashOnly"] is False
    local = Repository.find(repo)  # a fresh view: the store caches its pack index
    assert local.objects.get(Nid(report["artifacts"][0]["nid"])) == kept[0].read_bytes()

    monkeypatch.delenv("CI")
    plain = artifacts(1, prefix="plain", sub="third")
    report = stamp_json(nit, str(plain[0]))
    local = Repository.find(repo)
    assert report["hashOnly"] is False and local.objects.has(Nid(report["artifacts"][0]["nid"]))


GITHUB_ENV = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo/app",
    "GITHUB_SHA": "c0ffee" * 6 + "abcd",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_WORKFLOW": "release",
    "GITHUB_JOB": "build",
    "GITHUB_RUN_ID": "42",
    "GITHUB_SERVER_URL": "https://github.com",
    "RUNNER_NAME": "runner-1",
    "GITHUB_TOKEN": "ghs_SENTINEL_TOKEN_VALUE",
}


def test_build_facts_go_under_custom_build(nit, repo, on_devnet, artifacts, monkeypatch) -> None:
    for name, value in GITHUB_ENV.items():
        monkeypatch.setenv(name, value)
    artifacts(2)
    report = stamp_json(nit, "-r", "dist")
    local = Repository.find(repo)
    tree = load_tree(local, Nid(report["artifacts"][0]["commit"]))
    build = tree.get("custom")["build"]
    assert build == {
        "ci": "github-actions",
        "repository": "octo/app",
        "commit": GITHUB_ENV["GITHUB_SHA"],
        "ref": "refs/heads/main",
        "workflow": "release",
        "job": "build",
        "runId": "42",
        "runUrl": "https://github.com/octo/app/actions/runs/42",
        "runner": "runner-1",
    }
    for path in (repo / ".numbers").rglob("*"):
        if path.is_file():
            assert b"SENTINEL" not in path.read_bytes(), path


def test_push_leaves_stamped_commits_to_their_batch(nit, repo, on_devnet, artifacts, media) -> None:
    artifacts(3)
    report = stamp_json(nit, "-r", "dist")
    (photo,) = media(_a_photo())
    ok(nit("add", str(photo)))
    ok(nit("commit", "-m", "a photo"))
    pushed = json.loads(ok(nit("push", "--no-ipfs", "--json")).stdout)
    assert len(pushed["commits"]) == 1  # the photo; the stamped artifacts are anchored already
    assert pushed["commits"][0]["asset"] not in {a["nid"] for a in report["artifacts"]}
    with ChainClient(on_devnet) as client:
        assert set(client.commit_counts([a["nid"] for a in report["artifacts"]]).values()) == {0}


def _a_photo() -> str:
    from tests.conftest import MEDIA

    return sorted(p.name for p in MEDIA.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[0]


def test_same_bytes_twice_in_one_stamp(nit, repo, on_devnet, workdir) -> None:
    (workdir / "a.bin").write_bytes(b"same bytes")
    (workdir / "b.bin").write_bytes(b"same bytes")
    report = stamp_json(nit, "a.bin", "b.bin")
    assert report["batches"][0]["leaves"] == 1
    assert [a["state"] for a in report["artifacts"]] == ["stamped", "duplicate"]
    assert len({a["commit"] for a in report["artifacts"]}) == 1


@pytest.mark.parametrize("count", [1, 40])
def test_one_registration_costs_the_same_for_any_batch(
    nit, repo, on_devnet, workdir, count: int
) -> None:
    make_artifacts(workdir / "dist", count)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    # A registration costs about 90k gas whatever the batch holds (the manifest is off chain):
    # <= 200 per artifact from 500 artifacts on, <= 30 from 3,400 (bench/bench_stamp.py).
    assert 60_000 < batch["gasUsed"] < 100_000


def test_stamped_repository_is_whole(nit, repo, on_devnet, artifacts) -> None:
    artifacts(4)
    stamp_json(nit, "-r", "dist")
    report = json.loads(ok(nit("fsck", "--json")).stdout)
    assert report["ok"] and report["assets"] == 5  # four artifacts and the batch


def test_status_counts_stamped_artifacts_as_anchored(nit, repo, on_devnet, artifacts) -> None:
    artifacts(3)
    stamp_json(nit, "-r", "dist")
    # Without the batch's record the three commits would be listed as never pushed.
    assert json.loads(ok(nit("status", "--json")).stdout)["unpushed"] == []
    with closing(sqlite3.connect(repo / ".numbers" / "store.db")) as db:  # records lost
        db.execute("DELETE FROM refs WHERE name LIKE 'refs/remotes/devnet/%'")
        db.commit()
    unpushed = json.loads(ok(nit("status", "--json")).stdout)["unpushed"]
    assert len(unpushed) == 1  # the batch (not registered, as far as refs know), not its artifacts


def test_a_rebuilt_store_keeps_the_stamp_records(nit, repo, on_devnet, artifacts) -> None:
    """`nit fsck --repair` rebuilding a damaged store.db saves the stamp rows it can
    read with the refs (repo/maintenance.py), so stamped artifacts stay anchored."""
    from numbers_cli.repo.maintenance import rebuild_store

    artifacts(3)
    report = stamp_json(nit, "-r", "dist")
    local = Repository.find(repo)
    aside, saved = rebuild_store(local)
    local.close()
    assert aside.exists() and saved["stamp_batches"] == 1 and saved["stamps"] == 3
    assert json.loads(ok(nit("fsck", "--json")).stdout)["ok"]
    assert json.loads(ok(nit("status", "--json")).stdout)["unpushed"] == []
    result = ok(nit("verify", report["artifacts"][2]["nid"], "--remote"))
    assert "leaf 3 of 3" in result.stdout and "on chain: devnet" in result.stdout
