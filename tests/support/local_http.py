"""A real HTTP server for one test, on a free loopback port, and the reply its handlers write.

The fronts and fake gateways in tests/support (hostile, lagging, range-limited
nodes, a trustless gateway) differ only in what they answer; how they listen,
reply and stop is here once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing (the test's output stays the test's) and replies whole."""

    def reply(self, data: bytes, content_type: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], stop: threading.Event | None = None
) -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a threaded server running `handler`, stopped after.

    `stop` is set first when the test ends, for handlers that stream or hold a
    request open until told to end (so shutting down does not wait for them)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        if stop is not None:
            stop.set()
        server.shutdown()
        server.server_close()
