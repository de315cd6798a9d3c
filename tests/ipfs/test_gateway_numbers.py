"""GatewaySource against the node's real gateway; NumbersRemote by the request it builds.

The Numbers IPFS service cannot be reached from here, so its adapter is
checked only for the request it would send (the reference tool's: POST to its
Lambda URL, `Authorization: token <Capture token>`, multipart field `file`)
and for what it refuses before sending anything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
from tests.ipfs.conftest import CHUNK
from tests.support.ipfs_node import IpfsNode

from numbers_cli.errors import ConfigError, ExitCode, IntegrityError, NetworkError
from numbers_cli.ipfs import connect
from numbers_cli.ipfs.gateway import GatewaySource
from numbers_cli.ipfs.numbers import NUMBERS_ADD_URL, NumbersRemote
from numbers_cli.ipfs.remote import Auth, Remote
from numbers_cli.model.nid import Nid, raw_cid_bytes
from numbers_cli.model.unixfs import nid_of_bytes


def test_gateway_serves_a_single_block_file(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    """js-ipfs's gateway ignores ?format=raw, but a one-block file's content is its block."""
    data = os.urandom(5000)
    path = tmp_path / "small.bin"
    path.write_bytes(data)
    cid = Nid.parse(ipfs_node.add(path))
    with GatewaySource(ipfs_node.gateway_url + "/ipfs/", timeout=10) as gateway:
        assert gateway.get_block(cid) == data


def test_gateway_that_serves_file_content_is_caught(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    """For a multi-block file the gateway sends the whole content, not the root block."""
    path = tmp_path / "large.bin"
    path.write_bytes(os.urandom(2 * CHUNK + 10))
    cid = Nid.parse(ipfs_node.add(path))
    with (
        GatewaySource(ipfs_node.gateway_url, timeout=10) as gateway,
        pytest.raises(IntegrityError, match="trustless raw blocks") as err,
    ):
        gateway.get_block(cid)
    assert str(cid) in err.value.message and ipfs_node.gateway_url in err.value.message
    assert err.value.exit_code == ExitCode.CORRUPT


def test_gateway_without_the_block_gives_up_within_the_timeout(ipfs_node: IpfsNode) -> None:
    absent = Nid.from_bytes(raw_cid_bytes(os.urandom(32)))
    started = time.monotonic()
    with (
        GatewaySource(ipfs_node.gateway_url, timeout=1) as gateway,
        pytest.raises(NetworkError, match="did not answer within 1 s"),
    ):
        gateway.get_block(absent)
    assert time.monotonic() - started < 5  # a read timeout is not retried


def test_numbers_add_request_is_the_reference_tools() -> None:
    remote = NumbersRemote("capture-token-123")
    prepared = remote.add_request(b"hello").prepare()
    assert prepared.method == "POST"
    assert prepared.url == NUMBERS_ADD_URL
    assert NUMBERS_ADD_URL.endswith("/default/ipfs-add-with-payment")
    assert prepared.headers["Authorization"] == "token capture-token-123"
    content_type = prepared.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    body = prepared.body
    assert isinstance(body, bytes)
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert b'Content-Disposition: form-data; name="file"; filename="file"' in body
    assert b"\r\n\r\nhello\r\n--" + boundary + b"--\r\n" in body
    remote.close()


def test_numbers_refuses_a_multi_block_file_before_sending() -> None:
    remote = NumbersRemote("token", url="http://127.0.0.1:9")  # nothing would answer there
    with pytest.raises(ConfigError, match="re-chunks whole files"):
        remote.add_file(os.urandom(CHUNK + 1))
    remote.close()


def test_numbers_gateway_request_carries_the_token() -> None:
    remote = NumbersRemote("tok")
    assert remote.gateway.url == "https://ipfs-pin.numbersprotocol.io"
    request = requests.Request(
        "GET", remote.gateway.http.url("ipfs/x"), auth=remote.gateway.http._auth
    )
    assert request.prepare().headers["Authorization"] == "token tok"
    remote.close()


def test_numbers_remote_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="Capture token"):
        connect(Remote("capture", NUMBERS_ADD_URL, "numbers"))
    with pytest.raises(ConfigError, match="Capture token"):
        connect(Remote("capture", NUMBERS_ADD_URL, "numbers", Auth("basic", "a", "b")))
    adapter = connect(Remote("capture", NUMBERS_ADD_URL, "numbers", Auth("token", "", "t")))
    assert isinstance(adapter, NumbersRemote)
    adapter.close()


def test_single_block_nid_is_what_any_cidv1_raw_leaves_add_gives() -> None:
    """Why single-block files are safe to send to a re-chunking service."""
    data = os.urandom(CHUNK)
    assert nid_of_bytes(data) == Nid.from_bytes(raw_cid_bytes(data))
