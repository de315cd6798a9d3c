"""Stamp records damaged in place (a bad page, a hand edit): a garbled batch row, leaf
rows whose batch row is gone. `nit fsck` names each damaged batch once; `--repair`
re-makes it from the packs under the trust rules of ops/stamp/recover.py (signed
batch tree, manifest hashing to assetSha256, rebuilt root, committer), keeping the
network the record had when it is still a network's name."""

from __future__ import annotations

import json

import pytest
from tests.conftest import ok
from tests.stamp.test_stamp import nonce, stamp_json
from tests.stamp.test_stamp_lost_store import _sql, repair

from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords


def stamp_problems(nit) -> list[dict]:  # type: ignore[no-untyped-def]
    found = json.loads(nit("fsck", "--json").stdout)
    return [p for p in found["problems"] if p["kind"] == "stamp"]


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("root", "'garbage'", "root 'garbage'"),
        ("commit_nid", "'junk'", "commit 'junk'"),
        ("network", "'dev net/..'", "network 'dev net/..'"),
        ("leaves", "-3", "-3 leaves"),
    ],
)
def test_a_garbled_batch_row_is_named_and_re_made(
    nit, repo, on_devnet, artifacts, column, value, said
) -> None:
    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    _sql(repo, f"UPDATE stamp_batches SET {column} = {value}")
    (problem,) = stamp_problems(nit)  # the batch, once (not once per leaf too)
    assert problem["name"] == batch["batch"]
    assert said in problem["message"] and "nit fsck --repair" in problem["message"]

    repaired = repair(nit)
    assert any(
        f"re-made the damaged stamp record of batch {batch['batch']}" in s and "on devnet" in s
        for s in repaired["repaired"]
    ), repaired["repaired"]
    (record,) = StampRecords(Repository.find(repo).db).batches("devnet")
    assert (record.root, record.commit, record.leaves) == (batch["root"], batch["commit"], 3)
    assert "leaf 2 of 3" in ok(nit("verify", "dist/artifact-1.bin")).stdout
    sent = nonce(on_devnet)
    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output
    assert nonce(on_devnet) == sent


def test_a_batch_row_whose_batch_is_garbage_is_dropped_and_re_made(
    nit, repo, on_devnet, artifacts
) -> None:
    """The row cannot say which batch it is: it and its leaf rows go, and the batch is
    re-made from the packs, with the network the row had for the same commit."""
    artifacts(2)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    _sql(repo, "UPDATE stamp_batches SET batch = 'xx'")
    problems = stamp_problems(nit)
    assert [p["name"] for p in problems] == [batch["batch"]], problems
    assert "'xx'" in problems[0]["message"]
    # Every other command says the record is damaged, in one line.
    broken = nit("verify", "dist/artifact-0.bin")
    assert broken.exit_code == 5 and "nit fsck --repair" in broken.stderr
    repair(nit)
    local = Repository.find(repo)
    assert local.db.all("SELECT batch FROM stamp_batches") == [(batch["batch"],)]
    assert local.db.one("SELECT count(*) FROM stamps") == (2,)
    (record,) = StampRecords(local.db).batches("devnet")
    assert record.commit == batch["commit"]
    assert nit("stamp", "-r", "dist", "--no-ipfs").exit_code == 24


def test_orphaned_leaf_rows_count_once_and_are_repaired(nit, repo, on_devnet, artifacts) -> None:
    """Leaf rows whose batch row is gone: one problem (the batch), one count in status,
    and after --repair one row per leaf, none left over."""
    artifacts(2)
    report = stamp_json(nit, "-r", "dist")
    (batch,) = report["batches"]
    asset = report["artifacts"][0]["nid"]
    # A second, unpushed commit of a stamped asset: status must still list it.
    ok(nit("add", "dist/artifact-0.bin", "--license", "CC-BY-4.0"))
    ok(nit("commit", "-m", "licensed"))
    _sql(repo, "DELETE FROM stamp_batches")
    assert [p["name"] for p in stamp_problems(nit)] == [batch["batch"]]
    repair(nit)
    local = Repository.find(repo)
    assert local.db.one("SELECT count(*) FROM stamps") == (2,)
    assert StampRecords(local.db).stamped_counts() == {a["nid"]: 1 for a in report["artifacts"]}
    unpushed = json.loads(ok(nit("status", "--json")).stdout)["unpushed"]
    assert [(u["nid"], u["commits"]) for u in unpushed] == [(asset, 1)]
    assert json.loads(ok(nit("fsck", "--json")).stdout)["ok"]


def test_leaf_rows_pointing_at_another_batch_are_re_made(nit, repo, on_devnet, artifacts) -> None:
    """A leaf row moved under another batch's id (a damaged page's garbage): both
    batches are named once each and re-made; every leaf is counted once."""
    artifacts(2, prefix="a")
    artifacts(2, prefix="b")
    first = stamp_json(nit, "dist/a-0.bin", "dist/a-1.bin")["batches"][0]
    second = stamp_json(nit, "dist/b-0.bin", "dist/b-1.bin")["batches"][0]
    _sql(repo, "UPDATE stamps SET batch = 2, leaf = 2 WHERE batch = 1 AND leaf = 1")
    names = sorted(p["name"] for p in stamp_problems(nit))
    assert names == sorted([first["batch"], second["batch"]])
    repair(nit)
    local = Repository.find(repo)
    records = StampRecords(local.db).batches("devnet")
    assert sorted(r.batch for r in records) == names
    assert all(len(r.entries) == 2 for r in records)
    assert local.db.one("SELECT count(*) FROM stamps") == (4,)
    assert json.loads(ok(nit("fsck", "--json")).stdout)["ok"]


def test_an_unknown_network_is_said_and_settled(nit, repo, on_devnet, artifacts) -> None:
    """After a lost store, every command that shows the stamp says its network is
    unknown until settled (never an empty name); a push that finds the batch on
    chain writes the network down."""
    from tests.stamp.test_stamp_lost_store import lose_store

    artifacts(2)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    lose_store(repo)
    repair(nit)
    text = nit("verify", "dist/artifact-0.bin")
    assert text.exit_code == 25 and "network unknown until settled" in text.stdout
    checks = json.loads(nit("verify", "dist/artifact-0.bin", "--json").stdout)["commits"][0]
    (anchor,) = [c for c in checks["checks"] if c["check"] == "anchor"]
    assert "network unknown until settled" in anchor["detail"]
    attest = nit("attest", "dist/artifact-0.bin")
    assert attest.exit_code == 4 and "network is unknown until settled" in attest.stderr
    ok(nit("push", "--no-ipfs"))
    local = Repository.find(repo)
    assert local.db.one("SELECT network FROM stamp_batches") == ("devnet",)
    assert f"registered on devnet in tx {batch['txHash']}" in (
        ok(nit("verify", "dist/artifact-0.bin")).stdout
    )


def test_a_fetch_settles_the_network(nit, repo, on_devnet, artifacts) -> None:
    from tests.stamp.test_stamp_lost_store import lose_store

    artifacts(2)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    lose_store(repo)
    repair(nit)
    ok(nit("fetch", batch["batch"]))
    local = Repository.find(repo)
    assert local.db.one("SELECT network FROM stamp_batches") == ("devnet",)
