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
    sentence = f"re-made the stamp record of batch {batch['batch']} from its signed tree"
    assert any(s.startswith(sentence) for s in repaired["repaired"]), repaired["repaired"]
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


def test_the_next_stamp_settles_the_network_from_the_chain(nit, repo, on_devnet, artifacts) -> None:
    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    lose_store(repo)
    repair(nit)
    (record,) = StampRecords(Repository.find(repo).db).batches()
    assert record.network == ""  # the packs do not say which chain it went to
    offline = nit("verify", "dist/artifact-1.bin")
    assert offline.exit_code == 25 and "re-made by `nit fsck --repair`" in offline.stdout
    # --network names the chain asked for a batch of unknown network; nothing is written.
    asked = ok(nit("verify", "dist/artifact-1.bin", "--network", "devnet"))
    assert f"on chain: devnet tx {batch['txHash']}" in asked.stdout
    assert "not recorded here yet" in asked.stdout
    assert StampRecords(Repository.find(repo).db).batches()[0].network == ""

    sent = nonce(on_devnet)
    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output  # found on devnet's chain: already stamped
    assert again.stdout.count("already stamped") == 3
    assert nonce(on_devnet) == sent
    local = Repository.find(repo)
    (record,) = StampRecords(local.db).batches("devnet")
    assert StampRecords(local.db).unsettled() == []
    assert [e.tx_hash for e in local.refs.remote_history("devnet", record.batch)] == [
        batch["txHash"]
    ]
    assert "leaf 2 of 3" in ok(nit("verify", "dist/artifact-1.bin")).stdout
    assert json.loads(ok(nit("push", "--no-ipfs", "--json")).stdout)["commits"] == []
    assert nonce(on_devnet) == sent


def test_a_batch_that_never_left_is_registered_once(nit, repo, on_devnet, artifacts) -> None:
    """Killed before its transaction was journalled, then the store lost: the batch's
    network is unknown and the chain does not have it. `nit stamp` leaves it alone
    and says so; `nit push` registers the batch's commit, never an artifact's."""
    from tests.stamp.test_stamp_interrupted import run_driver

    files = artifacts(3)
    killed = run_driver("push_crash.py", repo, "--kill-at", "journal:1:before")
    assert killed.returncode < 0, killed.stderr
    lose_store(repo)
    repair(nit)
    (record,) = StampRecords(Repository.find(repo).db).batches()
    assert record.network == "" and record.leaves == 3

    sent = nonce(on_devnet)
    pushed = json.loads(ok(nit("push", "--no-ipfs", "--json")).stdout)
    assert [(c["asset"], c["state"]) for c in pushed["commits"]] == [(record.batch, "pushed")]
    assert nonce(on_devnet) == sent + 1
    with ChainClient(on_devnet) as client:
        assert set(client.commit_counts([e.asset for e in record.entries]).values()) == {0}
    result = ok(nit("verify", str(files[2])))
    assert "leaf 3 of 3" in result.stdout and "registered on devnet" in result.stdout
    assert nit("stamp", "-r", "dist", "--no-ipfs").exit_code == 24


def test_an_interrupted_stamp_is_finished_from_its_journal(nit, repo, on_devnet, artifacts) -> None:
    """Broadcast, not recorded, store lost: the push journal (a file of its own) says
    which network the batch was signed for; the next stamp finishes it, sends nothing."""
    from tests.stamp.test_stamp_interrupted import run_driver

    artifacts(3)
    before = nonce(on_devnet)
    killed = run_driver("push_crash.py", repo, "--kill-at", "send:1:after")
    assert killed.returncode < 0, killed.stderr
    assert nonce(on_devnet) == before + 1
    lose_store(repo)
    repair(nit)

    result = nit("stamp", "-r", "dist", "--no-ipfs", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["batches"][0]["state"] in ("recovered", "found")
    assert nonce(on_devnet) == before + 1  # the one registration, never a second
    (record,) = StampRecords(Repository.find(repo).db).batches("devnet")
    with ChainClient(on_devnet) as client:
        assert len(client.history(record.batch)) == 1
        assert set(client.commit_counts([e.asset for e in record.entries]).values()) == {0}
    assert nit("stamp", "-r", "dist", "--no-ipfs").exit_code == 24


def _forge_batch(local: Repository, manifest, signer, later, *, signature=None, root=None):  # type: ignore[no-untyped-def]
    """Another batch over the same artifacts' commits, made and signed here as
    ops/stamp/batch.py makes one (the same fields), with what the test changes."""
    import hashlib

    from numbers_cli.model.commit import ACTION_FOR_KIND, ACTION_NIDS, Commit, gateway_url
    from numbers_cli.model.nid import RAW_PREFIX, Nid
    from numbers_cli.model.stamp import BATCH_MIME, BatchManifest, batch_tree_fields
    from numbers_cli.model.tree import AssetTree

    def put(data: bytes) -> tuple[Nid, str]:
        digest = hashlib.sha256(data).digest()
        local.objects.add_blocks([(RAW_PREFIX + digest, data)])
        return Nid.from_bytes(RAW_PREFIX + digest), digest.hex()

    forged = BatchManifest(manifest.root, manifest.created + later, {}, manifest.artifacts)
    n = len(manifest.artifacts)
    with local.transaction() as txn:
        batch, sha = put(forged.to_bytes())  # one block: its raw Nid is its Nid
        tree = AssetTree.new(
            {
                "assetCid": batch,
                "assetSha256": sha,
                "encodingFormat": BATCH_MIME,
                "assetTimestampCreated": forged.created,
                "abstract": f"nit stamp batch of {n} artifacts",
                "custom": {"stampBatch": batch_tree_fields(root or manifest.root, n)},
            }
        )
        tree_cid, tree_sha = put(tree.to_bytes())
        commit = Commit.new(
            {
                "assetTreeCid": tree_cid,
                "assetTreeSha256": tree_sha,
                "assetTreeSignature": signature or signer.sign_text(tree_sha),
                "author": signer.address,
                "committer": signer.address,
                "provider": None,
                "timestampCreated": forged.created,
                "action": ACTION_NIDS[ACTION_FOR_KIND["new"]],
                "actionResult": gateway_url(tree_cid),
                "abstract": f"nit stamp: {n} artifact(s), Merkle root {forged.root_hex()}",
            },
            validate=False,
        ).with_action_name()
        commit_nid, _ = put(commit.to_bytes())
        txn.append_commit(batch, commit_nid)
    return batch


def test_only_a_signed_batch_of_the_same_committer_is_re_made(
    nit, repo, on_devnet, artifacts
) -> None:
    """What fsck would re-make must hold under the batch committer's signature; the
    same batch made by this wallet is re-made (the test can fail), the others not."""
    from tests.conftest import TEST_KEY

    from numbers_cli.model.nid import Nid
    from numbers_cli.model.stamp import BatchManifest
    from numbers_cli.ops.stamp.recover import unrecorded_batches
    from numbers_cli.ops.trees import read_file
    from numbers_cli.wallet.signer import Signer

    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    local = Repository.find(repo)
    manifest = BatchManifest.from_bytes(read_file(local, Nid(batch["batch"])))
    assert unrecorded_batches(local) == []  # the stamp's own batch has its record

    mine = Signer(bytes.fromhex(TEST_KEY[2:]))
    other = Signer(bytes.fromhex("11" * 32))
    _forge_batch(local, manifest, other, 1)  # someone else's, validly signed
    _forge_batch(local, manifest, mine, 2, signature="0x" + "ab" * 65)  # not a signature
    _forge_batch(local, manifest, mine, 3, root=b"\x01" * 32)  # signs another root
    assert unrecorded_batches(Repository.find(repo)) == []

    genuine = _forge_batch(local, manifest, mine, 4)
    (found,) = unrecorded_batches(Repository.find(repo))
    assert found.record.batch == genuine and found.present == 3
    assert found.record.network == ""
    # Its proofs are not the stamp's (another batch Nid): all made, none stored yet.
    assert len(found.proofs) == 3


def _sql(repo: Path, statement: str) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(repo / ".numbers" / "store.db")) as db:
        db.execute(statement)
        db.commit()


def test_leaves_lost_from_a_record_are_re_made(nit, repo, on_devnet, artifacts) -> None:
    """A damaged store's salvage may keep a batch's row and lose some of its leaves:
    the record is re-made whole from the packs, on the network it had."""
    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    _sql(repo, "DELETE FROM stamps WHERE leaf > 0")
    found = json.loads(nit("fsck", "--json").stdout)
    assert not found["ok"]
    assert {p["name"] for p in found["problems"] if p["kind"] == "stamp"} == {batch["batch"]}
    repaired = repair(nit)
    assert any("damaged stamp record" in s and "on devnet" in s for s in repaired["repaired"])
    (record,) = StampRecords(Repository.find(repo).db).batches("devnet")
    assert len(record.entries) == 3
    assert "leaf 3 of 3" in ok(nit("verify", "dist/artifact-2.bin", "--remote")).stdout


def test_leaves_whose_batch_row_was_lost(nit, repo, on_devnet, artifacts) -> None:
    """The batch's row lost, its leaves kept: the commits stay anchored meanwhile,
    and the re-made record takes an id no kept leaf has."""
    artifacts(2)
    report = stamp_json(nit, "-r", "dist")
    _sql(repo, "DELETE FROM stamp_batches")
    found = json.loads(nit("fsck", "--json").stdout)
    (problem,) = [p for p in found["problems"] if p["kind"] == "stamp"]
    assert "has no stamp record: `nit push` would register its 2 artifacts'" in problem["message"]
    sent = nonce(on_devnet)
    plan = json.loads(ok(nit("push", "--dry-run", "--no-ipfs", "--json")).stdout)["commits"]
    assert plan == []  # the batch is recorded on devnet; the artifacts are still stamped
    repair(nit)
    (record,) = StampRecords(Repository.find(repo).db).batches()
    assert record.network == "devnet"  # its refs/remotes say where it is
    assert [e.commit for e in record.entries] == [a["commit"] for a in report["artifacts"]]
    assert nit("stamp", "-r", "dist", "--no-ipfs").exit_code == 24
    assert nonce(on_devnet) == sent


def test_a_fetch_of_the_batch_places_it(nit, repo, on_devnet, artifacts) -> None:
    """`nit fetch BATCH` records the chain's list in refs/remotes: the re-made record
    is then read as registered there, with no stamp or push."""
    artifacts(2)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    lose_store(repo)
    repair(nit)
    fetched = json.loads(ok(nit("fetch", batch["batch"], "--json")).stdout)
    assert fetched["remoteUpdated"] and not fetched["headUpdated"]
    (record,) = StampRecords(Repository.find(repo).db).batches("devnet")
    assert record.batch == batch["batch"]
    result = ok(nit("verify", "dist/artifact-0.bin"))
    assert f"registered on devnet in tx {batch['txHash']}" in result.stdout
    assert json.loads(ok(nit("status", "--json")).stdout)["unpushed"] == []


def test_a_leaf_row_garbled_by_damage_is_re_made(nit, repo, on_devnet, artifacts) -> None:
    """A leaf whose row holds garbage (not a Nid) is reported by fsck and its record
    re-made whole by --repair, on its network: the artifact stays stamped, and the
    next stamp of the same files sends nothing."""
    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    _sql(repo, "UPDATE stamps SET asset = 'garbage' WHERE leaf = 1")
    found = json.loads(nit("fsck", "--json").stdout)
    assert {p["name"] for p in found["problems"] if p["kind"] == "stamp"} == {batch["batch"]}
    repaired = repair(nit)
    assert any("damaged stamp record" in s and "on devnet" in s for s in repaired["repaired"])
    (record,) = StampRecords(Repository.find(repo).db).batches("devnet")
    assert len(record.entries) == 3 and record.batch == batch["batch"]
    sent = nonce(on_devnet)
    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output
    assert again.stdout.count("already stamped") == 3
    assert nonce(on_devnet) == sent
