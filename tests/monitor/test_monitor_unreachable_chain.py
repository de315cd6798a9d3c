"""`nit monitor scan` against a chain node that does not answer: asked once per
network per run, every other asset's owner and licence then "cannot tell" at
once (not one timeout each), and one note that says which network and why.

The nodes are real loopback sockets: one listens and never accepts (the
connection waits in the kernel's backlog), one answers the session's opening
questions (chain id, contract code) and then reads every call and never answers
it, each such call counted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import Nit, ok
from tests.monitor.conftest import REGISTERED, reuse
from tests.support.hostile_node import silent_listener

from numbers_cli.config_writer import set_table_entry, set_value

TIMEOUT = 1.0


def use_network_at(url: str) -> None:
    """core.network = `dead`, at `url`, with market contracts configured."""
    set_table_entry(
        "user",
        "networks",
        "dead",
        {
            "rpc": url,
            "chain_id": 31337,
            "contract": "0x000000000000000000000000000000000000dEaD",
            "custody": "0x00000000000000000000000000000000000000c1",
            "licenses": "0x00000000000000000000000000000000000000c2",
        },
    )
    set_value("user", "core.network", "dead")


def scan(nit: Nit, workdir: Path) -> dict[str, Any]:
    folder = workdir / "scraped"
    folder.mkdir()
    for number, name in enumerate(REGISTERED):
        (folder / f"{number}.jpg").write_bytes(reuse(name, "crop80"))
    result = ok(nit("monitor", "scan", "scraped", "--json", "--timeout", str(TIMEOUT)))
    return json.loads(result.stdout)


@contextmanager
def node_that_hangs_on_calls() -> Iterator[tuple[str, list[str]]]:
    """Answers eth_chainId (31337) and eth_getCode (some code); reads any other call
    and never answers it. Yields the URL and the list of calls left hanging."""
    hung: list[str] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answers = {"eth_chainId": "0x7a69", "eth_getCode": "0x6080"}
            calls = payload if isinstance(payload, list) else [payload]
            if any(c["method"] not in answers for c in calls):
                hung.append(",".join(c["method"] for c in calls))
                stop.wait(30)
                return
            replies = [
                {"jsonrpc": "2.0", "id": c["id"], "result": answers[c["method"]]} for c in calls
            ]
            body = json.dumps(replies if isinstance(payload, list) else replies[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hung
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _check(doc: dict[str, Any], registered: dict[str, str]) -> str:
    assert {f["nid"] for f in doc["findings"]} == set(registered.values())
    assert all(f["network"] is None and f["licensed"] is None for f in doc["findings"])
    about = [n for n in doc["notes"] if "dead" in n]
    assert len(about) == 1, doc["notes"]
    return str(about[0])


def test_a_node_that_never_accepts_is_asked_once_with_one_note(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    with silent_listener() as url:
        use_network_at(url)
        doc = scan(nit, workdir)
    note = _check(doc, registered)
    assert note.startswith("network dead cannot be asked (") and "did not answer" in note


def test_a_node_that_stops_answering_is_not_asked_per_asset(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    with node_that_hangs_on_calls() as (url, hung):
        use_network_at(url)
        doc = scan(nit, workdir)
    assert len(hung) == 1, hung  # one call waited for its timeout; the rest were not asked
    note = _check(doc, registered)
    assert "did not answer within 1 s" in note


def test_watch_says_the_note_once_not_every_round(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    (workdir / "copy.jpg").write_bytes(reuse(REGISTERED[0], "crop80"))
    with silent_listener() as url:
        use_network_at(url)
        result = ok(
            nit(
                "monitor", "watch", "copy.jpg", "--every", "1s", "--rounds", "3",
                "--timeout", str(TIMEOUT), "--json",
            )
        )  # fmt: skip
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["nid"] for e in events if e["event"] == "finding"] == [registered[REGISTERED[0]]]
    notes = [e["note"] for e in events if e["event"] == "note"]
    assert len([n for n in notes if "network dead cannot be asked" in n]) == 1, notes
