"""JSON-RPC transport to an EVM node, over web3's HTTP provider.

Why raw JSON-RPC and not web3's high-level `w3.eth` API: nit needs batches
that include `eth_sendRawTransaction` (web3's batching refuses them), exact
control over which calls are made (the spec prescribes the log query), and
one place where every transport or node failure becomes a one-line
NetworkError. web3 still does the HTTP (session reuse, headers, encoding).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import NetworkError

if TYPE_CHECKING:
    from web3 import HTTPProvider

__all__ = ["JsonRpc", "RpcError", "hex_bytes", "quantity"]

#: Calls per HTTP request in a batch: large enough to amortise the round trip,
#: small enough for public nodes' batch limits (often 100 or more).
DEFAULT_BATCH_SIZE = 100


class RpcError(NetworkError):
    """The node answered a call with a JSON-RPC error (reverts, rejected transactions...).

    Callers that can say something more useful (insufficient funds, a revert)
    catch it and re-raise a NetworkError in the domain's words.
    """

    def __init__(self, url: str, method: str, code: int | None, rpc_message: str) -> None:
        super().__init__(f"{method} failed on {url}: {rpc_message}")
        self.method = method
        self.code = code
        self.rpc_message = rpc_message


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
        self._provider: HTTPProvider | None = None

    def _http(self) -> HTTPProvider:
        if self._provider is None:
            from web3 import HTTPProvider

            # No automatic retries: a node that is down must be reported now,
            # not after web3's back-off; callers retry what is safe to retry.
            self._provider = HTTPProvider(
                self._url,
                request_kwargs={"timeout": self.timeout},
                exception_retry_configuration=None,
            )
        return self._provider

    def _transport_error(self, exc: BaseException) -> NetworkError:
        import requests

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
                raise RpcError(self.url, method, error.get("code"), message)
            raise RpcError(self.url, method, None, str(error))
        if "result" not in reply:
            raise NetworkError(f"RPC node at {self.url} sent no result for {method}")
        return reply["result"]

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; its result, or RpcError / NetworkError."""
        import requests
        from web3.types import RPCEndpoint

        try:
            reply = self._http().make_request(RPCEndpoint(method), list(params))
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
        from web3.types import RPCEndpoint

        results: list[Any | RpcError] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            requests_ = [(RPCEndpoint(method), list(params)) for method, params in chunk]
            try:
                replies = self._http().make_batch_request(requests_)
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
        """Drop the provider (and with it web3's cached HTTP session for this URL)."""
        self._provider = None
