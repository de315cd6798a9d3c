"""JSON-RPC transport to an EVM node, over a `requests` session.

Why raw JSON-RPC and not web3's high-level `w3.eth` API: nit needs batches
that include `eth_sendRawTransaction` (web3's batching refuses them), exact
control over which calls are made (the spec prescribes the log query), and
one place where every transport or node failure becomes a one-line
NetworkError. Why not web3's HTTPProvider underneath: importing web3 costs
about a second, most of `nit log --remote`'s time; the protocol is a POST of
JSON, which `requests` (session reuse, keep-alive) does as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import NetworkError

if TYPE_CHECKING:
    import requests

__all__ = ["JsonRpc", "RpcError", "hex_bytes", "quantity"]

#: Calls per HTTP request in a batch: large enough to amortise the round trip,
#: small enough for public nodes' batch limits (often 100 or more).
DEFAULT_BATCH_SIZE = 100


class RpcError(NetworkError):
    """The node answered a call with a JSON-RPC error (reverts, rejected transactions...).

    Callers that can say something more useful (insufficient funds, a revert)
    catch it and re-raise a NetworkError in the domain's words.
    """

    def __init__(
        self, url: str, method: str, code: int | None, rpc_message: str, data: Any = None
    ) -> None:
        super().__init__(f"{method} failed on {url}: {rpc_message}")
        self.method = method
        self.code = code
        self.rpc_message = rpc_message
        self.data = data  # the error's `data` member: a revert's ABI-encoded reason, for one

    def revert_data(self) -> bytes | None:
        """The bytes a contract reverted with (custom error or reason), when the node sent them."""
        data = self.data
        if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
            data = data.get("data")
        if not isinstance(data, str) or not data.startswith("0x"):
            return None
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC QUANTITY ("0x1a") as int; NetworkError naming `what` if it is not one."""
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise NetworkError(f"RPC node sent a malformed {what}: {value!r:.80}") from None


def hex_bytes(value: Any, what: str) -> bytes:
    """JSON-RPC DATA ("0x..") as bytes; NetworkError naming `what` if it is not hex."""
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except (AttributeError, TypeError, ValueError):
        raise NetworkError(f"RPC node sent malformed {what}: {value!r:.80}") from None


def _reason(exc: BaseException) -> str:
    """The short cause of a requests/urllib3 failure ("Connection refused"), not its repr chain."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if found:
        return found.group(1).strip()
    for marker in ("Name or service not known", "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def _session_for(url: str) -> requests.Session:
    """A keep-alive session for one node, with the environment read once.

    The environment's proxies (and NO_PROXY), CA bundle and .netrc credentials
    apply as with plain requests, but they are resolved for this URL now rather
    than on every POST: requests scans the whole environment per request
    otherwise, 35 ms of a 1,000-commit push.
    """
    import requests
    from requests.utils import get_netrc_auth

    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.auth = get_netrc_auth(url)
    session.trust_env = False
    return session


class JsonRpc:
    """Calls to one node URL; every failure leaves as a NetworkError with one line."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        batch_size: int = DEFAULT_BATCH_SIZE,
        display_url: str | None = None,
    ) -> None:
        self._url = url
        self.url = display_url or url  # what messages show (no credentials)
        self.timeout = timeout
        self.batch_size = batch_size
        self._session: requests.Session | None = None
        self._next_id = 0

    def _post(self, payload: Any) -> Any:
        """One HTTP POST of a JSON-RPC request or batch; the decoded JSON reply.

        No automatic retries: a node that is down must be reported now;
        callers retry what is safe to retry.
        """

        if self._session is None:
            self._session = _session_for(self._url)
        response = self._session.post(self._url, json=payload, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}

    def _transport_error(self, exc: BaseException) -> NetworkError:
        import requests

        if isinstance(exc, ValueError):  # requests' JSONDecodeError is one, too
            return NetworkError(f"RPC node at {self.url} sent a reply that is not JSON-RPC")
        if isinstance(exc, requests.Timeout):
            return NetworkError(f"RPC node at {self.url} did not answer within {self.timeout:g} s")
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            return NetworkError(
                f"RPC node at {self.url} answered HTTP {exc.response.status_code} "
                f"{exc.response.reason or ''}".rstrip()
            )
        if isinstance(exc, requests.RequestException | OSError):
            return NetworkError(f"cannot reach RPC node at {self.url} ({_reason(exc)})")
        return NetworkError(f"RPC node at {self.url} sent a reply that is not JSON-RPC")

    def _unwrap(self, method: str, reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise NetworkError(f"RPC node at {self.url} sent a malformed reply to {method}")
        if reply.get("error") is not None:
            error = reply["error"]
            if isinstance(error, dict):
                message = str(error.get("message", error))
                data = error.get("data")
                if isinstance(data, str) and data and data not in message:
                    message = f"{message} ({data})"
                raise RpcError(self.url, method, error.get("code"), message, error.get("data"))
            raise RpcError(self.url, method, None, str(error))
        if "result" not in reply:
            raise NetworkError(f"RPC node at {self.url} sent no result for {method}")
        return reply["result"]

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; its result, or RpcError / NetworkError."""
        import requests

        try:
            reply = self._post(self._request(method, params))
        except (requests.RequestException, OSError, ValueError) as exc:
            # HTTP/socket failures, and replies that are not JSON (ValueError)
            raise self._transport_error(exc) from None
        return self._unwrap(method, reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any | RpcError]:
        """Many calls in as few HTTP requests as batch_size allows.

        Returns, in the order of `calls`, each call's result or its RpcError
        (not raised: in a batch of transactions, the caller must know which
        ones the node took). Transport failures raise NetworkError.
        """
        import requests

        results: list[Any | RpcError] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            payload = [self._request(method, params) for method, params in chunk]
            try:
                replies = self._post(payload)
            except (requests.RequestException, OSError, ValueError) as exc:
                raise self._transport_error(exc) from None
            if not isinstance(replies, list):
                # The node rejected the batch as a whole (some refuse batches).
                self._unwrap(chunk[0][0], replies)
                raise NetworkError(f"RPC node at {self.url} refused a batch request")
            if len(replies) != len(chunk):
                raise NetworkError(
                    f"RPC node at {self.url} answered {len(replies)} of {len(chunk)} batched calls"
                )
            # A batch's replies may come in any order (JSON-RPC 2.0): match them by id.
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
            replies = [by_id.get(request["id"]) for request in payload]
            for (method, _params), reply in zip(chunk, replies, strict=True):
                try:
                    results.append(self._unwrap(method, reply))
                except RpcError as exc:
                    results.append(exc)
        return results

    def call_quantity(self, method: str, params: Sequence[Any] = ()) -> int:
        """A call whose result is a QUANTITY (balances, nonces, block numbers, ids)."""
        return quantity(self.call(method, params), f"{method} result")

    def batch_strict(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Like batch(), but raise the first RpcError: for reads where any failure is fatal."""
        results = self.batch(calls)
        for result in results:
            if isinstance(result, RpcError):
                raise result
        return results

    def close(self) -> None:
        """Close the HTTP session (its pooled connections)."""
        session, self._session = self._session, None
        if session is not None:
            session.close()
