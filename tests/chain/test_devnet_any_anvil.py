"""`nit devnet` with every shape of anvil a user may have (issue 10).

- npm's `@foundry-rs/anvil` (what nit's own hint says to install): its `anvil`
  is a `node` script that runs the real binary as a child, so the devnet is
  two processes; `status` must see it and `down` must stop both, freeing the
  port for the next `up`;
- a native binary on PATH, as Foundry's installer leaves it in ~/.foundry/bin.

Real processes on the real anvil of tools/chain; the autouse fixtures of
test_devnet.py (isolated data dir, stop whatever was started) apply here too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Nit
from tests.support.anvil import AnvilUnavailable, anvil_binary, anvil_npm_wrapper
from tests.support.tools import free_port, in_ci

from numbers_cli.chain import anvil
from numbers_cli.chain.devnet_group import members
from numbers_cli.ops import devnet as devnet_op


@pytest.fixture(autouse=True)
def stop_devnet(isolated_env: Path) -> Iterator[None]:
    """After each test: `down`, then SIGKILL the group of anything this process started."""
    yield
    try:
        devnet_op.down(timeout=5.0)
    finally:
        for pid, process in list(anvil._SPAWNED.items()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            process.wait(timeout=10)
            anvil._SPAWNED.pop(pid, None)


def _need(get) -> Path:  # type: ignore[no-untyped-def]
    try:
        return get()
    except AnvilUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI is set: chain tests must run)", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture
def npm_anvil(monkeypatch: pytest.MonkeyPatch) -> Path:
    wrapper = _need(anvil_npm_wrapper)
    monkeypatch.setenv("NIT_ANVIL", str(wrapper))
    return wrapper


def _up(nit: Nit, *args: str) -> dict:
    result = nit("devnet", "up", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _group(pid: int) -> list[tuple[int, list[str]]]:
    return members(pid, pid)


def _wait(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_npm_wrapper_up_status_down_up(nit: Nit, npm_anvil: Path, signing_key: str) -> None:
    port = free_port()
    first = _up(nit, "--port", str(port))
    assert first["started"] is True and first["anvilVersion"] == anvil.ANVIL_VERSION
    group = _group(first["pid"])
    programs = sorted(Path(argv[0]).name for _, argv in group)
    assert len(group) == 2 and "node" in programs, group  # the wrapper and its anvil child

    status = nit("devnet", "status", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert report["running"] is True and report["ok"] is True
    assert report["pid"] == first["pid"] and report["chainId"] == 31337

    down = nit("devnet", "down")
    assert down.exit_code == 0, down.output
    assert down.stdout.strip() == f"devnet stopped (pid {first['pid']})"
    assert _group(first["pid"]) == []  # both processes are gone...
    # ...and nothing of ours holds the port. Waited for: the port came from the
    # ephemeral range, where another test's short-lived client socket may sit a moment.
    assert _wait(lambda: anvil.port_is_free(port))

    again = _up(nit)  # same port, recorded chain: the register is still there
    assert again["started"] is True and again["port"] == port
    assert again["contract"] == first["contract"] and again["deployed"] is False
    assert nit("devnet", "down").exit_code == 0
    assert _wait(lambda: anvil.port_is_free(port))


def test_npm_wrapper_killed_leaves_a_child_that_down_still_stops(nit: Nit, npm_anvil: Path) -> None:
    """kill -9 of the node wrapper orphans anvil; it is still the devnet, still stoppable."""
    port = free_port()
    first = _up(nit, "--port", str(port))
    leader = first["pid"]
    os.kill(leader, signal.SIGKILL)
    anvil._SPAWNED[leader].wait(timeout=10)  # reap the leader: only the orphan is left
    (orphan,) = _group(leader)
    assert orphan[0] != leader and anvil.remote_chain_id(first["rpc"]) == 31337

    status = nit("devnet", "status", "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["running"] is True

    down = nit("devnet", "down", "--json")
    assert down.exit_code == 0, down.output
    assert json.loads(down.stdout)["stopped"] is True
    assert _wait(lambda: _group(leader) == [])
    assert anvil.port_is_free(port)
    gone = nit("devnet", "status")
    assert gone.exit_code == 9 and "not running" in gone.stdout


def test_foundry_install_on_path(nit: Nit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A native anvil found on PATH (Foundry's installer puts it in ~/.foundry/bin)."""
    native = _need(anvil_binary)
    foundry_bin = tmp_path / ".foundry" / "bin"
    foundry_bin.mkdir(parents=True)
    (foundry_bin / "anvil").symlink_to(native)
    monkeypatch.delenv("NIT_ANVIL", raising=False)
    monkeypatch.setenv("PATH", f"{foundry_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    port = free_port()
    first = _up(nit, "--port", str(port))
    assert first["anvil"] == str(foundry_bin / "anvil")
    assert [pid for pid, _ in _group(first["pid"])] == [first["pid"]]
    assert nit("devnet", "status").exit_code == 0
    assert nit("devnet", "down").exit_code == 0
    assert _group(first["pid"]) == [] and anvil.port_is_free(port)
