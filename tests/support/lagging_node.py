"""A JSON-RPC front to a real node (anvil) that is late the way a loaded node is.

Under heavy load anvil was seen to count a transaction's nonce as used seconds
before it served the transaction's receipt, and to answer `eth_getLogs` for a
block that its state (a register's `getCommits`) and receipts already name with
"BlockOutOfRangeError: block height is N-1 but requested was N". This front
makes both happen on purpose, for a chosen number of asks, so the code that must
tolerate them is tested deterministically:

- `late_receipts=K`: each transaction's receipt is answered `null` for the
  first K asks of it (everything else about the transaction is served as is);
- `late_head=K`: for the first K requests that touch the node's newest block,
  that block is not there yet: `eth_blockNumber` answers one less, and
  `eth_getLogs` / `eth_getBlockByNumber` / `eth_call` / `eth_getTransactionCount`
  asked for it (by number) answer as anvil does for a block it has not got
  (`BlockOutOfRangeError`, or `null` for a block).

Batches are split: the calls the front answers itself are answered, the rest are
forwarded to the node as one batch, and the replies are put back in order.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.local_http import QuietHandler, serving

#: What anvil answers for a block past its head (code and text as anvil 1.x sends them).
_OUT_OF_RANGE = -32602


@dataclass
class Lag:
    """What the front withholds, and what it withheld (for the tests' asserts)."""

    late_receipts: int = 0
    late_head: int = 0
    withheld_receipts: Counter[str] = field(default_factory=Counter)
    withheld_heads: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _post(url: str, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def _block_params(call: dict[str, Any]) -> list[int]:
    """The block numbers (not tags) a call asks for."""
    method, params = call.get("method"), call.get("params") or []
    values: list[Any] = []
    if method == "eth_getLogs" and params and isinstance(params[0], dict):
        values = [params[0].get("fromBlock"), params[0].get("toBlock")]
    elif method == "eth_getBlockByNumber" and params:
        values = [params[0]]
    elif method in ("eth_call", "eth_getTransactionCount", "eth_getBalance") and len(params) > 1:
        values = [params[1]]
    return [int(v, 16) for v in values if isinstance(v, str) and v.startswith("0x")]


class _Front:
    def __init__(self, node_url: str, lag: Lag) -> None:
        self.node_url = node_url
        self.lag = lag

    def answer(self, calls: list[dict[str, Any]]) -> list[Any]:
        head_asked = any(c.get("method") == "eth_blockNumber" or _block_params(c) for c in calls)
        head = None
        if self.lag.late_head and head_asked:
            real = _post(self.node_url, {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})
            head = int(real["result"], 16)
            with self.lag.lock:
                if self.lag.withheld_heads[head] < self.lag.late_head:
                    self.lag.withheld_heads[head] += 1
                else:
                    head = None  # served as it is
        replies: list[Any] = [None] * len(calls)
        forward: list[int] = []
        for position, call in enumerate(calls):
            own = self._own(call, head)
            if own is None:
                forward.append(position)
            else:
                replies[position] = own
        if forward:
            got = _post(self.node_url, [calls[p] for p in forward])
            by_id = {reply.get("id"): reply for reply in got}
            for position in forward:
                replies[position] = by_id[calls[position].get("id")]
        return replies

    def _own(self, call: dict[str, Any], head: int | None) -> dict[str, Any] | None:
        """The front's own reply to `call`, or None to forward it."""
        ident, method = call.get("id"), call.get("method")
        if method == "eth_getTransactionReceipt" and self.lag.late_receipts:
            tx_hash = str((call.get("params") or [""])[0]).lower()
            with self.lag.lock:
                if self.lag.withheld_receipts[tx_hash] < self.lag.late_receipts:
                    self.lag.withheld_receipts[tx_hash] += 1
                    return {"jsonrpc": "2.0", "id": ident, "result": None}
        if head is None:
            return None
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": ident, "result": hex(head - 1)}
        asked = [number for number in _block_params(call) if number >= head]
        if not asked:
            return None
        if method == "eth_getBlockByNumber":
            return {"jsonrpc": "2.0", "id": ident, "result": None}
        message = f"BlockOutOfRangeError: block height is {head - 1} but requested was {asked[0]}"
        return {"jsonrpc": "2.0", "id": ident, "error": {"code": _OUT_OF_RANGE, "message": message}}


@contextmanager
def lagging_front(node_url: str, lag: Lag) -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a front to `node_url` that is late as `lag` says."""
    front = _Front(node_url, lag)

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls = payload if isinstance(payload, list) else [payload]
            replies = front.answer(calls)
            data = json.dumps(replies if isinstance(payload, list) else replies[0]).encode()
            self.reply(data)

    with serving(Handler) as url:
        yield url
