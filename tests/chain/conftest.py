"""Fixtures for tests against a real anvil: one node per xdist worker, a fresh register per test.

A session-scoped node is shared by the tests of one worker (pytest-xdist gives
each worker its own session, hence its own node and port); each test deploys
its own IntegrityRegister so no test sees another's commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from tests.support.anvil import TEST_CHAIN_ID, Anvil, anvil_or_skip

from numbers_cli.chain import ChainClient, Network


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    node = anvil_or_skip()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def bare_devnet(anvil: Anvil) -> Network:
    """The test chain without a register: for deployments and error cases."""
    return Network(name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=anvil.rpc_url, contract=None)


@pytest.fixture
def devnet(anvil: Anvil, bare_devnet: Network) -> Network:
    """The test chain with a freshly deployed, initialized IntegrityRegister."""
    with ChainClient(bare_devnet) as deployer:
        address = deployer.deploy_integrity_register(anvil.keys[0])
    return dataclasses.replace(bare_devnet, contract=address)


@pytest.fixture
def chain(devnet: Network) -> Iterator[ChainClient]:
    # resend_after: anvil's pool now and then strands a pipelined transaction
    # (see test_stuck_transactions.py); re-sending it soon keeps tests quick.
    with ChainClient(devnet, poll_interval=0.02, resend_after=2.0) as client:
        yield client
