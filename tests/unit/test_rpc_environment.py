"""The RPC session reads the environment once: proxies, NO_PROXY and .netrc still apply."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from numbers_cli.chain.rpc import JsonRpc
from numbers_cli.errors import NetworkError


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every JSON-RPC call itself and remembers what it was asked."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        reply = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "0x7a69"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    _Proxy.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_calls_go_through_the_environments_proxy(
    proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", proxy)
    rpc = JsonRpc("http://node.invalid:8545/", timeout=5)
    assert rpc.call("eth_chainId", []) == "0x7a69"
    assert rpc.call("eth_chainId", []) == "0x7a69"
    assert [path for path, _ in _Proxy.seen] == ["http://node.invalid:8545/"] * 2


def test_no_proxy_bypasses_it(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", proxy)
    monkeypatch.setenv("no_proxy", "node.invalid")
    rpc = JsonRpc("http://node.invalid:8545/", timeout=5)
    with pytest.raises(NetworkError):
        rpc.call("eth_chainId", [])
    assert _Proxy.seen == []


def test_netrc_credentials_are_sent(
    proxy: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    rpc = JsonRpc(proxy + "/", timeout=5)  # the "proxy" is the node itself here
    assert rpc.call("eth_chainId", []) == "0x7a69"
    assert _Proxy.seen[0][1] is not None and _Proxy.seen[0][1].startswith("Basic ")
