"""KuboRemote against the real node: the calls `nit push` and `nit cat` rely on.

Plus what no IPFS node can show: which headers go out and how failures are
retried, checked against a tiny real HTTP server that records what it gets.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.ipfs.conftest import CHUNK, closed_port
from tests.support.ipfs_node import IpfsNode

from numbers_cli.errors import ExitCode, IntegrityError, NetworkError, NotFound
from numbers_cli.ipfs.http import RemoteHttpError, RemoteUnreachable
from numbers_cli.ipfs.kubo import BlocksMissing, KuboRemote
from numbers_cli.ipfs.remote import Auth
from numbers_cli.model import car
from numbers_cli.model.nid import Nid, raw_cid_bytes
from numbers_cli.model.unixfs import NidBuilder


def dag(data: bytes) -> tuple[Nid, list[tuple[bytes, bytes]]]:
    """Our UnixFS DAG of `data`: root and (binary CID, block) in build order."""
    blocks: list[tuple[bytes, bytes]] = []
    builder = NidBuilder(lambda cid, block: blocks.append((cid, bytes(block))))
    for start in range(0, len(data), CHUNK):
        builder.update(data[start : start + CHUNK])
    return builder.finish(), blocks


def car_bytes(root: Nid, blocks: list[tuple[bytes, bytes]]) -> bytes:
    frames = b"".join(car.block_frame(cid, len(block)) + block for cid, block in blocks)
    return car.encode_header(root.to_bytes()) + frames


def test_version(kubo: KuboRemote) -> None:
    assert kubo.version()


def test_put_has_get_block(kubo: KuboRemote) -> None:
    data = os.urandom(1000)
    cid = kubo.put_block(data)
    assert cid == Nid.from_bytes(raw_cid_bytes(data))
    assert kubo.has_block(cid)
    assert kubo.get_block(cid) == data


def test_has_block_of_an_absent_block_is_false_quickly(kubo: KuboRemote) -> None:
    absent = Nid.from_bytes(raw_cid_bytes(os.urandom(32)))
    started = time.monotonic()
    assert kubo.has_block(absent, timeout=1.0) is False
    assert time.monotonic() - started < 5


def test_import_car_pins_and_reports_the_root(kubo: KuboRemote, ipfs_node: IpfsNode) -> None:
    data = os.urandom(3 * CHUNK + 100)
    root, blocks = dag(data)
    body = car_bytes(root, blocks)
    # Streamed in small chunks with an exact length.
    chunks = (body[i : i + 10_000] for i in range(0, len(body), 10_000))
    assert kubo.import_car(chunks, pin_roots=True, length=len(body)) == [root]
    assert kubo.is_pinned(root)
    assert ipfs_node.rpc("cat", {"arg": root, "timeout": "10s"}) == data


def test_import_car_without_length_goes_chunked(kubo: KuboRemote, ipfs_node: IpfsNode) -> None:
    data = os.urandom(2 * CHUNK)
    root, blocks = dag(data)
    assert kubo.import_car(iter([car_bytes(root, blocks)]), pin_roots=False) == []
    assert not kubo.is_pinned(root)
    kubo.pin(root)
    assert kubo.is_pinned(root)
    assert ipfs_node.rpc("cat", {"arg": root, "timeout": "10s"}) == data


def test_import_car_reports_a_pin_that_failed(kubo: KuboRemote) -> None:
    """The root named in the header is not in the CAR: the node says so, we raise."""
    data = b"a block whose CAR names another root " + os.urandom(8)
    other = Nid.from_bytes(raw_cid_bytes(os.urandom(8)))
    body = car.encode_header(other.to_bytes()) + car.block_frame(raw_cid_bytes(data), len(data))
    with pytest.raises(BlocksMissing, match="could not pin"):
        kubo.import_car([body + data], pin_roots=True, timeout=3)


def test_get_block_of_an_absent_block_is_not_found_within_the_timeout(ipfs_node: IpfsNode) -> None:
    absent = Nid.from_bytes(raw_cid_bytes(os.urandom(32)))
    started = time.monotonic()
    kubo = KuboRemote(ipfs_node.api_url, timeout=1.0, name="node")
    with kubo, pytest.raises(NotFound, match=f"{absent} is not on IPFS remote 'node'") as err:
        kubo.get_block(absent)
    assert err.value.exit_code == ExitCode.NOT_FOUND
    assert time.monotonic() - started < 8


def test_pin_of_a_dag_with_missing_blocks_fails_within_the_timeout(ipfs_node: IpfsNode) -> None:
    root, blocks = dag(os.urandom(2 * CHUNK))
    # The node gets the root and one leaf, not the other leaf.
    ipfs_node.rpc_upload("dag/import", {"pin-roots": "false"}, car_bytes(root, blocks[1:]))
    started = time.monotonic()
    with KuboRemote(ipfs_node.api_url, timeout=1.0) as kubo, pytest.raises(BlocksMissing):
        kubo.pin(root)
    assert time.monotonic() - started < 8


def test_a_block_the_node_holds_under_a_wrong_cid_is_refused(
    kubo: KuboRemote, ipfs_node: IpfsNode
) -> None:
    """js-ipfs's dag/import does not check blocks: it will keep bytes under any CID.

    So a node can honestly be made to answer a CID with bytes that are not its
    block, which is exactly what our re-hashing must catch.
    """
    claimed = raw_cid_bytes(os.urandom(16))
    body = car.encode_header(claimed) + car.block_frame(claimed, 5) + b"HELLO"
    ipfs_node.rpc_upload("dag/import", {"pin-roots": "false"}, body)
    cid = Nid.from_bytes(claimed)
    assert ipfs_node.rpc("block/get", {"arg": cid, "timeout": "5s"}) == b"HELLO"
    with pytest.raises(IntegrityError, match=f"IPFS remote 'node' .* block {cid} .* do not hash"):
        kubo.get_block(cid)


def test_node_down_is_a_one_line_network_error_without_credentials() -> None:
    url = f"http://someone:hunter2@127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with KuboRemote(url, timeout=5, name="origin") as kubo, pytest.raises(RemoteUnreachable) as err:
        kubo.version()
    assert err.value.exit_code == ExitCode.NETWORK
    message = err.value.message
    assert "IPFS remote 'origin'" in message and "connection refused" in message
    assert "hunter2" not in message and "someone" not in message and "\n" not in message
    assert time.monotonic() - started < 5  # three quick attempts, not a long wait


def test_unknown_endpoint_is_an_http_error(kubo: KuboRemote) -> None:
    with pytest.raises(RemoteHttpError) as err:
        kubo._post("no/such/command")
    assert err.value.status == 404
    assert isinstance(err.value, NetworkError)


# --- what goes over the wire: a recording HTTP server -------------------------------


class Recorder(http.server.ThreadingHTTPServer):
    """Answers each request with the next scripted (status, body); records headers."""

    def __init__(self, script: list[tuple[int, bytes]]) -> None:
        self.script = list(script)
        self.seen: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append(dict(self.headers))
        status, body = self.server.script.pop(0) if self.server.script else (200, b"{}")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    server = Recorder(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


VERSION = (200, json.dumps({"Version": "0.0-test"}).encode())


@pytest.mark.parametrize("recorder", [[VERSION]], indirect=True)
def test_basic_auth_header_and_no_netrc(
    recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A ~/.netrc for the same host must not replace our credentials.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login other password fromnetrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with KuboRemote(recorder.url, Auth("basic", "project", "s3cret")) as kubo:
        assert kubo.version() == "0.0-test"
    expected = "Basic " + base64.b64encode(b"project:s3cret").decode()
    assert recorder.seen[0]["Authorization"] == expected


@pytest.mark.parametrize("recorder", [[VERSION]], indirect=True)
def test_bearer_auth_header(recorder: Recorder) -> None:
    with KuboRemote(recorder.url, Auth.parse("bearer:tok-123")) as kubo:
        kubo.version()
    assert recorder.seen[0]["Authorization"] == "Bearer tok-123"


@pytest.mark.parametrize(
    "recorder", [[(503, b"busy"), (502, b"bad gateway"), VERSION]], indirect=True
)
def test_overloaded_answers_are_retried(recorder: Recorder) -> None:
    with KuboRemote(recorder.url) as kubo:
        assert kubo.version() == "0.0-test"
    assert len(recorder.seen) == 3


@pytest.mark.parametrize("recorder", [[(503, b"busy")] * 5], indirect=True)
def test_retries_are_bounded(recorder: Recorder) -> None:
    with (
        KuboRemote(recorder.url, name="busy") as kubo,
        pytest.raises(RemoteHttpError, match="HTTP 503"),
    ):
        kubo.version()
    assert len(recorder.seen) == 3


@pytest.mark.parametrize(
    "recorder", [[(401, json.dumps({"Message": "invalid project id"}).encode())]], indirect=True
)
def test_refused_credentials_say_so_once(recorder: Recorder) -> None:
    kubo = KuboRemote(recorder.url, Auth.parse("bearer:wrong"), name="infura")
    with kubo, pytest.raises(RemoteHttpError) as err:
        kubo.version()
    assert len(recorder.seen) == 1
    assert "refused the request (HTTP 401): invalid project id" in err.value.message
    assert "wrong" not in err.value.message
