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
from numbers_cli.ipfs.http import DEADLINE_FACTOR, MAX_ANSWER_BYTES, MAX_REDIRECTS
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
        (hostile_node.huge_header, "sent a malformed HTTP reply (got more than 65536 bytes"),
        (hostile_node.endless_headers, "sent a malformed HTTP reply (got more than 100 headers)"),
    ],
    ids=["endless-body", "slowloris", "html", "deep-json", "huge-header", "endless-headers"],
)
def test_a_misbehaving_kubo_node_is_one_line(
    behave: Callable[[socket.socket], None], expected: str
) -> None:
    connections: list[int] = []
    with (
        hostile_node.raw_server(hostile_node.counted(behave, connections)) as url,
        KuboRemote(url, timeout=TIMEOUT) as node,
        pytest.raises(NetworkError) as caught,
    ):
        node.version()
    message = str(caught.value)
    assert "\n" not in message and expected in message, message
    assert "cannot reach" not in message
    assert len(connections) == 1  # what is not transient is not tried again


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (hostile_node.endless_body, "sent more than 4096 KiB for one block"),
        (fast_trickle, "did not finish its answer within"),
        (hostile_node.huge_header, "sent a malformed HTTP reply (got more than 65536 bytes"),
        (hostile_node.endless_headers, "sent a malformed HTTP reply (got more than 100 headers)"),
    ],
    ids=["endless-body", "slowloris", "huge-header", "endless-headers"],
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


def test_a_redirects_body_is_not_read() -> None:
    """A 302 whose body never ends: before, requests read it whole (`resp.content`)
    before following, and the read timed out; now it is closed unread."""
    block = b"the block behind the redirect"
    behave = hostile_node.redirect_then(hostile_node.ok_reply(block))
    with (
        hostile_node.raw_server(behave, with_request=True) as url,
        GatewaySource(url, timeout=TIMEOUT) as gateway,
    ):
        assert gateway.get_block(nid_of_bytes(block)) == block


def test_a_redirect_loop_is_one_line() -> None:
    """Redirects are followed a few hops, then refused, in one line, not retried."""
    loop = b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"
    connections: list[int] = []

    def behave(conn: socket.socket) -> None:
        conn.sendall(loop)

    with (
        hostile_node.raw_server(hostile_node.counted(behave, connections)) as url,
        GatewaySource(url, timeout=TIMEOUT) as gateway,
        pytest.raises(NetworkError) as caught,
    ):
        gateway.get_block(nid_of_bytes(b"any block"))
    message = str(caught.value)
    assert "\n" not in message and "too many redirects" in message, message
    assert len(connections) <= 1 + MAX_REDIRECTS
