"""Failures the user will meet: each must be a one-line NetworkError naming what is wrong.

The unreachable, silent, non-JSON and HTTP-error nodes are real loopback
sockets and servers made here, bounded in time, so the transport's error
paths run for real.
"""

from __future__ import annotations

import dataclasses
import http.server
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from eth_account import Account
from tests.support.anvil import Anvil, free_port

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.rpc import JsonRpc
from numbers_cli.chain.transactions import _Fees
from numbers_cli.errors import ConfigError, NetworkError, UsageError, WalletError

DEAD_ADDRESS = "0x000000000000000000000000000000000000dEaD"


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_wrong_chain_id_names_both_ids(bare_devnet: Network) -> None:
    jade_on_anvil = dataclasses.replace(bare_devnet, name="jade", chain_id=10507)
    with ChainClient(jade_on_anvil) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    message = one_line(caught.value)
    assert "31337" in message and "10507" in message and bare_devnet.rpc_url in message


def test_no_contract_at_the_address(bare_devnet: Network) -> None:
    network = dataclasses.replace(bare_devnet, contract=DEAD_ADDRESS)
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.get_commits("bafkreiany")
    assert one_line(caught.value) == f"no contract at {DEAD_ADDRESS} on devnet"


def test_no_contract_configured(bare_devnet: Network) -> None:
    with (
        ChainClient(bare_devnet) as chain,
        pytest.raises(ConfigError, match="no IntegrityRegister"),
    ):
        chain.check()


def test_unreachable_node_fails_fast() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    network = Network(name="gone", chain_id=31337, rpc_url=url, contract=DEAD_ADDRESS)
    started = time.monotonic()
    with ChainClient(network, timeout=5) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert time.monotonic() - started < 3
    assert one_line(caught.value) == f"cannot reach RPC node at {url} (Connection refused)"


def test_a_port_out_of_range_is_a_one_line_error() -> None:
    """A typo in a configured URL (port 85450) is the node's unreachability, not exit 70."""
    network = Network("typo", 31337, "http://127.0.0.1:85450", contract=DEAD_ADDRESS)
    assert network.rpc_display == "http://127.0.0.1:85450"
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert "127.0.0.1:85450" in one_line(caught.value)


def test_unreachable_node_message_hides_credentials() -> None:
    port = free_port()
    network = Network(
        name="hosted",
        chain_id=31337,
        rpc_url=f"http://user:s3cret@127.0.0.1:{port}/rpc?key=s3cret",
        contract=DEAD_ADDRESS,
    )
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert one_line(caught.value) == (
        f"cannot reach RPC node at http://****@127.0.0.1:{port}/rpc?**** (Connection refused)"
    )


@pytest.fixture
def silent_node() -> Iterator[str]:
    """A socket that accepts connections (kernel backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_silent_node_times_out(silent_node: str) -> None:
    network = Network(name="slow", chain_id=31337, rpc_url=silent_node, contract=DEAD_ADDRESS)
    with ChainClient(network, timeout=0.5) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert one_line(caught.value) == f"RPC node at {silent_node} did not answer within 0.5 s"


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    body = b"<html>not json</html>"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(status: int) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def html_node() -> Iterator[str]:
    yield from _serve(200)


@pytest.fixture
def failing_node() -> Iterator[str]:
    yield from _serve(503)


def test_non_json_reply(html_node: str) -> None:
    network = Network(name="web", chain_id=31337, rpc_url=html_node, contract=DEAD_ADDRESS)
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert one_line(caught.value) == f"RPC node at {html_node} sent a reply that is not JSON-RPC"


def test_http_error_status(failing_node: str) -> None:
    network = Network(name="down", chain_id=31337, rpc_url=failing_node, contract=DEAD_ADDRESS)
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    assert one_line(caught.value).startswith(f"RPC node at {failing_node} answered HTTP 503")


def test_insufficient_funds_states_balance_and_cost(chain: ChainClient, anvil: Anvil) -> None:
    poor = Account.create()
    chain.fund(anvil.keys[0], poor.address, 10**12)  # 0.000001 ETH
    with pytest.raises(NetworkError) as caught:
        chain.send_commits([("bafkreiany", "x" * 600)] * 3, poor.key)
    message = one_line(caught.value)
    assert message.startswith(f"insufficient funds on devnet: {poor.address} has 0.000001 ETH;")
    assert "3 commit transactions would cost an estimated 0.0" in message
    assert chain.get_commits("bafkreiany") == []


def test_insufficient_funds_with_empty_account(chain: ChainClient) -> None:
    with pytest.raises(NetworkError, match=r"has 0 ETH; 1 commit transaction would cost"):
        chain.send_commits([("bafkreiany", "{}")], Account.create().key)


def test_bad_key_and_address(chain: ChainClient) -> None:
    with pytest.raises(WalletError):
        chain.send_commits([("bafkreiany", "{}")], "0x1234")
    with pytest.raises(UsageError):
        chain.balance("0xnot-an-address")


class _UnderpricedClient(ChainClient):
    """Offers a fee cap of 1 wei, below any base fee: the node must refuse it."""

    def _fees(self) -> _Fees:
        return _Fees(
            fields={"maxFeePerGas": 1, "maxPriorityFeePerGas": 0}, max_price=1, expected_price=1
        )


def test_rejected_transaction_is_reported(chain: ChainClient, anvil: Anvil) -> None:
    with _UnderpricedClient(chain.network) as client, pytest.raises(NetworkError) as caught:
        client.send_commits([("bafkreiany", "{}")], anvil.keys[8])
    assert one_line(caught.value).startswith("devnet rejected commit transaction (nonce ")


@pytest.fixture
def deeply_nested_node() -> Iterator[str]:
    """A hostile node whose reply is JSON nested deeper than Python's parser recurses."""
    handler = type("Handler", (_Handler,), {"body": b"[" * 5_000 + b"]" * 5_000})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_deeply_nested_reply_is_a_network_error(deeply_nested_node: str) -> None:
    network = Network(
        name="deep", chain_id=31337, rpc_url=deeply_nested_node, contract=DEAD_ADDRESS
    )
    limit = sys.getrecursionlimit()  # py_ecc (eth_account) raises it to 100,000 on import
    sys.setrecursionlimit(1000)  # Python's default, as in `nit log --remote`
    try:
        with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
            chain.check()
    finally:
        sys.setrecursionlimit(limit)
    assert one_line(caught.value).endswith("sent a reply that is not JSON-RPC")


@pytest.fixture
def odd_id_node() -> Iterator[str]:
    """A hostile node that answers a batch with ids no request had (a list, an object)."""
    body = b'[{"jsonrpc": "2.0", "id": [1], "result": "0x1"}, {"id": {"a": 2}, "result": "0x2"}]'
    handler = type("Handler", (_Handler,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_batch_reply_with_ids_that_are_no_requests(odd_id_node: str) -> None:
    with pytest.raises(NetworkError) as caught:
        JsonRpc(odd_id_node, timeout=5).batch([("eth_chainId", []), ("eth_blockNumber", [])])
    assert one_line(caught.value) == (
        f"RPC node at {odd_id_node} sent a malformed reply to eth_chainId"
    )


def test_unusable_proxy_or_port_is_not_blamed_on_the_nodes_reply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Settings nit cannot use are no reply of the node's (it was never asked)."""
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://pat:pw@127.0.0.1:1080")
    url = f"http://127.0.0.1:{free_port()}"
    network = Network(name="socks", chain_id=31337, rpc_url=url, contract=DEAD_ADDRESS)
    with ChainClient(network) as chain, pytest.raises(NetworkError) as caught:
        chain.check()
    message = one_line(caught.value)
    assert message.startswith(f"cannot reach RPC node at {url} (") and "pw" not in message
    monkeypatch.delenv("ALL_PROXY")
    with pytest.raises(NetworkError) as caught:
        JsonRpc("http://127.0.0.1:85450", timeout=5).call("eth_chainId")
    assert one_line(caught.value).startswith("cannot reach RPC node at ")
