"""Fixtures of the market tests: fresh Custody + Licenses on the session's anvil, and
an asset registered by `nit push` on a network whose contracts `nit contracts deploy` put."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import use_network
from tests.support.market import deploy_market

from numbers_cli.chain import ChainClient, Network
from numbers_cli.config import Config
from numbers_cli.model.nid import Nid
from numbers_cli.ops.networks import resolve_network
from numbers_cli.repo.repository import Repository

FUNDING = 10**20


@pytest.fixture
def market_net(anvil: Anvil, devnet: Network) -> Network:
    """The test chain with a register, Custody and Licenses, all freshly deployed."""
    with ChainClient(devnet, poll_interval=0.02, resend_after=2.0) as client:
        custody, licenses = deploy_market(client, anvil.keys[0])
    return dataclasses.replace(devnet, custody=custody, licenses=licenses)


@pytest.fixture
def mclient(market_net: Network) -> Iterator[ChainClient]:
    with ChainClient(market_net, poll_interval=0.02, resend_after=2.0) as client:
        yield client


@pytest.fixture(scope="session")
def funded(anvil: Anvil, bare_devnet: Network) -> str:
    """TEST_ADDRESS (the `signing_key` wallet) with ether on this worker's chain."""
    with ChainClient(bare_devnet) as client:
        client.fund(anvil.keys[0], TEST_ADDRESS, FUNDING)
    return TEST_ADDRESS


@dataclass
class Asset:
    nid: Nid
    photo: Path
    network: Network
    workdir: Path

    def repo(self) -> Repository:
        return Repository.find(self.workdir)

    def block(self) -> int:
        with ChainClient(self.network) as client:
            return client.block_number()

    def chain_commits(self) -> list[str]:
        with ChainClient(self.network) as client:
            return [r.commit_data for r in client.history(self.nid)]


@pytest.fixture
def asset(
    nit: Nit, repo: Path, media: Any, devnet: Network, funded: str, signing_key: str
) -> Asset:
    """A photo committed and pushed to `devnet`, whose market contracts `nit contracts
    deploy` put there."""
    use_network(devnet)
    ok(nit("contracts", "deploy", "--network", "devnet"))
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", str(photo)))
    ok(nit("commit", "-m", "a photo"))
    ok(nit("push", "--network", "devnet", "--no-ipfs"))
    (nid,) = Repository.find(repo).refs.assets()
    return Asset(nid, photo, resolve_network(Config.load(None), "devnet"), repo)
