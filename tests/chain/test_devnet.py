"""`nit devnet up | status | down` on the real anvil.

Each test has its own NIT_DATA_DIR and NIT_CONFIG_DIR (the autouse
`isolated_env` fixture) and its own free port; `stop_devnet` stops whatever
anvil the test started, even when the test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import TEST_KEY, Nit, one_line_error
from tests.support.anvil import Anvil, AnvilUnavailable, anvil_binary
from tests.support.tools import free_port, in_ci

from numbers_cli.chain import ChainClient, anvil
from numbers_cli.config import Config
from numbers_cli.errors import ConfigError
from numbers_cli.ops import devnet as devnet_op
from numbers_cli.ops.networks import resolve_network
from numbers_cli.wallet import create_wallet


@pytest.fixture(autouse=True)
def anvil_env(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> Path:
    """Point NIT_ANVIL at the project's pinned anvil (skip without it; fail in CI)."""
    try:
        binary = anvil_binary()
    except AnvilUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI is set: chain tests must run)", pytrace=False)
        pytest.skip(str(exc))
    monkeypatch.setenv("NIT_ANVIL", str(binary))
    return binary


@pytest.fixture(autouse=True)
def stop_devnet(anvil_env: Path) -> Iterator[None]:
    """After each test: `down` the devnet, then kill any anvil this process spawned and
    that is still alive (only those: `anvil._SPAWNED` holds our own children)."""
    yield
    try:
        devnet_op.down(timeout=5.0)
    finally:
        for pid, process in list(anvil._SPAWNED.items()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)  # its whole group: a wrapper's child too
            process.wait(timeout=10)
            anvil._SPAWNED.pop(pid, None)


@pytest.fixture
def port() -> int:
    return free_port()


def up(nit: Nit, *args: str) -> dict:
    result = nit("devnet", "up", "--json", *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_up_status_up_down(nit: Nit, port: int, signing_key: str) -> None:
    first = up(nit, "--port", str(port))
    assert first["started"] is True
    assert first["port"] == port and first["rpc"] == f"http://127.0.0.1:{port}"
    assert first["chainId"] == 31337
    assert first["deployed"] is True
    assert first["marketDeployed"] is True
    assert first["custody"].startswith("0x") and first["licenses"].startswith("0x")
    assert first["anvilVersion"] == anvil.ANVIL_VERSION
    assert first["wallet"]["address"] == signing_key
    assert first["wallet"]["fundedWei"] == str(devnet_op.FUND_AMOUNT_WEI)
    assert first["wallet"]["balanceWei"] == str(devnet_op.FUND_AMOUNT_WEI)

    environ = Path(f"/proc/{first['pid']}/environ")
    if environ.exists():  # Linux: the long-running anvil does not carry the signing key
        assert b"NIT_PRIVATE_KEY" not in environ.read_bytes()
        assert b"NIT_ANVIL" in environ.read_bytes()

    status = nit("devnet", "status", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert report["running"] is True and report["ok"] is True
    assert report["pid"] == first["pid"]
    assert report["chainId"] == 31337
    assert report["blockNumber"] >= 3  # deployment, initialize, funding
    assert report["contract"] == first["contract"] and report["contractDeployed"] is True
    assert report["wallet"]["balanceWei"] == str(devnet_op.FUND_AMOUNT_WEI)

    human = nit("devnet", "status")
    assert human.exit_code == 0 and f"pid {first['pid']}" in human.stdout

    # Twice is harmless: same process, same register, no second funding.
    second = up(nit)
    assert second["started"] is False
    assert second["pid"] == first["pid"]
    assert second["contract"] == first["contract"] and second["deployed"] is False
    assert (second["custody"], second["licenses"]) == (first["custody"], first["licenses"])
    assert second["marketDeployed"] is False
    assert second["wallet"]["fundedWei"] == "0"

    # Asking for another port while it runs is a usage error, not a second anvil.
    other = nit("devnet", "up", "--port", str(free_port()))
    assert other.exit_code == 2
    assert "already runs on port" in one_line_error(other)

    down = nit("devnet", "down")
    assert down.exit_code == 0, down.output
    assert f"stopped (pid {first['pid']})" in down.stdout
    assert not anvil.is_alive(first["pid"])

    gone = nit("devnet", "status", "--json")
    assert gone.exit_code == 9
    assert json.loads(gone.stdout)["running"] is False
    assert nit("devnet", "status").exit_code == 9

    again = nit("devnet", "down")  # harmless when not running
    assert again.exit_code == 0 and "not running" in again.stdout


def test_state_survives_restart_and_register_is_not_redeployed(
    nit: Nit, port: int, signing_key: str
) -> None:
    first = up(nit, "--port", str(port))
    network = resolve_network(Config.load(None), "devnet")
    assert network.contract == first["contract"]
    nid = "bafkreidevnetstatesurvivesarestart"
    with ChainClient(network, poll_interval=0.02) as client:
        (receipt,) = client.send_commits([(nid, '{"kept":true}')], TEST_KEY)
        assert client.get_commits(nid) == [receipt.block_number]

    assert nit("devnet", "down").exit_code == 0
    assert (Path(first["state"])).is_file()

    second = up(nit)  # no --port: comes back on the recorded one, same URL
    assert second["started"] is True and second["pid"] != first["pid"]
    assert second["port"] == port
    assert second["contract"] == first["contract"]
    assert second["deployed"] is False
    assert second["marketDeployed"] is False  # the saved chain kept Custody and Licenses too
    assert network_market(first) == network_market(second)
    assert second["wallet"]["fundedWei"] == "0"  # still has its 100 ETH, less gas
    with ChainClient(resolve_network(Config.load(None), "devnet")) as client:
        assert client.get_commits(nid) == [receipt.block_number]
        (record,) = client.history(nid)
        assert record.commit_data == '{"kept":true}'
        assert record.tx_hash == receipt.tx_hash


def network_market(result: dict) -> tuple[str, str]:
    network = resolve_network(Config.load(None), "devnet")
    assert (network.custody, network.licenses) == (result["custody"], result["licenses"])
    return result["custody"], result["licenses"]


def test_devnet_network_recorded_in_user_config(nit: Nit, port: int, isolated_env: Path) -> None:
    config_file = Path(Config.load(None).user_path)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        '[user]\nname = "Ada"\n\n[networks.devnet]\nexplorer = "http://127.0.0.1/tx/{tx_hash}"\n'
    )
    result = up(nit, "--port", str(port))
    text = config_file.read_text()
    assert 'name = "Ada"' in text  # the rest of the file is kept
    network = resolve_network(Config.load(None), "devnet")
    assert network.rpc_url == f"http://127.0.0.1:{port}"
    assert network.chain_id == 31337
    assert network.contract == result["contract"]
    assert network.confirmations == 1
    assert network.explorer_tx_url == "http://127.0.0.1/tx/{tx_hash}"  # own fields kept
    assert result["config"] == str(config_file)
    # The default network is the devnet: a push without --network goes there.
    assert resolve_network(Config.load(None)).name == "devnet"

    mtime = config_file.stat().st_mtime_ns
    up(nit)  # nothing changed: the file is not rewritten
    assert config_file.stat().st_mtime_ns == mtime


def test_concurrent_ups_start_one_anvil(port: int) -> None:
    results: list[devnet_op.DevnetUp] = []

    def run() -> None:
        results.append(devnet_op.up(Config.load(None), port=port))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    assert sorted(result.started for result in results) == [False, True]
    assert results[0].process.pid == results[1].process.pid
    assert results[0].network.contract == results[1].network.contract


def test_up_funds_the_configured_wallet(nit: Nit, port: int) -> None:
    address = create_wallet("default", "pw", scrypt_n=2**4)
    result = up(nit, "--port", str(port))
    assert result["wallet"] == {
        "wallet": "default",
        "address": address,
        "balanceWei": str(devnet_op.FUND_AMOUNT_WEI),
        "fundedWei": str(devnet_op.FUND_AMOUNT_WEI),
    }


def test_up_without_a_wallet_says_so(nit: Nit, port: int) -> None:
    result = up(nit, "--port", str(port))
    assert result["wallet"] is None
    assert any("no wallet funded" in note for note in result["notes"])
    human = nit("devnet", "up")
    assert human.exit_code == 0
    assert "note: no wallet funded" in human.stderr


def _foreign_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def test_down_never_stops_a_process_that_is_not_ours(nit: Nit, port: int) -> None:
    paths = anvil.DevnetPaths.for_env()
    foreign = _foreign_process()
    try:
        anvil.write_record(
            paths, anvil.AnvilProcess(foreign.pid, port, "/usr/bin/anvil", time.time())
        )
        status = nit("devnet", "status", "--json")
        assert status.exit_code == 9
        assert json.loads(status.stdout)["running"] is False

        result = nit("devnet", "down")
        assert result.exit_code == 0, result.output
        assert "not the devnet's anvil" in result.stdout
        time.sleep(0.2)
        assert foreign.poll() is None  # still alive
        assert anvil.read_record(paths) is None  # the stale pid file is gone

        # `up` over a stale pid file starts a devnet and leaves the stranger alone too.
        anvil.write_record(
            paths, anvil.AnvilProcess(foreign.pid, port, "/usr/bin/anvil", time.time())
        )
        started = up(nit, "--port", str(port))
        assert started["started"] is True and started["pid"] != foreign.pid
        assert foreign.poll() is None
    finally:
        foreign.kill()
        foreign.wait(timeout=10)


def test_down_never_stops_someone_elses_anvil(nit: Nit, port: int) -> None:
    """A real anvil, but without our state file: not ours, even under our pid file."""
    with Anvil() as other:
        assert other._process is not None
        pid = other._process.pid
        anvil.write_record(
            anvil.DevnetPaths.for_env(), anvil.AnvilProcess(pid, other.port or 0, "anvil", 0.0)
        )
        result = nit("devnet", "down")
        assert result.exit_code == 0, result.output
        assert other._answers()  # still serving


def test_down_reset_starts_a_new_chain(nit: Nit, port: int) -> None:
    first = up(nit, "--port", str(port))
    result = nit("devnet", "down", "--reset", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) | {"pid": None} == {
        "stopped": True,
        "pid": None,
        "killed": False,
        "reset": True,
        "note": None,
    }
    assert not Path(first["state"]).exists()
    second = up(nit)
    assert second["deployed"] is True  # nothing at the recorded address any more


def test_port_taken_by_another_program(nit: Nit, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        result = nit("devnet", "up", "--port", str(port))
    assert result.exit_code == 9
    assert f"port {port} on 127.0.0.1 is taken" in one_line_error(result)
    assert anvil.read_record(anvil.DevnetPaths.for_env()) is None


def test_port_zero_picks_a_free_one(nit: Nit) -> None:
    result = up(nit, "--port", "0")
    assert result["port"] > 0
    assert anvil.remote_chain_id(result["rpc"]) == 31337


def test_broken_state_file_fails_clearly_and_leaves_nothing_running(nit: Nit, port: int) -> None:
    paths = anvil.DevnetPaths.for_env()
    paths.root.mkdir(parents=True)
    paths.state.write_text('{"broken')
    result = nit("devnet", "up", "--port", str(port))
    assert result.exit_code == 9
    line = one_line_error(result)
    assert "anvil exited while starting" in line and "--reset" in line
    assert anvil.read_record(paths) is None
    assert not anvil._SPAWNED or all(p.poll() is not None for p in anvil._SPAWNED.values())


def test_missing_anvil_is_a_config_error(nit: Nit, port: int, tmp_path: Path) -> None:
    result = nit("devnet", "up", "--port", str(port), env={"NIT_ANVIL": str(tmp_path / "nope")})
    assert result.exit_code == 8
    assert "NIT_ANVIL" in one_line_error(result)


def test_find_anvil_order(tmp_path: Path, anvil_env: Path) -> None:
    with pytest.raises(ConfigError, match="not installed") as missing:
        anvil.find_anvil({"PATH": str(tmp_path)}, repo_anvil=tmp_path / "nope")
    assert missing.value.hint and "@foundry-rs/anvil@1.7.1" in missing.value.hint

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "anvil").symlink_to(anvil_env)
    assert anvil.find_anvil({"PATH": str(bin_dir)}) == bin_dir / "anvil"
    assert anvil.find_anvil({"PATH": str(tmp_path)}, repo_anvil=anvil_env) == anvil_env
    assert (
        anvil.find_anvil({"PATH": str(bin_dir), "NIT_ANVIL": str(anvil_env)}) == anvil_env
    )  # NIT_ANVIL first
    assert anvil.REPO_ANVIL.parts[-5:] == ("tools", "chain", "node_modules", ".bin", "anvil")


def test_anvils_state_cache_lives_in_the_devnet_dir(
    nit: Nit, port: int, isolated_env: Path
) -> None:
    """anvil moves old states to disk and never removes them when it stops: the devnet
    keeps them in its own directory, emptied at each start, not in ~/.foundry."""
    foundry_tmp = isolated_env / ".foundry" / "anvil" / "tmp"
    first = up(nit, "--port", str(port))
    cache = Path(first["state"]).parent / "cache"  # made by anvil when it first needs it
    assert not foundry_tmp.exists() or not any(foundry_tmp.iterdir())
    (cache / "left-by-the-last-run").mkdir(parents=True)
    assert nit("devnet", "down").exit_code == 0
    up(nit)
    assert not (cache / "left-by-the-last-run").exists()
