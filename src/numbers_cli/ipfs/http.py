"""HTTP for the IPFS adapters: one session per remote, bounded time, bounded retries.

Every failure becomes a one-line `NetworkError` that names the remote by its
label (URL without credentials), never a requests traceback. Only requests
that can be sent twice are retried (3 attempts, 0.25 s then 0.5 s apart), and
only for failures that another attempt can fix: the connection could not be
made, or the server said it is overloaded (429, 502, 503). A read timeout is
not retried: the remote was reached and did not answer in time, and trying
again would multiply the wait the user asked to bound. Neither is a reply that
is not HTTP (headers without end, a header line over 64 KiB): the server is
there, and broken.

Redirects (GET only) are followed up to MAX_REDIRECTS hops, and a redirect's
body is never read: requests reads it whole before following (to free the
connection), which a server sending a body without end turns into a wait
without end; `http_replies.drop_redirect_body` closes the connection instead.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from numbers_cli import __version__
from numbers_cli.errors import NetworkError
from numbers_cli.http_replies import drop_redirect_body, malformed_http
from numbers_cli.ipfs.remote import Auth
from numbers_cli.model import json_input

ATTEMPTS = 3
BACKOFF = 0.25
CONNECT_TIMEOUT = 10.0
RETRY_STATUS = frozenset({429, 502, 503})

#: Largest block we accept from anyone. IPFS itself refuses blocks over 2 MiB
#: (bitswap); the margin is for odd chunkers. A remote that streams more is cut off.
MAX_BLOCK_BYTES = 4 * 1024 * 1024

#: Largest answer read whole (JSON, an error page); blocks have MAX_BLOCK_BYTES.
MAX_ANSWER_BYTES = 64 * 1024 * 1024

#: An answer read whole must arrive within this many read timeouts: a server that
#: drips a byte before each timeout (slowloris) would otherwise hold nit forever.
DEADLINE_FACTOR = 3

#: Redirects followed for one GET before it is refused as a loop.
MAX_REDIRECTS = 5

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class RemoteUnreachable(NetworkError):
    """The connection could not be made (refused, unknown host, TLS, connect timeout)."""


class RemoteTimeout(NetworkError):
    """The remote was reached but did not answer within the timeout."""


class RemoteHttpError(NetworkError):
    """The remote answered with an HTTP error; `status` and its own `detail` are kept."""

    def __init__(self, message: str, status: int, detail: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.detail = detail


def is_transient(exc: BaseException) -> bool:
    """True for failures that a later attempt of the same request may not meet."""
    if isinstance(exc, RemoteUnreachable):
        return True
    return isinstance(exc, RemoteHttpError) and exc.status in RETRY_STATUS


class _HeaderAuth(AuthBase):
    """Sets our Authorization header; being an explicit auth, it also keeps requests
    from reading ~/.netrc and overriding the header with whatever it finds there."""

    def __init__(self, value: str | None) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._value is not None:
            request.headers["Authorization"] = self._value
        return request


class MultipartBody:
    """One multipart/form-data file field streamed from chunks.

    With `length` (the bytes the chunks will add up to) the request carries an
    exact Content-Length, which some hosted endpoints require; without it,
    requests sends it chunked. Either way nothing is held in memory but the
    chunk being sent.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        length: int | None = None,
        *,
        field: str = "file",
        filename: str = "file",
        content_type: str = "application/octet-stream",
    ) -> None:
        boundary = f"nit-{secrets.token_hex(16)}"
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode("ascii")
        self._tail = f"\r\n--{boundary}--\r\n".encode("ascii")
        self._chunks = chunks
        self._length = None if length is None else len(self._head) + length + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        for chunk in self._chunks:
            if chunk:
                yield chunk
        yield self._tail

    def __len__(self) -> int:
        # 0 makes requests fall back to chunked transfer encoding.
        return self._length or 0


class HttpClient:
    """A requests session bound to one base URL, auth and timeout."""

    def __init__(
        self,
        base_url: str,
        label: str,
        auth: Auth | None = None,
        timeout: float = 60.0,
        *,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"nit/{__version__}"
        self.session.max_redirects = MAX_REDIRECTS
        self.session.hooks["response"].append(drop_redirect_body)
        if urlsplit(self.base_url).hostname in _LOOPBACK:
            # A local node must never be reached through an HTTP(S)_PROXY from the environment.
            self.session.trust_env = False
        self._auth = _HeaderAuth(auth.header() if auth is not None else None)

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retry: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """Send and return a 2xx/3xx response; raise a NetworkError subclass otherwise."""
        request = requests.Request(
            method,
            self.url(path),
            params=dict(params or {}),
            data=data,
            headers=dict(headers or {}),
        )
        return self.send(request, timeout=timeout, retry=retry, stream=stream)

    def send(
        self,
        request: requests.Request,
        *,
        timeout: float | None = None,
        retry: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """Send a built request with this client's auth, timeout and retry rules."""
        read_timeout = self.timeout if timeout is None else timeout
        attempts = self.attempts if retry else 1
        request.auth = self._auth
        for attempt in range(1, attempts + 1):
            try:
                prepared = self.session.prepare_request(request)
                response = self.session.send(
                    prepared,
                    timeout=(min(CONNECT_TIMEOUT, read_timeout), read_timeout),
                    stream=True,  # read below, bounded in size and time, unless streamed
                    allow_redirects=request.method == "GET",
                )
            except requests.exceptions.ConnectTimeout:
                error: NetworkError = RemoteUnreachable(
                    f"cannot reach {self.label}: connection timed out"
                )
            except requests.exceptions.Timeout:
                raise RemoteTimeout(
                    f"{self.label} did not answer within {read_timeout:g} s"
                ) from None
            except requests.exceptions.TooManyRedirects:
                raise NetworkError(
                    f"{self.label} sent too many redirects (more than {MAX_REDIRECTS})"
                ) from None
            except requests.exceptions.ConnectionError as exc:
                malformed = malformed_http(exc)
                if malformed:
                    raise NetworkError(
                        f"{self.label} sent a malformed HTTP reply ({malformed})"
                    ) from None
                error = RemoteUnreachable(f"cannot reach {self.label}: {_reason(exc)}")
            except requests.exceptions.RequestException as exc:
                raise NetworkError(
                    f"request to {self.label} failed: {type(exc).__name__}"
                ) from None
            else:
                if response.status_code < 400 and stream:
                    return response
                failed = response.status_code >= 400  # its page only shown, cut at 64 KiB
                # requests' own way to hold a body read in full (what stream=False does)
                response._content = read_bounded(
                    response,
                    64 * 1024 if failed else MAX_ANSWER_BYTES,
                    DEADLINE_FACTOR * read_timeout,
                    self.label,
                    "one answer",
                    cut=failed,
                )
                response._content_consumed = True
                if response.status_code < 400:
                    return response
                error = self._http_error(response)
                response.close()
            if attempt == attempts or not is_transient(error):
                raise error
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _http_error(self, response: requests.Response) -> RemoteHttpError:
        status = response.status_code
        detail = _detail(response)
        if status in (401, 403):
            return RemoteHttpError(
                f"{self.label} refused the request (HTTP {status}): {detail or 'not authorized'}",
                status,
                detail,
                hint="check its credentials: `nit remote add --auth`, or NIT_REMOTE_TOKEN",
            )
        return RemoteHttpError(
            f"{self.label} answered HTTP {status}" + (f": {detail}" if detail else ""),
            status,
            detail,
        )


class HttpAdapter:
    """What the IPFS adapters built on one `HttpClient` share: closing it, also as a
    context manager, so that the session's connections are released however the
    caller leaves."""

    http: HttpClient

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_limited(response: requests.Response, limit: int, label: str, timeout: float) -> bytes:
    """The whole body of a streamed response (a block): at most `limit` bytes, whole
    within DEADLINE_FACTOR × the read `timeout`."""
    return read_bounded(response, limit, DEADLINE_FACTOR * timeout, label, "one block")


def read_bounded(
    response: requests.Response,
    limit: int,
    deadline: float,
    label: str,
    what: str,
    *,
    cut: bool = False,
) -> bytes:
    """A streamed response's body, then closed: at most `limit` bytes (past it: an
    error, or with `cut` the first `limit` bytes), whole within `deadline` seconds.
    Reads what has arrived (read1), so a server sending a byte at a time is
    measured against the deadline byte by byte."""
    from urllib3.exceptions import HTTPError, ReadTimeoutError

    started = time.monotonic()
    buf = bytearray()
    try:
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            buf += chunk
            if len(buf) > limit:
                if cut:
                    return bytes(buf[:limit])
                raise NetworkError(f"{label} sent more than {limit >> 10} KiB for {what}")
            if time.monotonic() - started > deadline:
                raise RemoteTimeout(f"{label} did not finish its answer within {deadline:g} s")
    except ReadTimeoutError:
        raise RemoteTimeout(f"{label} stopped answering mid-way") from None
    except (HTTPError, OSError, requests.exceptions.RequestException) as exc:
        raise NetworkError(f"{label} broke off its answer: {type(exc).__name__}") from None
    finally:
        response.close()
    return bytes(buf)


def json_lines(response: requests.Response, label: str) -> list[Any]:
    """The JSON values of an answer (Kubo streams some answers as one JSON per line)."""
    values = []
    for line in response.text.splitlines():
        if not line.strip():
            continue
        try:
            values.append(json_input.loads(line))
        except ValueError:
            raise NetworkError(f"{label} gave an answer that is not JSON: {line[:80]!r}") from None
    return values


def _detail(response: requests.Response) -> str:
    """The server's own error message, on one short line."""
    text = ""
    with contextlib.suppress(Exception):
        text = response.text
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        message = json_input.loads(text).get("Message")
        if isinstance(message, str):
            text = message
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:199] + "…"


def _reason(exc: BaseException) -> str:
    """A short, credential-free reason for a connection failure."""
    text = str(exc)
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "unknown host"
    if "SSL" in text or "certificate" in text:
        return "TLS error"
    if "reset" in text.lower() or "aborted" in text.lower():
        return "connection reset"
    return "connection failed"
