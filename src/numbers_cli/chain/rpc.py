"""JSON-RPC transport to an EVM node, over a urllib3 connection pool.

Why raw JSON-RPC and not web3's high-level `w3.eth` API: nit needs batches
that include `eth_sendRawTransaction` (web3's batching refuses them), exact
control over which calls are made (the spec prescribes the log query), and
one place where every transport or node failure becomes a one-line
NetworkError. Why not web3's HTTPProvider underneath: importing web3 costs
about a second, most of `nit log --remote`'s time; the protocol is a POST of
JSON. Why urllib3 and not `requests` on top of it: requests adds ~20 ms of
imports (charset detection, cookies, IDNA) to every chain command and nothing
a POST of JSON to one node uses; what it did read from the environment
(proxies and NO_PROXY, the CA bundle, .netrc) is read here once per node, with
the standard library's own readers (`chain.rpc_environment`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import NetworkError
from numbers_cli.http_replies import malformed_http
from numbers_cli.model import json_input

if TYPE_CHECKING:
    from urllib3 import PoolManager

__all__ = ["JsonRpc", "RpcError", "hex_bytes", "quantity"]

#: Calls per HTTP request in a batch: large enough to amortise the round trip,
#: small enough for public nodes' batch limits (often 100 or more).
DEFAULT_BATCH_SIZE = 100

#: Largest reply read from a node. A batch of 100 eth_getLogs pages or receipts is
#: a few MiB; a node that streams without end is cut off here, not at the OOM killer.
MAX_REPLY_BYTES = 256 * 1024 * 1024

#: One reply must arrive whole within this many read timeouts: a node dripping a
#: byte before each timeout (slowloris) would otherwise hold nit forever.
REPLY_DEADLINE_FACTOR = 3


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


class _HttpStatus(Exception):
    """The node answered with an HTTP error status (4xx, 5xx) instead of JSON-RPC."""

    def __init__(self, status: int, reason: str | None) -> None:
        super().__init__(f"HTTP {status} {reason or ''}")
        self.status = status
        self.reason = reason


class _TooLarge(Exception):
    """The node's reply went past MAX_REPLY_BYTES (a node streaming without end)."""


class _TooSlow(Exception):
    """The node's reply kept coming, a little at a time, past the reply deadline."""


class _NotJson(Exception):
    """The node's reply is not JSON (or nests deeper than the parser recurses)."""


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a POST may raise short of a reply: urllib3's errors (not OSErrors), socket
    errors, settings urllib3 cannot use (ValueError: a port out of range, a SOCKS
    proxy), replies that are not JSON and HTTP error statuses."""
    from urllib3.exceptions import HTTPError

    return (HTTPError, OSError, ValueError, _NotJson, _HttpStatus, _TooLarge, _TooSlow)


def _is_id(value: Any) -> bool:
    """A reply's `id` that can be one of ours (a hostile node's list or object cannot)."""
    return isinstance(value, int | str)


def _reason(exc: BaseException) -> str:
    """The short cause of a urllib3/socket failure ("Connection refused"), not its repr chain."""
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
        #: Longest time one reply may take to arrive whole (the timeout bounds each read).
        self.reply_deadline = REPLY_DEADLINE_FACTOR * timeout
        self._pool: PoolManager | None = None
        self._target = ""  # the URL without its credentials (they go in a header)
        self._headers: dict[str, str] = {}
        self._next_id = 0

    def _post(self, payload: Any) -> Any:
        """One HTTP POST of a JSON-RPC request or batch; the decoded JSON reply.

        No automatic retries: a node that is down must be reported now;
        callers retry what is safe to retry. Redirects are followed.
        """
        if self._pool is None:
            from numbers_cli.chain.rpc_environment import node_connection

            self._pool, self._target, self._headers = node_connection(self._url)
        response = self._pool.request(
            "POST",
            self._target,
            body=json.dumps(payload, allow_nan=False).encode("utf-8"),
            headers=self._headers,
            timeout=self.timeout,
            preload_content=False,
        )
        try:
            if response.status >= 400:
                raise _HttpStatus(response.status, response.reason)
            data = self._read(response)
        except BaseException:
            response.close()  # never back into the pool half-read
            raise
        response.release_conn()
        try:
            return json_input.loads(data)
        except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, hostile nesting
            raise _NotJson from None

    def _read(self, response: Any) -> bytes:
        """The reply's body: at most MAX_REPLY_BYTES, whole within `reply_deadline` s.

        The read timeout bounds each wait for a byte; a node that sends one byte
        just before each timeout (or bytes without end) is cut off here instead.
        """
        started = time.monotonic()
        body = bytearray()
        while chunk := response.read1(64 * 1024):  # what has come, not a full 64 KiB
            body += chunk
            if len(body) > MAX_REPLY_BYTES:
                raise _TooLarge
            if time.monotonic() - started > self.reply_deadline:
                raise _TooSlow
        return bytes(body)

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}

    def _transport_error(self, exc: BaseException) -> NetworkError:
        from urllib3.exceptions import MaxRetryError, NewConnectionError, TimeoutError

        if isinstance(exc, MaxRetryError) and exc.reason is not None:
            exc = exc.reason  # the failure itself (no retries: the first one)
        if isinstance(exc, _HttpStatus):
            return NetworkError(
                f"RPC node at {self.url} answered HTTP {exc.status} {exc.reason or ''}".rstrip()
            )
        malformed = malformed_http(exc)
        if malformed:
            return NetworkError(f"RPC node at {self.url} sent a malformed HTTP reply ({malformed})")
        if isinstance(exc, _TooLarge):
            return NetworkError(
                f"RPC node at {self.url} sent a reply larger than {MAX_REPLY_BYTES >> 20} MiB"
            )
        if isinstance(exc, _TooSlow):
            return NetworkError(
                f"RPC node at {self.url} did not finish its reply within {self.reply_deadline:g} s"
            )
        if isinstance(exc, _NotJson):
            return NetworkError(f"RPC node at {self.url} sent a reply that is not JSON-RPC")
        # urllib3's NewConnectionError is a ConnectTimeoutError too: a refusal, not a timeout
        if isinstance(exc, TimeoutError) and not isinstance(exc, NewConnectionError):
            return NetworkError(f"RPC node at {self.url} did not answer within {self.timeout:g} s")
        return NetworkError(f"cannot reach RPC node at {self.url} ({_reason(exc)})")

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
        try:
            reply = self._post(self._request(method, params))
        except _transport_errors() as exc:  # evaluated only when one is raised
            # HTTP/socket failures, and replies that are not JSON (ValueError)
            raise self._transport_error(exc) from None
        return self._unwrap(method, reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any | RpcError]:
        """Many calls in as few HTTP requests as batch_size allows.

        Returns, in the order of `calls`, each call's result or its RpcError
        (not raised: in a batch of transactions, the caller must know which
        ones the node took). Transport failures raise NetworkError.
        """

        results: list[Any | RpcError] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            payload = [self._request(method, params) for method, params in chunk]
            try:
                replies = self._post(payload)
            except _transport_errors() as exc:  # evaluated only when one is raised
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
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict) and _is_id(r.get("id"))}
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
        """Close the pooled connections to the node."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.clear()
