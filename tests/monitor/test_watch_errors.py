"""`nit monitor watch` says an unreadable source's error once, not every round:
again only when the error changes, or after the source was read once without it.

The source is a real loopback web server whose answer changes with each request:
404, 404, 500, an image, 404, 404."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.conftest import Nit, ok
from tests.monitor.conftest import NEGATIVES, reuse

ANSWERS = [404, 404, 500, 200, 404, 404]


@pytest.fixture
def flaky_site() -> Iterator[str]:
    image = reuse(NEGATIVES[0], "jpeg30")
    asked = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = ANSWERS[min(asked[0], len(ANSWERS) - 1)]
            asked[0] += 1
            if status != 200:
                self.send_error(status)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/photo.jpg"
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreadable_source_is_reported_once_until_it_changes_or_recovers(
    nit: Nit, workdir: Path, registered: dict[str, str], flaky_site: str
) -> None:
    result = ok(
        nit(
            "monitor", "watch", flaky_site, "--every", "1s", "--rounds", str(len(ANSWERS)),
            "--timeout", "5", "--json",
        )
    )  # fmt: skip
    events = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [e["error"] for e in events if e["event"] == "error"]
    assert [e.split()[1] for e in errors] == ["404", "500", "404"], errors
    assert all(e["source"] == flaky_site for e in events if e["event"] == "error")
