"""Pure logic of the remote description: auth parsing, headers, masking, URLs."""

from __future__ import annotations

import base64

import pytest

from numbers_cli.errors import ConfigError
from numbers_cli.ipfs.http import MultipartBody
from numbers_cli.ipfs.remote import Auth, Remote, check_remote_name, normalize_url, redact_url


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("basic:id:se:cret", "Basic " + base64.b64encode(b"id:se:cret").decode()),
        ("bearer:abc", "Bearer abc"),
        ("token:capture", "token capture"),
    ],
)
def test_auth_parse_and_header(text: str, header: str) -> None:
    assert Auth.parse(text).header() == header


@pytest.mark.parametrize("text", ["basic:onlyid", "basic::x", "bearer:", "digest:a:b", "plain"])
def test_auth_parse_refuses(text: str) -> None:
    with pytest.raises(ConfigError):
        Auth.parse(text)


def test_secrets_are_never_in_reprs_or_masks() -> None:
    auth = Auth("basic", "2AbCdEfG", "topsecret")
    remote = Remote("infura", "https://ipfs.infura.io:5001", "kubo", auth)
    for text in (repr(auth), repr(remote), auth.masked(), remote.label):
        assert "topsecret" not in text
    assert auth.masked() == "basic (2AbC…:****)"
    assert Auth("bearer", "", "t").masked() == "bearer (****)"


def test_urls() -> None:
    assert redact_url("https://id:pw@host.example:5001/api") == "https://host.example:5001/api"
    assert redact_url("http://[::1]:5001") == "http://[::1]:5001"
    clean, auth = normalize_url(" https://id:pw@host.example/ ")
    assert clean == "https://host.example" and auth == Auth("basic", "id", "pw")
    assert normalize_url("http://127.0.0.1:5001") == ("http://127.0.0.1:5001", None)
    for bad in ("ftp://x", "host:5001", "http://"):
        with pytest.raises(ConfigError):
            normalize_url(bad)


@pytest.mark.parametrize("name", ["origin", "my-node_2", "a.b"])
def test_remote_names(name: str) -> None:
    assert check_remote_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "../x", "x" * 65, "sp ace"])
def test_bad_remote_names(name: str) -> None:
    with pytest.raises(ConfigError):
        check_remote_name(name)


def test_multipart_body_length_is_exact() -> None:
    chunks = [b"abc", b"", b"defg"]
    body = MultipartBody(chunks, 7, content_type="application/vnd.ipld.car")
    data = b"".join(body)
    assert len(body) == len(data)
    assert b"\r\n\r\nabcdefg\r\n--" in data
    assert len(MultipartBody(chunks)) == 0  # unknown length: sent chunked
