"""Fixtures of the market tests: fresh Custody + Licenses on the session's anvil."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from tests.support.anvil import Anvil
from tests.support.market import deploy_market

from numbers_cli.chain import ChainClient, Network


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
