"""Waiting for a push's receipts, block by block, and unsticking a stranded nonce.

Part of ChainClient's send pipeline (chain.pipeline), as a mixin of its own:
receipts are asked for right away, then once per new block, while only the
block number is polled between blocks; a transaction that stops making
progress is re-sent under its nonce with higher fees.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.network import Network
from numbers_cli.chain.rpc import JsonRpc, RpcError, quantity
from numbers_cli.chain.transactions import (
    _MAX_BUMPS,
    OnJournal,
    OnMined,
    OnSent,
    Receipt,
    _bumped,
    _count,
    _InFlight,
    _Signer,
    journalled,
)
from numbers_cli.errors import NetworkError

#: First pause while waiting for a block; it doubles up to `poll_interval`.
_FIRST_WAIT = 0.01
#: Receipts are asked for again after this long even without a new block
#: (a node may index a block's receipts a moment after announcing it).
_REFETCH_AFTER = 1.0
#: A chain with our transactions waiting is taken as stuck after this many of
#: its block intervals (as seen while waiting) without a block, never sooner
#: than _MIN_IDLE, never later than `idle_resend_after`.
_IDLE_BLOCKS = 3
_MIN_IDLE = 0.5


class ReceiptWaits:
    """Mixin of SendPipeline (and so of ChainClient); see the module docstring."""

    network: Network
    _rpc: JsonRpc
    receipt_timeout: float
    poll_interval: float
    resend_after: float
    idle_resend_after: float
    #: Seconds between blocks, as the last wait for receipts saw them (None: not seen yet).
    _block_interval: float | None = None
    #: The last head seen and when (the pace of the next wait counts from there).
    _head_seen: tuple[int, float] | None = None

    if TYPE_CHECKING:  # provided by SendPipeline

        def _sign(self, account: _Signer, flight: _InFlight) -> None: ...

        def _broadcast(
            self,
            sender: str,
            flights: Sequence[_InFlight],
            total: int,
            what: str,
            on_sent: OnSent | None,
        ) -> None: ...

    def _await_receipts(
        self,
        account: _Signer,
        flights: Sequence[_InFlight],
        total: int,
        what: str,
        on_sent: OnSent | None,
        on_mined: OnMined | None,
        on_journal: OnJournal | None = None,
        *,
        strict: bool = True,
    ) -> list[Receipt]:
        """Wait for the flights' receipts block by block, until all are final.

        Receipts are asked for (one batch, with the head) right away, then each
        time the chain has a new block: between blocks only `eth_blockNumber`
        is polled, at intervals that start at 10 ms and double up to
        `poll_interval` while no block comes. So a chain that mines at once
        (anvil) is followed within milliseconds, and a slow one costs a few
        small calls per block, not a batch of receipt queries per tick.
        Final means `confirmations` blocks deep; a receipt is fetched again
        until then, so a transaction moved by a reorg is reported where it
        ended up. When nothing becomes final for `resend_after` seconds, the
        account's next transaction is re-sent with higher fees (see _unstick).
        """
        receipts: dict[int, Receipt] = {}
        failed: list[tuple[int, Receipt]] = []
        pending = list(flights)
        started = time.monotonic()
        deadline = started + self.receipt_timeout
        last_progress = started
        head_at_progress: int | None = None
        fetched_head: int | None = None
        fetched_at = started
        wait = _FIRST_WAIT
        depth = self.network.confirmations
        head = -1
        blocks = _BlockPace()
        if self._head_seen is not None:
            blocks.saw(*self._head_seen)
        while pending:
            if (
                fetched_head is None
                or head != fetched_head
                or (time.monotonic() - fetched_at >= _REFETCH_AFTER)
            ):
                head, found = self._fetch_receipts(pending)
                fetched_head, fetched_at = head, time.monotonic()
                blocks.saw(head, fetched_at)
                if head_at_progress is None:
                    head_at_progress = head
                still: list[_InFlight] = []
                for flight in pending:
                    receipt = found.get(flight.index)
                    if receipt is None or head - receipt.block_number + 1 < depth:
                        still.append(flight)
                        continue
                    receipts[flight.index] = receipt
                    last_progress = time.monotonic()
                    head_at_progress = head
                    if not receipt.succeeded:
                        failed.append((flight.index, receipt))
                    elif on_mined:
                        on_mined(flight.index, receipt)
                if len(still) < len(pending):
                    wait = _FIRST_WAIT
                pending = still
                if not pending:
                    break
            now = time.monotonic()
            if now > deadline:
                raise NetworkError(
                    f"{_count(len(pending), what)} not final on {self.network.name} after "
                    f"{self.receipt_timeout:g} s (first: {pending[0].tx_hash}); "
                    "they may still be mined"
                )
            stalled = now - last_progress
            # An idle chain (no block since our last receipt) with our transactions
            # waiting is not slow but stuck: chains that make blocks on demand
            # (anvil's automine, Avalanche) mine a transaction they hold at once.
            idle_after = min(self.idle_resend_after, blocks.idle_after(self._block_interval))
            idle = head == head_at_progress and stalled > idle_after
            if stalled > self.resend_after or idle:
                self._unstick(account, pending, total, what, on_sent, on_journal)
                last_progress = now
                fetched_head = None  # a re-sent transaction may be mined at once
                continue
            time.sleep(wait)
            wait = min(wait * 2, max(self.poll_interval, _FIRST_WAIT))
            head = self._rpc.call_quantity("eth_blockNumber")
            blocks.saw(head, time.monotonic())
        if blocks.interval is not None:
            self._block_interval = blocks.interval
        self._head_seen = blocks.latest
        if failed and strict:
            index, receipt = failed[0]
            subject = f"{what} {index + 1} of {total}" if total > 1 else what
            more = f" ({len(failed)} failed in all)" if len(failed) > 1 else ""
            raise NetworkError(
                f"{subject} reverted on {self.network.name}: {receipt.tx_hash} "
                f"in block {receipt.block_number}{more}"
            )
        return [receipts[flight.index] for flight in flights]

    def _fetch_receipts(self, pending: Sequence[_InFlight]) -> tuple[int, dict[int, Receipt]]:
        """The head and the receipts found for any hash of the pending flights, in one batch."""
        calls: list[tuple[str, list[Any]]] = [("eth_blockNumber", [])]
        owners: list[_InFlight] = []
        for flight in pending:
            calls += [("eth_getTransactionReceipt", [tx_hash]) for tx_hash in flight.hashes]
            owners += [flight] * len(flight.hashes)
        head_reply, *replies = self._rpc.batch(calls)
        if isinstance(head_reply, RpcError):
            raise head_reply
        found: dict[int, Receipt] = {}
        for flight, reply in zip(owners, replies, strict=True):
            if not isinstance(reply, RpcError) and reply:  # else: not mined (or indexing)
                found[flight.index] = Receipt.from_rpc(reply)
        return quantity(head_reply, "block number"), found

    def _known(self, flights: Sequence[_InFlight]) -> set[int]:
        """Indices of the flights one of whose hashes the node knows (mined or in its pool)."""
        calls = [("eth_getTransactionByHash", [h]) for f in flights for h in f.hashes]
        owners = [f for f in flights for _ in f.hashes]
        known: set[int] = set()
        for flight, reply in zip(owners, self._rpc.batch(calls), strict=True):
            if isinstance(reply, RpcError):
                raise reply
            if reply:
                known.add(flight.index)
        return known

    def _late_receipts(self, flights: Sequence[_InFlight], what: str) -> dict[int, Receipt]:
        """Receipts of transactions whose nonce the node counts as used but that it
        served no receipt of, by index; a dead one (its nonce taken) is left out.

        A node can count a nonce as used before it serves the receipt of the
        transaction that used it: anvil updates the account's state, then stores
        the block, and under load the gap lasted seconds (a killed purchase's
        retry took it as never mined). So the node is asked whether it knows
        any of the transaction's hashes (`eth_getTransactionByHash` covers the
        chain and the pool): one it knows is mined, its receipt only late, and
        is waited for, bounded by `receipt_timeout`; one it knows none of lost
        its nonce to another transaction and can never be mined. The hashes are
        asked for before the receipts, so a transaction that was in the pool
        and got mined in between is still counted as known.
        """
        found: dict[int, Receipt] = {}
        deadline = time.monotonic() + self.receipt_timeout
        wait = _FIRST_WAIT
        waiting = list(flights)
        while True:
            known = self._known(waiting)
            replies = self._fetch_receipts(waiting)[1]
            found.update(replies)
            waiting = [f for f in waiting if f.index not in found and f.index in known]
            if not waiting:
                return found
            if time.monotonic() > deadline:
                late = waiting[0]
                raise NetworkError(
                    f"{self.network.name} counts the nonce {late.nonce} of {what} "
                    f"{late.tx_hash} as used and knows the transaction, but served no "
                    f"receipt of it in {self.receipt_timeout:g} s; run again later "
                    "(nothing was sent again)"
                )
            time.sleep(wait)
            wait = min(wait * 2, max(self.poll_interval, _FIRST_WAIT))

    def _unstick(
        self,
        account: _Signer,
        pending: Sequence[_InFlight],
        total: int,
        what: str,
        on_sent: OnSent | None,
        on_journal: OnJournal | None = None,
    ) -> None:
        """Re-send the account's next transaction with higher fees, if it is one of ours.

        A transaction can wait forever: fees below a risen base fee on a real
        chain, or anvil's pool leaving a transaction that arrived while the
        previous one was being mined in its queue. Replacing the lowest
        waiting nonce (same call, +25% fees, a new hash reported through
        `on_sent`) unblocks the ones after it in both cases.
        """
        next_nonce = self._rpc.call_quantity("eth_getTransactionCount", [account.address, "latest"])
        lowest = min(pending, key=lambda flight: flight.nonce)
        if lowest.nonce > next_nonce:
            return  # an older transaction of this account, not ours, holds the queue
        if lowest.nonce < next_nonce:
            # The nonce is used, yet none of our hashes had a receipt. A node that knows
            # one of them mined it and serves its receipt late (see _late_receipts):
            # keep waiting, bounded by receipt_timeout.
            if self._known([lowest]):
                return
            subject = f"{what} {lowest.index + 1} of {total}" if total > 1 else what
            raise NetworkError(
                f"{subject} (nonce {lowest.nonce}) was replaced by another transaction "
                f"from {account.address} on {self.network.name}"
            )
        if lowest.bumps >= _MAX_BUMPS:
            return
        previous = (lowest.fees, lowest.raw)
        lowest.fees = _bumped(lowest.fees)
        lowest.bumps += 1
        self._sign(account, lowest)
        journalled(on_journal, [lowest.snapshot(account.address)])
        try:
            self._broadcast(account.address, [lowest], total, what, on_sent)
        except NetworkError:
            # Refused (say, as underpriced): the earlier hashes are still valid; keep waiting.
            lowest.hashes.pop()
            lowest.fees, lowest.raw = previous


class _BlockPace:
    """How fast the chain makes blocks while we wait: for telling a chain that is
    between blocks from one that holds our transaction and makes none.

    Chains that make blocks on demand (anvil's automine) mine a window within
    milliseconds, and one that stops with our transaction in its pool is stuck
    (anvil can leave a transaction that arrived while it was mining queued);
    waiting a fixed 3 s there cost most pushes of a thousand commits a stall.
    On a chain with a 2 s block time the same rule waits 6 s.
    """

    def __init__(self) -> None:
        self._first: tuple[int, float] | None = None
        self._last: tuple[int, float] | None = None
        #: The last (head, time) seen, new block or not.
        self.latest: tuple[int, float] | None = None

    def saw(self, head: int, at: float) -> None:
        if self._first is None:
            self._first = (head, at)
        if self._last is None or head > self._last[0]:
            self._last = (head, at)
        self.latest = (head, at)

    @property
    def interval(self) -> float | None:
        """Mean seconds per block from the first head seen to the last new one."""
        if self._first is None or self._last is None or self._last[0] <= self._first[0]:
            return None
        return (self._last[1] - self._first[1]) / (self._last[0] - self._first[0])

    def idle_after(self, earlier: float | None) -> float:
        """Seconds without a block after which the chain counts as idle (inf: unknown)."""
        interval = self.interval if self.interval is not None else earlier
        if interval is None:
            return math.inf
        return max(_MIN_IDLE, _IDLE_BLOCKS * interval)
