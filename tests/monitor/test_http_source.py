"""Scanning the web: a real HTTP server on a free loopback port, started by the test.

It serves re-used photos as images and inside an HTML page (img, srcset,
og:image), and misbehaves in every way the issue lists: a redirect loop, a
URL that never answers, a 50 MB page, a missing image.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import Nit, ok
from tests.monitor.conftest import NEGATIVES, REGISTERED, reuse
from tests.support.local_http import QuietHandler, serving

from numbers_cli.monitor.sources.http import page_images

PAGE = """<!doctype html><html><head>
<meta property="og:image" content="/og.jpg">
<title>gallery</title></head><body>
<img src="img/plain.jpg" alt="">
<picture><source srcset="/small.jpg 320w, /big.jpg 1280w"><img src="img/plain.jpg"></picture>
<img src="/gone.jpg">
<img src="data:image/png;base64,AAAA">
</body></html>"""


class _Site(QuietHandler):
    files: ClassVar[dict[str, tuple[str, bytes]]] = {}
    stop: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop-b" if self.path == "/loop-a" else "/loop-a")
            self.end_headers()
        elif self.path == "/silent":
            self.stop.wait(30)  # accepts, never answers (bounded, so the server can stop)
        elif self.path == "/huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * (1 << 20) + b"</p>"
            try:
                for _ in range(50):  # 50 MB, streamed without a Content-Length
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path in self.files:
            kind, body = self.files[self.path]
            self.reply(body, kind)
        else:
            self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    files = {
        "/photo.jpg": ("image/jpeg", reuse(REGISTERED[0], "resize50")),
        "/gallery.html": ("text/html; charset=utf-8", PAGE.encode()),
        "/img/plain.jpg": ("image/jpeg", reuse(NEGATIVES[0], "jpeg30")),
        "/big.jpg": ("image/jpeg", reuse(REGISTERED[1], "crop5")),
        "/small.jpg": ("image/jpeg", b"never fetched: the larger candidate is"),
        "/og.jpg": ("image/jpeg", reuse(REGISTERED[2], "overlay")),
    }
    stop = threading.Event()
    handler = type("Site", (_Site,), {"files": files, "stop": stop})  # one per test
    with serving(handler, stop) as url:
        yield url


def test_page_images_reads_img_srcset_and_og_image() -> None:
    urls = page_images(PAGE, "http://h/dir/gallery.html")
    assert urls == [
        "http://h/og.jpg",
        "http://h/dir/img/plain.jpg",
        "http://h/big.jpg",
        "http://h/gone.jpg",
    ]


def test_scan_web_images_and_pages(
    nit: Nit, workdir: Path, registered: dict[str, str], site: str
) -> None:
    result = ok(
        nit(
            "monitor",
            "scan",
            f"{site}/photo.jpg",
            f"{site}/gallery.html",
            "--json",
            "--timeout",
            "2",
        )
    )
    doc = json.loads(result.stdout)
    found = {(f["source"], f["nid"], f["page"]) for f in doc["findings"]}
    assert found == {
        (f"{site}/photo.jpg", registered[REGISTERED[0]], None),
        (f"{site}/og.jpg", registered[REGISTERED[2]], f"{site}/gallery.html"),
        (f"{site}/big.jpg", registered[REGISTERED[1]], f"{site}/gallery.html"),
    }
    assert doc["scanned"] == 4  # photo, og, plain, big
    assert doc["errors"] == [{"source": f"{site}/gone.jpg", "error": "HTTP 404 Not Found"}]


def test_misbehaving_servers_are_errors_and_the_scan_goes_on(
    nit: Nit, workdir: Path, registered: dict[str, str], site: str
) -> None:
    result = ok(
        nit(
            "monitor",
            "scan",
            f"{site}/loop-a",
            f"{site}/silent",
            f"{site}/huge.html",
            f"{site}/photo.jpg",
            "http://127.0.0.1:9/refused.jpg",
            "--timeout",
            "1",
            "--json",
        )
    )
    doc = json.loads(result.stdout)
    errors = {e["source"]: e["error"] for e in doc["errors"]}
    assert "redirect loop" in errors[f"{site}/loop-a"]
    assert errors[f"{site}/silent"] == "no answer within 1 s"
    assert errors[f"{site}/huge.html"] == "larger than 5 MiB"
    assert errors["http://127.0.0.1:9/refused.jpg"] == "cannot connect"
    assert [f["source"] for f in doc["findings"]] == [f"{site}/photo.jpg"]
