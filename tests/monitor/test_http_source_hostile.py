"""The web source against servers that misbehave below HTTP (tests/support/hostile_node.py):
a redirect whose body never ends is followed without reading it (requests used to
read it whole first, and time out), and a reply that is not HTTP says so."""

from __future__ import annotations

import pytest
from tests.support import hostile_node

from numbers_cli.monitor.sources.http import FetchError, WebSource


def test_a_redirects_body_is_not_read() -> None:
    body = b"\x89PNG\r\n\x1a\n behind the redirect"
    behave = hostile_node.redirect_then(hostile_node.ok_reply(body, "image/png"))
    with hostile_node.raw_server(behave, with_request=True) as url, WebSource(timeout=1) as web:
        assert web.fetch(url + "/start", 1 << 20) == (body, "image/png")


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (hostile_node.huge_header, "malformed HTTP reply (got more than 65536 bytes"),
        (hostile_node.endless_headers, "malformed HTTP reply (got more than 100 headers)"),
    ],
    ids=["huge-header", "endless-headers"],
)
def test_a_reply_that_is_not_http_says_so(behave: object, expected: str) -> None:
    with (
        hostile_node.raw_server(behave) as url,  # type: ignore[arg-type]
        WebSource(timeout=1) as web,
        pytest.raises(FetchError) as caught,
    ):
        web.fetch(url, 1 << 20)
    assert expected in str(caught.value)
