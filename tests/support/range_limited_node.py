"""A JSON-RPC front to a real node that refuses eth_getLogs over more than `limit`
blocks, as public nodes do (Infura, Alchemy, QuickNode: "query exceeds max block
range"). Everything else is forwarded to the node untouched.

Anvil has no such limit, so a log read that asks for the whole chain at once
passes against it and fails only against a real provider; this makes it fail here.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.local_http import QuietHandler, serving


def _block(value: Any, head: int) -> int:
    if value in (None, "latest", "pending", "safe", "finalized"):
        return head
    if value == "earliest":
        return 0
    return int(str(value), 16)


@contextmanager
def range_limited(node_url: str, limit: int) -> Iterator[str]:
    """The URL of a front to `node_url` refusing eth_getLogs wider than `limit` blocks;
    `refused` on the yielded URL's server counts refusals."""

    def forward(payload: Any) -> Any:
        request = urllib.request.Request(
            node_url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())

    def answer(call: dict[str, Any]) -> Any:
        if call.get("method") == "eth_getLogs":
            (query,) = call["params"]
            head = int(
                forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})["result"], 16
            )
            low, high = _block(query.get("fromBlock"), head), _block(query.get("toBlock"), head)
            if high - low + 1 > limit:
                return {
                    "jsonrpc": "2.0",
                    "id": call.get("id"),
                    "error": {"code": -32005, "message": f"query exceeds max block range {limit}"},
                }
        return forward(call)

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply = [answer(c) for c in body] if isinstance(body, list) else answer(body)
            data = json.dumps(reply).encode()
            self.reply(data)

    with serving(Handler) as url:
        yield url
