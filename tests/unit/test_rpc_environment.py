"""The RPC transport reads the environment once per node: proxies, NO_PROXY, the CA
bundle, .netrc and credentials in the URL apply as they did when it was `requests`."""

from __future__ import annotations

import base64
import datetime
import json
import ssl
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
    proxy_auth: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        type(self).proxy_auth.append(self.headers.get("Proxy-Authorization"))
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
    _Proxy.proxy_auth = []
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


def _basic(login: str) -> str:
    return "Basic " + base64.b64encode(login.encode()).decode()


def test_netrc_credentials_are_exactly_the_hosts_entry(
    proxy: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(
        "machine elsewhere.invalid login bob password nope\n"
        "machine 127.0.0.1 login alice password s3cret\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    # the .netrc entry wins over credentials in the URL, as with requests
    JsonRpc(proxy.replace("//", "//carol:other@") + "/", timeout=5).call("eth_chainId", [])
    assert _Proxy.seen[0][1] == _basic("alice:s3cret")


def test_credentials_in_the_url_are_sent_as_basic_auth_not_in_the_request_line(
    proxy: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    rpc = JsonRpc(proxy.replace("//", "//carol:p%40ss@") + "/rpc?key=1", timeout=5)
    assert rpc.call("eth_chainId", []) == "0x7a69"
    assert _Proxy.seen == [("/rpc?key=1", _basic("carol:p@ss"))]


def test_proxy_credentials_go_to_the_proxy(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", proxy.replace("//", "//pat:pw@"))
    JsonRpc("http://node.invalid:8545/", timeout=5).call("eth_chainId", [])
    assert _Proxy.seen == [("http://node.invalid:8545/", None)]
    assert _Proxy.proxy_auth == [_basic("pat:pw")]


@pytest.fixture
def https_node(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JSON-RPC node over HTTPS with a self-signed certificate for 127.0.0.1, and its PEM."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nit test node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "node.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = tmp_path / "node.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem, key_file)
    _Proxy.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Proxy)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}/", pem
    server.shutdown()
    server.server_close()


def test_https_node_is_checked_against_the_ca_bundle(
    https_node: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, pem = https_node
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NetworkError, match=f"^cannot reach RPC node at {url} "):
        JsonRpc(url, timeout=5).call("eth_chainId", [])  # certifi's CAs do not know it
    assert _Proxy.seen == []
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pem))
    assert JsonRpc(url, timeout=5).call("eth_chainId", []) == "0x7a69"
    assert len(_Proxy.seen) == 1


def test_no_proxy_cidr_range_bypasses_it(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_PROXY=127.0.0.0/8 (an IPv4 range, as requests read it) reaches such a node directly."""
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # a proxy that is not there
    monkeypatch.setenv("no_proxy", "example.invalid, 127.0.0.0/8")
    assert JsonRpc(proxy + "/", timeout=5).call("eth_chainId", []) == "0x7a69"
    assert [path for path, _ in _Proxy.seen] == ["/"]  # asked directly, not as a proxy


def test_authorization_does_not_follow_a_redirect_to_another_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A node that redirects elsewhere gets no credentials sent there (URL's nor .netrc's)."""
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    _Proxy.seen = []
    target = HTTPServer(("127.0.0.1", 0), _Proxy)

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"http://localhost:{target.server_port}/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    redirecting = HTTPServer(("127.0.0.1", 0), Redirect)
    for server in (target, redirecting):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://carol:s3cret@127.0.0.1:{redirecting.server_port}/"
        assert JsonRpc(url, timeout=5).call("eth_chainId", []) == "0x7a69"
    finally:
        for server in (target, redirecting):
            server.shutdown()
            server.server_close()
    assert _Proxy.seen == [("/moved", None)]
