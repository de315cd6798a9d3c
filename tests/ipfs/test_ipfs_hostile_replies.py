"""IPFS remotes and gateways that misbehave below their API, each a real loopback
server (tests/support/hostile_node.py): one line each, in bounded time and memory.

Before: an answer without end was read whole into memory (stream=False), and a
server dripping a byte before each read timeout was waited for without end."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from tests.support import hostile_node

from numbers_cli.errors import NetworkError
from numbers_cli.ipfs.gateway import GatewaySource
from numbers_cli.ipfs.http import DEADLINE_FACTOR, MAX_ANSWER_BYTES
from numbers_cli.ipfs.kubo import KuboRemote
from numbers_cli.model.unixfs import nid_of_bytes

TIMEOUT = 1.0


def fast_trickle(conn: socket.socket) -> None:
    hostile_node.trickle(conn, every=TIMEOUT / 4)


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (hostile_node.endless_body, f"sent more than {MAX_ANSWER_BYTES >> 10} KiB"),
        (fast_trickle, f"did not finish its answer within {DEADLINE_FACTOR * TIMEOUT:g} s"),
        (hostile_node.html_reply, "gave an answer that is not JSON"),
        (hostile_node.deep_json, "gave an answer that is not JSON"),
        (hostile_node.huge_header, "cannot reach"),
    ],
    ids=["endless-body", "slowloris", "html", "deep-json", "huge-header"],
)
def test_a_misbehaving_kubo_node_is_one_line(
    behave: Callable[[socket.socket], None], expected: str
) -> None:
    with (
        hostile_node.raw_server(behave) as url,
        KuboRemote(url, timeout=TIMEOUT) as node,
        pytest.raises(NetworkError) as caught,
    ):
        node.version()
    message = str(caught.value)
    assert "\n" not in message and expected in message, message


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (hostile_node.endless_body, "sent more than 4096 KiB for one block"),
        (fast_trickle, "did not finish its answer within"),
    ],
    ids=["endless-body", "slowloris"],
)
def test_a_misbehaving_gateway_is_one_line(
    behave: Callable[[socket.socket], None], expected: str
) -> None:
    with (
        hostile_node.raw_server(behave) as url,
        GatewaySource(url, timeout=TIMEOUT) as gateway,
        pytest.raises(NetworkError) as caught,
    ):
        gateway.get_block(nid_of_bytes(b"any block"))
    message = str(caught.value)
    assert "\n" not in message and expected in message, message
