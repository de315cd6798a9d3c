"""Bad input to `nit stamp` and to the verification of stamps: one clear line, a
non-zero exit code, and the repository exactly as it was."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error, python_m
from tests.support.snapshot import snapshot as snapshot_of

from numbers_cli.model import merkle
from numbers_cli.model.nid import Nid
from numbers_cli.model.stamp import InclusionProof
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords


def snapshot(repo: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of `.numbers/` (the store by its content; locks and tmp/ aside)."""
    return snapshot_of(repo / ".numbers")


def sql(repo: Path, statement: str, *params: object) -> None:
    """Change the store behind nit's back, as damage or a lost record would."""
    with closing(sqlite3.connect(repo / ".numbers" / "store.db")) as db:
        db.execute(statement, params)
        db.commit()


def test_empty_standard_input(nit, repo, on_devnet, workdir) -> None:
    before = snapshot(repo)
    done = python_m("stamp", "-", "--name", "dist.tar", cwd=workdir, stdin=b"")
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "nit: error: standard input is empty: nothing to stamp"
    assert done.stdout == b""
    assert snapshot(repo) == before


def test_directory_without_r(nit, repo, on_devnet, artifacts) -> None:
    artifacts(2)
    before = snapshot(repo)
    result = nit("stamp", "dist")
    assert result.exit_code == 2
    assert one_line_error(result) == (
        "nit: error: dist is a directory; use -r to stamp the files in it"
    )
    assert snapshot(repo) == before


def test_more_artifacts_than_the_batch_holds(nit, repo, on_devnet, artifacts) -> None:
    artifacts(4)
    before = snapshot(repo)
    result = nit("stamp", "-r", "dist", "--batch-size", "3")
    assert result.exit_code == 2
    assert "4 artifacts do not fit one batch of 3" in one_line_error(result)
    assert snapshot(repo) == before
    assert nit("stamp", "-r", "dist", "--batch-size", "0").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a.bin", "--name", "x"), "--name names the artifact read from standard input"),
        (("a.bin", "-"), "cannot be stamped together with files"),
        (("missing.bin",), "missing.bin: no such file or directory"),
        ((), "nothing to stamp"),
    ],
)
def test_usage_errors(nit, repo, on_devnet, workdir, args, message) -> None:
    (workdir / "a.bin").write_bytes(b"a")
    before = snapshot(repo)
    result = nit("stamp", *args)
    assert result.exit_code == 2
    assert message in one_line_error(result)
    assert snapshot(repo) == before


def test_a_wallet_without_funds_is_told_the_cost(
    nit, repo, on_devnet, artifacts, monkeypatch
) -> None:
    artifacts(3)
    before = snapshot(repo)
    monkeypatch.setenv("NIT_PRIVATE_KEY", "0x" + "5a" * 32)  # a key no one ever funded
    result = nit("stamp", "-r", "dist", "--no-ipfs")
    assert result.exit_code == 9
    line = one_line_error(result)
    assert "insufficient funds on devnet" in line
    assert "would cost an estimated" in line and " gas)" in line
    assert snapshot(repo) == before  # nothing written: no asset, no batch, no journal


def test_a_proof_that_does_not_lead_to_the_root(nit, repo, on_devnet, artifacts) -> None:
    artifacts(4)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--no-ipfs", "--json")).stdout)
    item = report["artifacts"][1]
    local = Repository.find(repo)
    records = StampRecords(local.db)
    ((_record, entry),) = records.of_asset(item["nid"])
    proof = InclusionProof.from_bytes(local.objects.get(entry.proof))
    bent = proof.proof[0][:-1] + bytes([proof.proof[0][-1] ^ 0x80])
    forged = InclusionProof(
        proof.batch,
        proof.root,
        proof.leaf_index,
        proof.leaves,
        proof.artifact,
        (bent, *proof.proof[1:]),
    )
    with local.transaction():
        forged_cid = local.objects.put(forged.to_bytes())  # a well-formed object, a wrong proof
    local.close()
    sql(repo, "UPDATE stamps SET proof = ? WHERE proof = ?", str(forged_cid), str(entry.proof))

    result = nit("verify", "dist/" + Path(item["name"]).name)
    assert result.exit_code == 25, result.output
    assert "proof leads to 0x" in result.stdout and "not to batch root" in result.stdout
    assert "FAILED" in result.stdout
    verdict = json.loads(nit("verify", item["nid"], "--json", "--offline").stdout)
    assert verdict["exitCode"] == 25
    # the other artifacts' proofs still hold
    assert ok(nit("verify", report["artifacts"][0]["nid"])).exit_code == 0
    # fsck checks every stamp record's proof, without a chain
    fsck = json.loads(nit("fsck", "--json").stdout)
    assert not fsck["ok"]
    (problem,) = fsck["problems"]
    assert problem["kind"] == "stamp" and problem["name"] == item["nid"]
    assert f"leaf 2 of batch {report['batches'][0]['batch']}" in problem["message"]
    assert "does not lead to the batch's root" in problem["message"]
    assert merkle.to_hex(proof.root) == report["batches"][0]["root"]


def test_a_batch_not_registered_fails_its_anchor(nit, repo, on_devnet, artifacts) -> None:
    artifacts(2)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--no-ipfs", "--json")).stdout)
    batch = report["batches"][0]["batch"]
    sql(repo, "DELETE FROM refs WHERE name = ?", f"refs/remotes/devnet/{batch}")  # never sent
    result = nit("verify", report["artifacts"][0]["nid"])
    assert result.exit_code == 25
    assert "is not registered yet" in result.stdout


def test_verify_needs_a_target_or_a_statement(nit: Nit, repo) -> None:
    result = nit("verify")
    assert result.exit_code == 2
    assert "verify needs a FILE, NID or COMMIT" in one_line_error(result)


def test_a_damaged_stamp_record_is_one_line(nit, repo, on_devnet, artifacts) -> None:
    artifacts(2)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--no-ipfs", "--json")).stdout)
    sql(repo, "UPDATE stamps SET commit_nid = 'bafk-not-a-nid' WHERE leaf = 0")
    result = nit("verify", report["artifacts"][0]["nid"])
    assert result.exit_code == 5
    line = one_line_error(result)
    assert f"stamp record of batch {report['batches'][0]['batch']}" in line
    assert "is damaged" in line
    assert Nid(report["artifacts"][0]["nid"])
    fsck = nit("fsck")
    assert fsck.exit_code == 5 and "stamp record" in fsck.stdout


def test_fsck_names_a_batch_record_its_tree_does_not_back(nit, repo, on_devnet, artifacts) -> None:
    artifacts(2)
    report = json.loads(ok(nit("stamp", "-r", "dist", "--no-ipfs", "--json")).stdout)
    batch = report["batches"][0]
    assert json.loads(ok(nit("fsck", "--json")).stdout)["ok"]
    forged = "0x" + "00" * 32
    sql(repo, "UPDATE stamp_batches SET root = ?", forged)
    result = nit("fsck", "--json")
    assert result.exit_code == 5
    problems = json.loads(result.stdout)["problems"]
    assert {p["kind"] for p in problems} == {"stamp"}
    by_name = {p["name"]: p["message"] for p in problems}
    assert f"names root {batch['root']} of 2 leaves, the record {forged}" in by_name[batch["batch"]]
    for item in report["artifacts"]:
        assert f"names root {batch['root']}, not {forged}" in by_name[item["nid"]]
