"""A push killed anywhere — the CLI by SIGKILL, or the RPC node itself — and run
again registers every commit exactly once, in order, and records all of them.

Kill points come from tests/support/push_crash.py (journal write, broadcast,
refs write; before or after). 70 commits make two pipeline windows (64 each),
so a crash can also fall between a mined window and a journalled one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, TEST_CHAIN_ID
from tests.push.conftest import FUNDING, committed, make_files, use_network
from tests.support.anvil import Anvil
from tests.support.lagging_node import Lag, lagging_front
from tests.support.tools import free_port

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository

DRIVER = Path(__file__).resolve().parents[1] / "support" / "push_crash.py"
COMMITS = 70


def start_push(workdir: Path, log: Path, kill_at: str = "") -> subprocess.Popen[str]:
    cmd = [sys.executable, str(DRIVER), "--log", str(log)]
    if kill_at:
        cmd += ["--kill-at", kill_at]
    return subprocess.Popen(
        [*cmd, "--", "push", "--no-ipfs"],
        cwd=workdir,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_sent(log: Path) -> None:
    """Until the push has broadcast its first batch of transactions (bounded)."""
    deadline = time.monotonic() + 60
    while "send 1" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "the push never sent anything"
        time.sleep(0.01)


def sent_count(network: Network) -> int:
    """Transactions TEST_ADDRESS has had mined on `network` (its nonce)."""
    with ChainClient(network) as client:
        return client._rpc.call_quantity("eth_getTransactionCount", [TEST_ADDRESS, "latest"])


def assert_exactly_once(workdir: Path, network: Network) -> None:
    """Every local commit is on chain once, in local order, and recorded in refs/remotes."""
    repo = Repository.find(workdir)
    assets = repo.refs.assets()
    assert len(assets) == COMMITS
    with ChainClient(network) as client:
        for asset in assets:
            local = repo.refs.history(asset)
            on_chain = [Nid.of_bytes(r.commit_data.encode()) for r in client.history(asset)]
            assert on_chain == local, asset
            recorded = repo.refs.remote_history(network.name, asset)
            assert [e.commit for e in recorded] == local, asset
    assert not (workdir / ".numbers" / "push" / f"{network.name}.journal").exists()


@pytest.fixture
def many_commits(nit, repo, workdir, signing_key) -> Path:
    committed(nit, *make_files(workdir, COMMITS))
    return workdir


@pytest.mark.parametrize(
    "kill_at",
    [
        "journal:1:before",  # nothing signed has been kept: nothing may have left
        "journal:1:after",  # journalled, never broadcast
        "send:1:after",  # window 1 sent (and automined), nothing recorded
        "journal:2:after",  # window 1 mined, window 2 journalled but not sent
        "send:2:after",  # everything sent, nothing recorded
        "record:1:before",
        "record:1:after",  # recorded, journal not yet removed
    ],
)
def test_push_killed_at_any_point_then_rerun_registers_each_commit_once(
    nit, many_commits, on_devnet, tmp_path, kill_at
):
    before = sent_count(on_devnet)
    killed = start_push(many_commits, tmp_path / "push.log", kill_at)
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, (kill_at, killed.returncode)

    again = nit("push", "--no-ipfs", "--json")

    assert again.exit_code == 0, (kill_at, again.stderr)
    assert_exactly_once(many_commits, on_devnet)
    assert sent_count(on_devnet) - before == COMMITS  # not one transaction more
    states = {c["state"] for c in json.loads(again.stdout)["commits"]}
    assert states <= {"pushed", "recovered"}
    assert "Everything up to date" in nit("push", "--no-ipfs").stdout


@pytest.mark.parametrize("kill_at", ["send:1:after", "send:2:after"])
def test_a_rerun_against_a_node_that_serves_receipts_and_blocks_late_recovers_each_commit(
    nit, many_commits, on_devnet, tmp_path, kill_at
):
    """What a loaded anvil did once (load average 10-18): the rerun's node counted the
    journalled transactions' nonces as used but served their receipts late, and named
    blocks in its state that its logs did not serve yet. Here every receipt is withheld
    for its first 6 asks and the newest block for the first 3 requests that touch it
    (tests/support/lagging_node.py, in front of the real anvil): the rerun still
    registers each commit once and records all. (A journalled commit taken for dead
    and then found on chain is labelled "recovered" too, so the label alone does not
    show which path ran; tests/chain/test_late_node.py pins that.)"""
    before = sent_count(on_devnet)
    killed = start_push(many_commits, tmp_path / "push.log", kill_at)
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, (kill_at, killed.returncode)

    lag = Lag(late_receipts=6, late_head=3)
    with lagging_front(on_devnet.rpc_url, lag) as url:
        use_network(dataclasses.replace(on_devnet, rpc_url=url))
        again = nit("push", "--no-ipfs", "--json")

    assert again.exit_code == 0, (kill_at, again.stderr)
    assert lag.withheld_receipts  # the rerun did meet late receipts
    use_network(on_devnet)
    assert_exactly_once(many_commits, on_devnet)
    assert sent_count(on_devnet) - before == COMMITS  # not one transaction more
    commits = json.loads(again.stdout)["commits"]
    assert {c["state"] for c in commits} <= {"pushed", "recovered"}
    assert sum(c["state"] == "recovered" for c in commits) >= 64  # window 1, from the journal


@pytest.fixture
def slow_chain(funded_network_factory) -> Network:
    """A chain that mines one block a second, so transactions wait in its pool."""
    return funded_network_factory(("--block-time", "1"))


@pytest.fixture
def funded_network_factory(tmp_path):  # type: ignore[no-untyped-def]
    nodes: list[Anvil] = []

    def start(extra: tuple[str, ...], port: int | None = None) -> Network:
        node = Anvil(extra_args=extra, port=port).start()
        nodes.append(node)
        bare = Network(name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=None)
        with ChainClient(bare, poll_interval=0.05) as client:
            address = client.deploy_integrity_register(node.keys[0])
            client.fund(node.keys[0], TEST_ADDRESS, FUNDING)
        network = Network(
            name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=address
        )
        use_network(network)
        return network

    def restart(port: int, extra: tuple[str, ...]) -> None:
        """The same node again: same port and state file (its register and funds kept)."""
        nodes.append(Anvil(extra_args=extra, port=port).start())

    start.restart = restart  # type: ignore[attr-defined]
    yield start
    for node in nodes:
        node.stop()


def test_push_killed_while_its_transactions_wait_in_the_pool(
    nit, many_commits, slow_chain, tmp_path
):
    killed = start_push(many_commits, tmp_path / "push.log", "send:1:after")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL

    again = nit("push", "--no-ipfs")

    assert again.exit_code == 0, again.stderr
    assert_exactly_once(many_commits, slow_chain)
    assert sent_count(slow_chain) == COMMITS


def test_rpc_node_killed_mid_push_then_restarted(
    nit, many_commits, funded_network_factory, tmp_path
):
    port = free_port()
    state = tmp_path / "anvil-state.json"
    args = ("--block-time", "1", "--state", str(state))
    network = funded_network_factory(args, port)
    log = tmp_path / "push.log"
    pushing = start_push(many_commits, log)
    wait_until_sent(log)
    # The node dies with transactions in its pool (blocks come once a second).
    # SIGTERM, so anvil writes its state: a node that lost its chain is a reorg, not this.
    nodes = [n for n in _running_anvils() if f"--port {port}" in n[1]]
    assert nodes, "anvil not found"
    os.kill(nodes[0][0], signal.SIGTERM)
    _, stderr = pushing.communicate(timeout=120)
    assert pushing.returncode == 9, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("nit: error:"), stderr

    funded_network_factory.restart(port, args)
    again = nit("push", "--no-ipfs")

    assert again.exit_code == 0, again.stderr
    assert_exactly_once(many_commits, network)
    assert sent_count(network) == COMMITS


def _running_anvils() -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "anvil" in cmdline:
            found.append((int(entry.name), cmdline))
    return found


def test_ctrl_c_mid_push_exits_130_and_a_rerun_finishes(nit, many_commits, slow_chain, tmp_path):
    log = tmp_path / "push.log"
    pushing = start_push(many_commits, log)
    wait_until_sent(log)
    pushing.send_signal(signal.SIGINT)  # while it waits for the next block
    _, stderr = pushing.communicate(timeout=60)

    assert pushing.returncode == 130, stderr
    assert stderr.count("\n") == 1 and "interrupted" in stderr, stderr

    again = nit("push", "--no-ipfs")
    assert again.exit_code == 0, again.stderr
    assert_exactly_once(many_commits, slow_chain)
    assert sent_count(slow_chain) == COMMITS
