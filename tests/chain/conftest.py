"""Tests against a real anvil. The fixtures (`anvil`, `bare_devnet`, `devnet`,
`chain`) live in tests/conftest.py, shared with the push and fetch tests: one
node per xdist worker, a freshly deployed register per test, so no test sees
another's commits.

Here: what the history tests (`log --remote`, `diff --remote`, `fetch`) share,
an asset with local commits and a user config that points at the test chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import register_local, use_network

from numbers_cli.chain import ChainClient, Network, Receipt


@pytest.fixture
def manual_mining(anvil: Anvil) -> Iterator[None]:
    """Blocks are mined only when a test says so (`evm_mine`); automining comes back after,
    with whatever is left in the pool mined."""
    anvil.rpc("evm_setAutomine", [False])
    try:
        yield
    finally:
        anvil.rpc("evm_setAutomine", [True])
        anvil.rpc("evm_mine")


@pytest.fixture
def on_chain(devnet: Network, monkeypatch: pytest.MonkeyPatch) -> Network:
    """The user config's `devnet` is this test's fresh register, and the default network."""
    use_network(devnet)
    monkeypatch.setenv("NIT_NETWORK", "devnet")
    return devnet


@pytest.fixture
def asset(nit: Nit, repo: Path, media, signing_key: str) -> str:  # type: ignore[no-untyped-def]
    """An asset with three local commits (a registration and two updates)."""
    media("Canon_40D.jpg")
    for number in range(3):
        ok(nit("add", "Canon_40D.jpg", "-m", f"version {number}"))
        ok(nit("commit", "-m", f"commit {number}"))
    return str(json.loads(nit("log", "--json").stdout)[0]["asset"])


@pytest.fixture
def registered(
    repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> list[Receipt]:
    """All of `asset`'s local commits on chain (as `nit push` would send them), in order."""
    return register_local(chain, repo, asset, anvil.keys[1])
