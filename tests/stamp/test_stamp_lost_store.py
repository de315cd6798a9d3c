"""A lost `store.db` and `nit fsck --repair`: the stamp records are re-made from the
packs (the signed batch tree, the manifest, the proofs), so a stamped artifact's
commit is never registered on its own, and verify, status and stamp see the stamp."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Nit, ok
from tests.stamp.test_stamp import nonce, stamp_json

from numbers_cli.chain import ChainClient
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords


def lose_store(repo: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (repo / ".numbers" / f"store.db{suffix}").unlink(missing_ok=True)


def repair(nit: Nit) -> dict:
    result = nit("fsck", "--repair", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"], result.output
    return report


def test_a_lost_store_keeps_every_stamp(nit, repo, on_devnet, artifacts) -> None:
    artifacts(4)
    report = stamp_json(nit, "-r", "dist")
    (batch,) = report["batches"]
    nids = [a["nid"] for a in report["artifacts"]]
    lose_store(repo)

    repaired = repair(nit)
    assert any(f"stamp record of batch {batch['batch']}" in s for s in repaired["repaired"])
    (record,) = StampRecords(Repository.find(repo).db).batches()
    assert (record.batch, record.commit, record.root) == (
        batch["batch"],
        batch["commit"],
        batch["root"],
    )
    assert [e.commit for e in record.entries] == [a["commit"] for a in report["artifacts"]]

    # (c) status: the artifacts are anchored by their batch, not unpushed.
    unpushed = {u["nid"] for u in json.loads(ok(nit("status", "--json")).stdout)["unpushed"]}
    assert not unpushed & set(nids)
    # (b) verify: still "stamped in batch B, leaf i of n", the chain read with --remote.
    remote = ok(nit("verify", "dist/artifact-2.bin", "--remote"))
    assert f"stamped in batch {batch['batch']}, leaf 3 of 4" in remote.stdout
    assert f"on chain: devnet tx {batch['txHash']}" in remote.stdout

    # (a) push: the batch's commit is found on chain and recorded, nothing is sent.
    sent = nonce(on_devnet)
    pushed = json.loads(ok(nit("push", "--no-ipfs", "--json")).stdout)
    assert [(c["asset"], c["state"]) for c in pushed["commits"]] == [(batch["batch"], "found")]
    assert nonce(on_devnet) == sent
    with ChainClient(on_devnet) as client:
        assert set(client.commit_counts(nids).values()) == {0}
        assert len(client.history(batch["batch"])) == 1
    local = ok(nit("verify", "dist/artifact-0.bin"))
    assert "leaf 1 of 4" in local.stdout and f"registered on devnet in tx {batch['txHash']}" in (
        local.stdout
    )

    # (d) stamp: the same bytes are "already stamped" (exit 24), nothing sent.
    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output
    assert again.stdout.count("already stamped") == 4
    assert nonce(on_devnet) == sent
    assert json.loads(ok(nit("fsck", "--json")).stdout)["ok"]
