"""Hostile or broken HTTP peers on loopback, for the robustness tests.

Each is a real server on a free port: a JSON-RPC front that forwards to a real
node (anvil) but answers chosen methods with a hostile body, and raw-socket
servers that misbehave below HTTP (headers without end, a body without end, a
byte every few seconds, a connection that is accepted and never answered).
Every server stops when its context exits; sockets are closed, threads are
daemons, so a test that fails does not hang the run.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.local_http import QuietHandler, serving

#: A reply nested far deeper than the C stack holds once py_ecc raised the
#: recursion limit to 100,000 (a segfault, before nit refused such JSON).
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def _methods(payload: Any) -> list[str]:
    calls = payload if isinstance(payload, list) else [payload]
    return [str(c.get("method")) for c in calls if isinstance(c, dict)]


@contextmanager
def rpc_front(node_url: str, hostile: Callable[[list[str]], bytes | None]) -> Iterator[str]:
    """A JSON-RPC front to `node_url`: a request (or batch) whose methods `hostile`
    answers with bytes gets those bytes as the reply; the rest is forwarded."""

    def forward(body: bytes) -> bytes:
        request = urllib.request.Request(node_url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            return bytes(reply.read())

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            data = hostile(_methods(json.loads(body)))
            if data is None:
                data = forward(body)
            self.reply(data)

    with serving(Handler) as url:
        yield url


@contextmanager
def raw_server(behave: Callable[..., None], *, with_request: bool = False) -> Iterator[str]:
    """`http://127.0.0.1:PORT`: every connection is handed to `behave(conn)` in a
    thread of its own (after the request's first bytes are read), then closed.
    With `with_request`, those bytes are passed too: `behave(conn, request)`."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                request = conn.recv(65536)
                if with_request:
                    behave(conn, request)
                else:
                    behave(conn)
            except OSError:
                pass  # the client gave up: what the test wants

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def endless_body(conn: socket.socket) -> None:
    """200 OK, no length, then bytes for as long as anyone reads (up to 320 MiB: past
    every cap of nit's, and bounded so that a regression cannot eat the machine)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
    chunk = b"0," * 32768
    for _ in range(5_120):
        conn.sendall(chunk)


def endless_headers(conn: socket.socket) -> None:
    """200 OK, then header lines that never end."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(100_000):
        conn.sendall(f"X-Filler-{number}: {'x' * 60}\r\n".encode())


def huge_header(conn: socket.socket) -> None:
    """200 OK, then one header line of 1 MiB."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Huge: " + b"x" * (1 << 20) + b"\r\n\r\n{}")


def html_reply(conn: socket.socket) -> None:
    """200 OK with an HTML page where JSON is expected (a captive portal, a proxy)."""
    page = b"<!doctype html><html><body><h1>Welcome to the hotel Wi-Fi</h1></body></html>"
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(page)).encode()
        + b"\r\n\r\n"
        + page
    )


def deep_json(conn: socket.socket) -> None:
    """200 OK with DEEP_JSON, as a JSON answer."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(DEEP_JSON)).encode()
        + b"\r\n\r\n"
        + DEEP_JSON
    )


def trickle(conn: socket.socket, *, every: float = 0.5, total: int = 10_000) -> None:
    """Slowloris: a valid-looking 200 reply, one byte per `every` seconds, never done."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    conn.sendall(head)
    for _ in range(total):
        conn.sendall(b" ")
        time.sleep(every)


def silent(conn: socket.socket) -> None:
    """Read the request, answer nothing, hold the connection for a minute."""
    time.sleep(60)


@contextmanager
def silent_listener() -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a socket that listens and never accepts: the
    connection completes in the kernel's backlog, no byte ever comes back."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def redirect_then(answer: bytes, *, hold: float = 30.0) -> Callable[..., None]:
    """For `raw_server(..., with_request=True)`: any request but one for `/next` gets
    a 302 to `/next` whose body has no length and never ends (1 KiB, then nothing
    for `hold` seconds, the connection kept open); `/next` gets `answer` (a whole
    HTTP reply). A client that reads a redirect's body to its end times out here."""

    def behave(conn: socket.socket, request: bytes) -> None:
        if request.split(b" ", 2)[1:2] == [b"/next"]:
            conn.sendall(answer)
            return
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\n" + b"x" * 1024)
        time.sleep(hold)

    return behave


def ok_reply(body: bytes, content_type: str = "application/octet-stream") -> bytes:
    """A whole 200 reply carrying `body`."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def counted(behave: Callable[..., None], seen: list[int]) -> Callable[..., None]:
    """`behave`, appending 1 to `seen` for every connection it is handed."""

    def wrapper(conn: socket.socket, *request: bytes) -> None:
        seen.append(1)
        behave(conn, *request)

    return wrapper


@contextmanager
def block_gateway(blocks: dict[str, bytes], asked: list[str]) -> Iterator[str]:
    """A trustless gateway on loopback: `GET /ipfs/<cid>?format=raw` answers the block
    of `blocks` (keyed by CID string) or 404; every CID asked is appended to `asked`.
    Its blocks are honest (they hash to their CIDs); what they link to need not be."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            cid = self.path.split("?")[0].removeprefix("/ipfs/")
            asked.append(cid)
            data = blocks.get(cid)
            if data is None:
                self.send_error(404)
                return
            self.reply(data, "application/vnd.ipld.raw")

    with serving(Handler) as url:
        yield url
