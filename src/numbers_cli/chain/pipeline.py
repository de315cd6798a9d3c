"""The send pipeline of ChainClient: estimate, check funds, sign with
consecutive nonces, broadcast in batches, await receipts, re-send a stranded
nonce with higher fees. A mixin because it works on the client's connection
and settings (`_rpc`, `network`, `gas_headroom`, `max_in_flight`, ...).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

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
    _Fees,
    _InFlight,
    _Signer,
    format_amount,
)
from numbers_cli.errors import NetworkError, NitError

#: Turns a call's JSON-RPC error (a revert, usually) into the domain's error, or
#: None to keep the generic "would fail" message. Contract bindings provide one
#: that decodes their custom errors (e.g. chain.custody.explain).
Explain = Callable[[RpcError], NitError | None]


class SendPipeline:
    """Mixin for ChainClient; see the module docstring."""

    network: Network
    _rpc: JsonRpc
    gas_headroom: float
    max_in_flight: int
    receipt_timeout: float
    poll_interval: float
    resend_after: float
    idle_resend_after: float

    def _send_all(
        self,
        account: _Signer,
        calls: Sequence[dict[str, Any]],
        *,
        what: str,
        on_signed: OnSent | None = None,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
        on_journal: OnJournal | None = None,
        explain: Explain | None = None,
    ) -> list[Receipt]:
        """Estimate, check funds, then sign/send/await in windows of max_in_flight.

        Estimates and the funds check cover every call up front, so a push that
        cannot be paid for sends nothing. Windows keep the node's per-account
        pool limits (public nodes hold a few dozen pending transactions per
        sender) from dropping the tail of a large push.
        """
        if not calls:
            return []
        self._ensure_chain()
        estimates = self._estimate_gas(account.address, calls, what, explain)
        gas_limits = [math.ceil(gas * self.gas_headroom) for gas in estimates]
        fees = self._fees()
        self._require_funds(account.address, calls, estimates, gas_limits, fees, what)
        first_nonce = self._rpc.call_quantity(
            "eth_getTransactionCount", [account.address, "pending"]
        )
        receipts: list[Receipt] = []
        for start in range(0, len(calls), self.max_in_flight):
            flights = [
                _InFlight(index, calls[index], gas_limits[index], first_nonce + index, fees, [])
                for index in range(start, min(start + self.max_in_flight, len(calls)))
            ]
            for flight in flights:
                self._sign(account, flight)
                if on_signed:
                    on_signed(flight.index, flight.tx_hash, flight.nonce)
            if on_journal:
                on_journal([flight.snapshot(account.address) for flight in flights])
            self._broadcast(account.address, flights, len(calls), what, on_sent)
            receipts += self._await_receipts(
                account, flights, len(calls), what, on_sent, on_mined, on_journal
            )
        return receipts

    def _resume(
        self,
        account: _Signer,
        snapshots: Sequence[dict[str, Any]],
        *,
        what: str,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
        on_journal: OnJournal | None = None,
    ) -> list[Receipt | None]:
        """Finish transactions a crashed run journalled: each is mined once, or never.

        The account's mined nonce is read before the receipts, so a journalled
        transaction none of whose hashes has a receipt while its nonce is
        already used can never be mined (another transaction took the nonce):
        it is reported as None, and its item may be sent anew. A reverted one
        is None too (it registered nothing). The rest are broadcast again
        exactly as signed (same nonce, so at most one version of each is ever
        mined) and awaited like any push.
        """
        if not snapshots:
            return []
        self._ensure_chain()
        flights = [_InFlight.from_snapshot(snap, index) for index, snap in enumerate(snapshots)]
        for snap in snapshots:
            if str(snap.get("from", "")).lower() != account.address.lower():
                raise NetworkError(
                    f"an interrupted push was signed by {snap.get('from')}, not by "
                    f"{account.address}; push again with that wallet to finish it"
                )
        mined_nonce = self._rpc.call_quantity(
            "eth_getTransactionCount", [account.address, "latest"]
        )
        calls = [("eth_getTransactionReceipt", [h]) for f in flights for h in f.hashes]
        owners = [f for f in flights for _ in f.hashes]
        found: dict[int, Receipt] = {}
        for flight, reply in zip(owners, self._rpc.batch(calls), strict=True):
            if isinstance(reply, RpcError):
                raise reply
            if reply:
                found[flight.index] = Receipt.from_rpc(reply)
        results: list[Receipt | None] = [None] * len(flights)
        live: list[_InFlight] = []
        for flight in flights:
            receipt = found.get(flight.index)
            if receipt is not None and not receipt.succeeded:
                continue  # reverted: registered nothing
            if receipt is None and flight.nonce < mined_nonce:
                continue  # its nonce went to another transaction: it can never be mined
            live.append(flight)
        unmined = [flight for flight in live if flight.index not in found]
        if unmined:
            replies = self._rpc.batch([("eth_sendRawTransaction", [f.raw]) for f in unmined])
            for flight, reply in zip(unmined, replies, strict=True):
                if isinstance(reply, RpcError) and not _harmless_resend(reply.rpc_message):
                    raise NetworkError(
                        f"{self.network.name} refused to take back {what} "
                        f"{flight.tx_hash} (nonce {flight.nonce}): {reply.rpc_message}"
                    ) from None
        for start in range(0, len(live), self.max_in_flight):
            window = live[start : start + self.max_in_flight]
            mined = self._await_receipts(
                account, window, len(flights), what, on_sent, on_mined, on_journal, strict=False
            )
            for flight, receipt in zip(window, mined, strict=True):
                results[flight.index] = receipt if receipt and receipt.succeeded else None
        return results

    def _estimate_gas(
        self,
        sender: str,
        calls: Sequence[dict[str, Any]],
        what: str,
        explain: Explain | None = None,
    ) -> list[int]:
        """eth_estimateGas of every call, in batches.

        Estimating against the current state is safe for a pipeline of commits:
        a commit never gets cheaper to estimate than to run (the first commit of
        a Nid, which creates its storage, is the dearest). A call that would
        revert is reported through `explain` when it recognises the revert.
        """
        requests = []
        for call in calls:
            tx: dict[str, Any] = {"from": sender, "data": "0x" + call["data"].hex()}
            if call["to"] is not None:
                tx["to"] = call["to"]
            if call.get("value"):
                tx["value"] = hex(call["value"])
            requests.append(("eth_estimateGas", [tx]))
        estimates = []
        for index, reply in enumerate(self._rpc.batch(requests)):
            if isinstance(reply, RpcError):
                if "insufficient funds" in reply.rpc_message.lower():
                    raise self._funds_error(sender, None, what, len(calls)) from None
                explained = explain(reply) if explain else None
                if explained is not None:
                    raise explained from None
                subject = f"{what} {index + 1} of {len(calls)}" if len(calls) > 1 else what
                raise NetworkError(
                    f"{subject} would fail on {self.network.name}: {reply.rpc_message}"
                ) from None
            estimates.append(quantity(reply, "gas estimate"))
        return estimates

    def _fees(self) -> _Fees:
        """EIP-1559 fees where the chain has a base fee, a legacy gas price otherwise."""
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        base_fee = block.get("baseFeePerGas") if isinstance(block, dict) else None
        if base_fee is not None:
            base = quantity(base_fee, "base fee")
            try:
                tip = self._rpc.call_quantity("eth_maxPriorityFeePerGas")
            except RpcError:  # not every node has it; the gas price includes a tip
                tip = max(self._rpc.call_quantity("eth_gasPrice") - base, 0)
            cap = 2 * base + tip  # survives the base fee doubling while we wait
            return _Fees(
                fields={"maxFeePerGas": cap, "maxPriorityFeePerGas": tip},
                max_price=cap,
                expected_price=base + tip,
            )
        price = self._rpc.call_quantity("eth_gasPrice")
        return _Fees(fields={"gasPrice": price}, max_price=price, expected_price=price)

    def _funds_error(
        self, sender: str, cost: tuple[int, int, int] | None, what: str, count: int
    ) -> NetworkError:
        """The insufficient-funds message: balance, and (when known) the estimated cost."""
        currency = self.network.currency
        have = format_amount(self.balance(sender), currency)
        message = f"insufficient funds on {self.network.name}: {sender} has {have}"
        if cost is None:
            return NetworkError(f"{message}, not enough for {_count(count, what)}")
        expected, cap, gas = cost
        return NetworkError(
            f"{message}; {_count(count, what)} would cost an estimated "
            f"{format_amount(expected, currency)} ({gas} gas), up to "
            f"{format_amount(cap, currency)} at the fee cap"
        )

    def _require_funds(
        self,
        sender: str,
        calls: Sequence[dict[str, Any]],
        estimates: Sequence[int],
        gas_limits: Sequence[int],
        fees: _Fees,
        what: str,
    ) -> None:
        """The balance must cover every gas limit at the fee cap, as the node will demand."""
        value = sum(call.get("value", 0) for call in calls)
        cap = sum(gas_limits) * fees.max_price + value
        if self.balance(sender) < cap:
            gas = sum(estimates)
            expected = gas * fees.expected_price + value
            raise self._funds_error(sender, (expected, cap, gas), what, len(calls))

    def _sign(self, account: _Signer, flight: _InFlight) -> None:
        """Sign `flight` with its current fees; its new hash becomes the one to watch."""
        tx: dict[str, Any] = {
            "chainId": self.network.chain_id,
            "nonce": flight.nonce,
            "gas": flight.gas,
            "value": flight.call.get("value", 0),
            "data": flight.call["data"],
            **flight.fees.fields,
        }
        if flight.call["to"] is not None:
            tx["to"] = flight.call["to"]
        flight.raw, tx_hash = account.sign(tx)
        flight.hashes.append(tx_hash)

    def _broadcast(
        self,
        sender: str,
        flights: Sequence[_InFlight],
        total: int,
        what: str,
        on_sent: OnSent | None,
    ) -> None:
        """Send the flights' raw transactions in batches; raise on the first the node refused.

        Transactions the node accepted are reported through `on_sent` even when
        an earlier one was refused, so the caller's journal knows every
        transaction that may still be mined.
        """
        replies = self._rpc.batch([("eth_sendRawTransaction", [f.raw]) for f in flights])
        first_error: tuple[_InFlight, RpcError] | None = None
        for flight, reply in zip(flights, replies, strict=True):
            if isinstance(reply, RpcError):
                text = reply.rpc_message.lower()
                if "already known" not in text and "known transaction" not in text:
                    first_error = first_error or (flight, reply)
                    continue
            if on_sent:
                on_sent(flight.index, flight.tx_hash, flight.nonce)
        if first_error is None:
            return
        flight, error = first_error
        if "insufficient funds" in error.rpc_message.lower():
            raise self._funds_error(sender, None, what, total - flight.index) from None
        subject = f"{what} {flight.index + 1} of {total}" if total > 1 else what
        raise NetworkError(
            f"{self.network.name} rejected {subject} (nonce {flight.nonce}): {error.rpc_message}"
        ) from None

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
        """Poll receipts (one batch per round, with the head) until all are final.

        Final means `confirmations` blocks deep; a receipt is fetched again until
        then, so a transaction moved by a reorg is reported where it ended up.
        When nothing becomes final for `resend_after` seconds, the account's
        next transaction is re-sent with higher fees (see _unstick).
        """
        receipts: dict[int, Receipt] = {}
        failed: list[tuple[int, Receipt]] = []
        pending = list(flights)
        deadline = time.monotonic() + self.receipt_timeout
        last_progress = time.monotonic()
        head_at_progress: int | None = None
        depth = self.network.confirmations
        while pending:
            calls: list[tuple[str, list[Any]]] = [("eth_blockNumber", [])]
            owners: list[_InFlight] = []
            for flight in pending:
                calls += [("eth_getTransactionReceipt", [tx_hash]) for tx_hash in flight.hashes]
                owners += [flight] * len(flight.hashes)
            head_reply, *replies = self._rpc.batch(calls)
            if isinstance(head_reply, RpcError):
                raise head_reply
            head = quantity(head_reply, "block number")
            if head_at_progress is None:
                head_at_progress = head
            found: dict[int, Receipt] = {}
            for flight, reply in zip(owners, replies, strict=True):
                if not isinstance(reply, RpcError) and reply:  # else: not mined (or indexing)
                    found[flight.index] = Receipt.from_rpc(reply)
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
            idle = head == head_at_progress and stalled > self.idle_resend_after
            if stalled > self.resend_after or idle:
                self._unstick(account, pending, total, what, on_sent, on_journal)
                last_progress = now
            time.sleep(self.poll_interval)
        if failed and strict:
            index, receipt = failed[0]
            subject = f"{what} {index + 1} of {total}" if total > 1 else what
            more = f" ({len(failed)} failed in all)" if len(failed) > 1 else ""
            raise NetworkError(
                f"{subject} reverted on {self.network.name}: {receipt.tx_hash} "
                f"in block {receipt.block_number}{more}"
            )
        return [receipts[flight.index] for flight in flights]

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
            # The nonce is used, yet none of our hashes has a receipt: one last look.
            for tx_hash in lowest.hashes:
                if self._rpc.call("eth_getTransactionReceipt", [tx_hash]):
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
        if on_journal:
            on_journal([lowest.snapshot(account.address)])
        try:
            self._broadcast(account.address, [lowest], total, what, on_sent)
        except NetworkError:
            # Refused (say, as underpriced): the earlier hashes are still valid; keep waiting.
            lowest.hashes.pop()
            lowest.fees, lowest.raw = previous


def _harmless_resend(message: str) -> bool:
    """Errors that mean a re-sent transaction is already in the pool or already mined."""
    text = message.lower()
    return any(
        phrase in text
        for phrase in ("already known", "known transaction", "nonce too low", "already imported")
    )
