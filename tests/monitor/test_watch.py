"""`nit monitor watch`: findings reported once, webhooks received by a real local
HTTP server (retried with backoff, owed ones kept for the next round), --exec,
and new files in a watched folder picked up between rounds."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Nit, ok
from tests.monitor.conftest import NEGATIVES, REGISTERED, reuse

from numbers_cli.errors import UsageError
from numbers_cli.ops.monitor.watch import parse_duration


class Receiver:
    """Collects webhook bodies; answers 500 to the first `failures` requests."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.failures = 0
        self.on_first: Any = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_error(500)
                    return
                receiver.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()
                if receiver.on_first is not None and len(receiver.bodies) == 1:
                    receiver.on_first()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    threading.Thread(target=r.server.serve_forever, daemon=True).start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def test_parse_duration() -> None:
    assert parse_duration("30s") == 30 and parse_duration("10m") == 600
    assert parse_duration("2h") == 7200 and parse_duration("1d") == 86400
    assert parse_duration("5") == 5
    for bad in ("0s", "soon", "-1m"):
        with pytest.raises(UsageError):
            parse_duration(bad)


def test_watch_notifies_each_finding_once(
    nit: Nit, workdir: Path, registered: dict[str, str], receiver: Receiver
) -> None:
    inbox = workdir / "inbox"
    inbox.mkdir()
    (inbox / "copy.jpg").write_bytes(reuse(REGISTERED[0], "crop5"))
    (inbox / "unrelated.jpg").write_bytes(reuse(NEGATIVES[0], "crop5"))
    log = workdir.parent / "exec.jsonl"
    command = f'{sys.executable} -c \'import sys; open(sys.argv[1], "a").write(sys.stdin.read() + "\\n")\' {log}'
    receiver.failures = 1  # the first POST fails: retried after a backoff
    # a file dropped into the folder while watch waits for its next round
    receiver.on_first = lambda: (inbox / "later.jpg").write_bytes(reuse(REGISTERED[1], "flip"))

    result = ok(
        nit(
            "monitor",
            "watch",
            "inbox",
            "--every",
            "3s",
            "--rounds",
            "2",
            "--webhook",
            receiver.url,
            "--exec",
            command,
            "--json",
        )
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    new = [(e["source"], e["nid"]) for e in events if e["event"] == "finding"]
    assert new == [
        ("inbox/copy.jpg", registered[REGISTERED[0]]),
        ("inbox/later.jpg", registered[REGISTERED[1]]),
    ]
    assert [(b["source"], b["nid"]) for b in receiver.bodies] == new
    assert receiver.attempts == 3  # one failure, then two deliveries
    assert [json.loads(line)["source"] for line in log.read_text().splitlines()] == [
        s for s, _ in new
    ]
    recorded = (workdir / ".numbers" / "monitor" / "findings.jsonl").read_text().splitlines()
    assert len(recorded) == 2

    # watching again: the same findings are never reported twice
    result = ok(
        nit(
            "monitor",
            "watch",
            "inbox",
            "--every",
            "1s",
            "--rounds",
            "1",
            "--webhook",
            receiver.url,
            "--json",
        )
    )
    assert [e for e in map(json.loads, result.stdout.splitlines()) if e["event"] == "finding"] == []
    assert len(receiver.bodies) == 2


def test_undelivered_webhooks_are_kept_for_the_next_round(
    nit: Nit, workdir: Path, registered: dict[str, str], receiver: Receiver
) -> None:
    (workdir / "copy.jpg").write_bytes(reuse(REGISTERED[2], "resize50"))
    receiver.failures = 100  # the receiver is down for this whole run
    result = ok(
        nit(
            "monitor",
            "watch",
            "copy.jpg",
            "--every",
            "1s",
            "--rounds",
            "1",
            "--webhook",
            receiver.url,
        )
    )
    assert "will retry" in result.stderr
    assert receiver.attempts == 4 and receiver.bodies == []  # 4 attempts with backoff
    outbox = workdir / ".numbers" / "monitor" / "outbox.jsonl"
    assert len(outbox.read_text().splitlines()) == 1
    receiver.failures = 0
    ok(
        nit(
            "monitor",
            "watch",
            "copy.jpg",
            "--every",
            "1s",
            "--rounds",
            "1",
            "--webhook",
            receiver.url,
        )
    )
    assert [b["nid"] for b in receiver.bodies] == [registered[REGISTERED[2]]]
    assert outbox.read_text() == ""
