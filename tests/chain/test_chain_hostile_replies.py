"""Nodes that misbehave below JSON-RPC, each a real loopback server: every one is a
one-line NetworkError, within bounded time and memory (tests/support/hostile_node.py).

Before: a body without end was read until memory ran out, and a node dripping a
byte before each read timeout held nit for as long as it liked."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from tests.support import hostile_node

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.rpc import MAX_REPLY_BYTES, REPLY_DEADLINE_FACTOR
from numbers_cli.errors import NetworkError

TIMEOUT = 1.0


def fast_trickle(conn: socket.socket) -> None:
    hostile_node.trickle(conn, every=TIMEOUT / 4)


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (hostile_node.endless_body, f"sent a reply larger than {MAX_REPLY_BYTES >> 20} MiB"),
        (fast_trickle, f"did not finish its reply within {REPLY_DEADLINE_FACTOR * TIMEOUT:g} s"),
        (hostile_node.endless_headers, "sent a malformed HTTP reply (got more than 100 headers)"),
        (hostile_node.huge_header, "sent a malformed HTTP reply (got more than 65536 bytes"),
        (hostile_node.html_reply, "sent a reply that is not JSON-RPC"),
    ],
    ids=["endless-body", "slowloris", "endless-headers", "huge-header", "html"],
)
def test_a_misbehaving_node_is_one_line(
    behave: Callable[[socket.socket], None], expected: str
) -> None:
    with hostile_node.raw_server(behave) as url:
        network = Network(name="odd", chain_id=31337, rpc_url=url, contract=None)
        with ChainClient(network, timeout=TIMEOUT) as chain, pytest.raises(NetworkError) as caught:
            chain.block_number()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"RPC node at {url} {expected}"), message
