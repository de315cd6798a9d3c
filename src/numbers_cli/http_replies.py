"""What nit's requests-based HTTP clients (the IPFS adapters, the monitor's web
source) do alike with replies a broken or hostile server sends.

* A redirect's body is never read. requests reads it whole before following
  the redirect (to free the connection); a server sending a body without end
  turns that into a wait without end, or memory without end.
* A reply that is not HTTP (headers without end, one header line over 64 KiB,
  a bad status line) is named as such, not as "cannot connect": the server is
  there, and broken, and asking again will not help.

(`chain.rpc` speaks urllib3 without requests, and reads its errors itself.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

__all__ = ["drop_redirect_body", "malformed_http"]


def drop_redirect_body(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A response hook: a redirect's body is closed unread (its connection with it),
    so that following it never waits on a body without end."""
    if response.is_redirect and not response._content_consumed:
        response.raw.close()  # also closes the connection: the pool opens a new one
        response._content = b""
        response._content_consumed = True


def malformed_http(exc: BaseException) -> str:
    """What was wrong with a reply that is not HTTP (endless or huge headers, a bad
    status line), found in requests' ConnectionError around urllib3's ProtocolError
    around http.client's error; "" for anything else (a connection reset is no
    malformed reply)."""
    import http.client

    seen: list[BaseException] = [exc]
    for _ in range(16):  # a few wrappers deep; never a cycle of args
        if not seen:
            break
        current = seen.pop()
        if isinstance(current, http.client.HTTPException):
            if isinstance(current, http.client.RemoteDisconnected):
                return ""
            text = " ".join(str(current).split())
            return (text if len(text) <= 80 else text[:79] + "…") or type(current).__name__
        seen.extend(a for a in current.args if isinstance(a, BaseException))
    return ""
