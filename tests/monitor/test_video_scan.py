"""`nit monitor index` and `scan` with videos, end to end, in-process: real clips
written in the test from the fixture photos (tests/support/video_clips.py),
real decoding, a real HTTP server on a loopback port for web videos."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import MEDIA, Nit, ok
from tests.monitor.conftest import NEGATIVES, REGISTERED
from tests.support.local_http import QuietHandler, serving
from tests.support.video_clips import frame_at, reencode, slideshow

#: Photos in no registered asset: the filler of the scanned videos.
FILLER = (MEDIA / "Pentax_K10D.jpg", MEDIA / "Sony_HDR-HC3.jpg")
#: The registered video: three photos that are not registered as stills, 3 s each.
CLIP_PHOTOS = tuple(MEDIA / name for name in NEGATIVES)


@pytest.fixture
def registered_video(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> tuple[dict[str, str], str]:
    """REGISTERED photos and clip.mp4 committed and indexed: (photo Nids, clip Nid)."""
    slideshow(workdir / "clip.mp4", CLIP_PHOTOS, seconds=3.0, fps=10)
    ok(nit("add", "clip.mp4", "--license", "cc-by-4.0"))
    ok(nit("commit", "-m", "register the clip"))
    doc = json.loads(ok(nit("monitor", "index", "--json")).stdout)
    clip = json.loads(ok(nit("hash", "clip.mp4", "--json")).stdout)[0]["nid"]
    assert doc["indexed"] == [clip] and doc["alreadyIndexed"] == len(REGISTERED)
    assert 3 <= doc["videoFrames"][clip] <= 9  # a frame a second, scene changes only
    assert doc["total"] == len(REGISTERED) + 1
    return registered, clip


def _by_source(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in doc["findings"]:
        out.setdefault(finding["source"], []).append(finding)
    return out


def test_video_reuses_are_found_both_ways_with_their_times(
    nit: Nit, workdir: Path, registered_video: tuple[dict[str, str], str]
) -> None:
    photos, clip = registered_video
    scraped = workdir / "scraped"
    scraped.mkdir()
    # a registered still shown from 2 s to 4 s of a news clip (MJPG, another size)
    slideshow(
        scraped / "news.avi",
        (FILLER[0], MEDIA / REGISTERED[0], FILLER[1]),
        seconds=2.0,
        size=(480, 360),
        fourcc="MJPG",
    )
    # the registered clip re-encoded: VP9, smaller, 8% cropped off each side, from 3 s on
    source = workdir / "clip.mp4"
    reencode(source, scraped / "copy.webm", "VP90", size=(400, 225), crop=0.08, start=3.0)
    # a registered clip's frame (4.5 s: the second photo) posted as a still
    from PIL import Image

    Image.fromarray(frame_at(source, 4.5)).save(scraped / "still.jpg", quality=80)
    # nothing registered in it
    slideshow(scraped / "other.mkv", FILLER, seconds=2.0, fourcc="FFV1")

    doc = json.loads(ok(nit("monitor", "scan", "scraped", "--json")).stdout)
    assert doc["schemaVersion"] == 1 and doc["errors"] == []
    assert doc["scanned"] == 4 and doc["videos"] == 3
    assert doc["videoFrames"] == 6 + 6 + 4  # news 6 s, copy 6 s, other 4 s: one a second
    found = _by_source(doc)
    assert set(found) == {"scraped/news.avi", "scraped/copy.webm", "scraped/still.jpg"}

    [news] = found["scraped/news.avi"]
    assert news["nid"] == photos[REGISTERED[0]] and news["name"] == REGISTERED[0]
    assert news["media"] == "video" and news["registeredMedia"] == "image"
    assert news["registeredTime"] is None and 2.0 <= news["time"] < 4.0
    assert [f["time"] for f in news["frames"]] == [2.0, 3.0]
    assert news["license"] == "CC-BY-4.0" and news["score"] >= 0.5

    [copy] = found["scraped/copy.webm"]
    assert copy["nid"] == clip and copy["name"] == "clip.mp4"
    assert copy["media"] == "video" and copy["registeredMedia"] == "video"
    assert "crop" in copy["transform"] and "resize" in copy["transform"]
    assert "trim" in copy["transform"]  # starts 3 s into the registered clip
    times = [f["time"] for f in copy["frames"]]
    assert times == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # every frame of the copy matched
    for frame in copy["frames"]:  # each at the registered clip's same photo (3 s a photo)
        assert frame["registeredTime"] // 3 == (frame["time"] + 3.0) // 3

    [still] = found["scraped/still.jpg"]
    assert still["nid"] == clip and still["media"] == "image" and still["time"] is None
    assert still["registeredMedia"] == "video" and 3.0 <= still["registeredTime"] < 6.0
    assert still["frames"] == []

    text = ok(nit("monitor", "scan", "scraped")).stdout
    assert "scraped/news.avi at 0:02–0:03: " + REGISTERED[0] in text
    assert "4 files scanned (3 videos, 16 frames), 3 findings" in text
    assert not any(p.name.startswith("spool-") for p in (workdir / ".numbers/monitor").iterdir())


def test_bad_videos_go_under_errors_and_the_scan_goes_on(
    nit: Nit, workdir: Path, registered_video: tuple[dict[str, str], str]
) -> None:
    import cv2
    import numpy as np

    photos, _ = registered_video
    bad = workdir / "bad"
    bad.mkdir()
    news = slideshow(
        workdir / "news.webm", (MEDIA / REGISTERED[0], FILLER[0]), seconds=2.0, fourcc="VP90"
    )
    (bad / "cut.webm").write_bytes(news.read_bytes()[: news.stat().st_size // 2])
    (bad / "empty.mp4").write_bytes(b"")
    whole = slideshow(workdir / "whole.mp4", FILLER, seconds=1.0)
    (bad / "headless.mp4").write_bytes(whole.read_bytes()[:20000])
    writer = cv2.VideoWriter(str(bad / "wide.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 1, (8200, 64))
    writer.write(np.zeros((64, 8200, 3), np.uint8))
    writer.release()
    (bad / "fine.jpg").write_bytes((MEDIA / REGISTERED[1]).read_bytes())

    doc = json.loads(ok(nit("monitor", "scan", "bad", "bad/empty.mp4", "--json")).stdout)
    errors = {e["source"]: e["error"] for e in doc["errors"]}
    assert "truncated or corrupt video" in errors["bad/cut.webm"]
    assert "empty file" in errors["bad/empty.mp4"]
    assert "truncated or corrupt video" in errors["bad/headless.mp4"]
    assert "longer than 8,192 px" in errors["bad/wide.avi"]
    assert all("\n" not in e for e in errors.values())
    # the truncated video's first seconds still count, and so does the good photo
    found = {(f["source"], f["nid"]) for f in doc["findings"]}
    assert found == {
        ("bad/cut.webm", photos[REGISTERED[0]]),
        ("bad/fine.jpg", photos[REGISTERED[1]]),
    }


class _Videos(QuietHandler):
    files: ClassVar[dict[str, tuple[str, bytes]]] = {}
    stop: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/live.mp4":  # a live stream: video bytes that never end
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            head = self.files["/clip.webm"][1]
            try:
                self.wfile.write(head)
                while not self.stop.is_set():
                    self.wfile.write(b"\0" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path in self.files:
            kind, body = self.files[self.path]
            self.reply(body, kind)
        else:
            self.send_error(404)


@pytest.fixture
def video_site(workdir: Path) -> Iterator[str]:
    clip = slideshow(
        workdir / "web.webm", (FILLER[0], MEDIA / REGISTERED[2]), seconds=2.0, fourcc="VP90"
    )
    page = b'<html><body><video controls><source src="/clip.webm" type="video/webm"></video>'
    page += b'<audio><source src="/sound.ogg"></audio></body></html>'
    files = {
        "/clip.webm": ("application/octet-stream", clip.read_bytes()),  # sniffed, not typed
        "/watch.html": ("text/html", page),
    }
    stop = threading.Event()
    handler = type("Videos", (_Videos,), {"files": files, "stop": stop})
    with serving(handler, stop) as url:
        yield url


def test_web_videos_are_read_and_an_endless_stream_is_cut_off(
    nit: Nit,
    workdir: Path,
    registered: dict[str, str],
    video_site: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numbers_cli.monitor.sources import spool

    monkeypatch.setattr(spool, "MAX_VIDEO_BYTES", 4 * 2**20)
    doc = json.loads(
        ok(
            nit(
                "monitor",
                "scan",
                f"{video_site}/clip.webm",
                f"{video_site}/watch.html",
                f"{video_site}/live.mp4",
                "--json",
            )
        ).stdout
    )
    errors = {e["source"]: e["error"] for e in doc["errors"]}
    assert errors == {f"{video_site}/live.mp4": "video larger than 4 MiB"}
    found = {(f["source"], f["page"]): f for f in doc["findings"]}
    assert set(found) == {
        (f"{video_site}/clip.webm", None),
        (f"{video_site}/clip.webm", f"{video_site}/watch.html"),
    }
    for finding in found.values():
        assert finding["nid"] == registered[REGISTERED[2]]
        assert [f["time"] for f in finding["frames"]] == [2.0, 3.0]
    assert not any(p.name.startswith("spool-") for p in (workdir / ".numbers/monitor").iterdir())
