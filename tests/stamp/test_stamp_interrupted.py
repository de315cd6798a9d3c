"""A stamp killed anywhere (SIGKILL before, during or after its transaction, or
while it writes its batch) and run again registers its batch exactly once.

Kill points come from the drivers `nit push` is tested with:
tests/support/push_crash.py (push journal write, broadcast, refs/remotes
write) and tests/support/crash.py (any file system step of the stamp).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok
from tests.stamp.conftest import make_artifacts

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import nid_of_bytes
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords

SUPPORT = Path(__file__).resolve().parents[1] / "support"
ARTIFACTS = 6
STAMP = ["stamp", "-r", "dist", "--no-ipfs", "--json"]


def transactions(network: Network) -> int:
    with ChainClient(network) as client:
        return client._rpc.call_quantity("eth_getTransactionCount", [TEST_ADDRESS, "latest"])


def run_driver(driver: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SUPPORT / driver), *args, "--", *STAMP],
        cwd=workdir,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_stamped_once(workdir: Path, network: Network, files: list[Path]) -> None:
    """Every artifact in exactly one batch; that batch's commit on chain exactly once."""
    repo = Repository.find(workdir)
    records = list(StampRecords(repo.db).batches())
    assert len(records) == 1
    (record,) = records
    assert sorted(e.asset for e in record.entries) == sorted(
        nid_of_bytes(p.read_bytes()) for p in files
    )
    with ChainClient(network) as client:
        on_chain = [Nid.of_bytes(r.commit_data.encode()) for r in client.history(record.batch)]
        counts = client.commit_counts([e.asset for e in record.entries])
    assert on_chain == [record.commit]
    assert set(counts.values()) == {0}
    assert [e.commit for e in repo.refs.remote_history(network.name, record.batch)] == [
        record.commit
    ]
    assert not (repo.dir / "push" / f"{network.name}.journal").exists()


@pytest.fixture
def dist(nit: Nit, repo: Path, workdir: Path, signing_key: str) -> list[Path]:
    return make_artifacts(workdir / "dist", ARTIFACTS)


@pytest.mark.parametrize(
    "kill_at",
    [
        "journal:1:before",  # batch written, its transaction signed but kept nowhere: not sent
        "journal:1:after",  # journalled, never broadcast
        "send:1:before",
        "send:1:after",  # broadcast (and automined), nothing recorded
        "record:1:before",
        "record:1:after",  # recorded, journal not yet removed
    ],
)
def test_stamp_killed_around_its_transaction(nit, dist, workdir, on_devnet, kill_at) -> None:
    before = transactions(on_devnet)
    killed = run_driver("push_crash.py", workdir, "--kill-at", kill_at)
    assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)

    again = nit(*STAMP)
    assert again.exit_code == 0, (kill_at, again.output)
    report = json.loads(again.stdout)
    assert_stamped_once(workdir, on_devnet, dist)
    assert transactions(on_devnet) - before == 1  # not one transaction more
    assert {a["state"] for a in report["artifacts"]} == {"recovered"}
    assert report["batches"][0]["state"] in ("registered", "recovered", "found")

    third = nit(*STAMP)
    assert third.exit_code == 24, third.output


def test_stamp_killed_while_writing_its_batch(nit, dist, workdir, tmp_path, on_devnet) -> None:
    """Killed halfway through writing the refs of its batch: the repository's journal
    makes the batch whole (or absent), and the rerun registers it once."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ok(Nit(scratch)("init"))
    make_artifacts(scratch / "dist", ARTIFACTS, prefix="scratch")
    trace = tmp_path / "trace.jsonl"
    traced = run_driver("crash.py", scratch, "--trace", str(trace))
    assert traced.returncode == 0, traced.stderr
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    heads = [i for i, s in enumerate(steps, 1) if "refs/heads" in s["path"]]
    assert len(heads) >= ARTIFACTS

    before = transactions(on_devnet)
    killed = run_driver(
        "crash.py", workdir, "--trace", str(tmp_path / "t2"), "--kill-at", str(heads[2])
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = nit(*STAMP)
    assert again.exit_code == 0, again.output
    assert_stamped_once(workdir, on_devnet, dist)
    assert transactions(on_devnet) - before == 1
    ok(nit("fsck"))
