"""Fixtures for `nit push` against a real anvil (and, where a test asks, a real IPFS node)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, Nit
from tests.support.anvil import Anvil
from tests.support.chain_history import use_network

from numbers_cli.chain import ChainClient, Network

__all__ = ["FUNDING", "committed", "make_files", "use_network"]

#: What the test wallet gets from anvil's first dev account, once per worker.
FUNDING = 10**20  # 100 ETH


@pytest.fixture(scope="session")
def funded(anvil: Anvil, bare_devnet: Network) -> str:
    """TEST_ADDRESS (the NIT_PRIVATE_KEY of `signing_key`) with ether on the test chain."""
    with ChainClient(bare_devnet) as client:
        client.fund(anvil.keys[0], TEST_ADDRESS, FUNDING)
    return TEST_ADDRESS


@pytest.fixture
def on_devnet(devnet: Network, funded: str, signing_key: str) -> Network:
    """The user config's devnet is this test's fresh register; the signer has funds."""
    use_network(devnet)
    return devnet


def make_files(where: Path, count: int, prefix: str = "file") -> list[Path]:
    """`count` small distinct files (distinct assets), named prefix-N.bin."""
    paths = []
    for number in range(count):
        path = where / f"{prefix}-{number}.bin"
        path.write_bytes(f"{prefix} {number} ".encode() + os.urandom(64))
        paths.append(path)
    return paths


def committed(nit: Nit, *paths: Path, message: str = "test") -> None:
    result = nit("add", *[str(p) for p in paths])
    assert result.exit_code == 0, result.stderr
    result = nit("commit", "-m", message)
    assert result.exit_code == 0, result.stderr
