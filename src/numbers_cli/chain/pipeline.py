"""The send pipeline of ChainClient: estimate, check funds, sign with
consecutive nonces, broadcast in batches, then await receipts and re-send a
stranded nonce with higher fees (chain.receipts). A mixin because it works on
the client's connection and settings (`_rpc`, `network`, `gas_headroom`,
`max_in_flight`, ...).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from numbers_cli.chain.network import Network
from numbers_cli.chain.receipts import ReceiptWaits
from numbers_cli.chain.rpc import JsonRpc, RpcError, quantity
from numbers_cli.chain.transactions import (
    OnJournal,
    OnMined,
    OnSent,
    Receipt,
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


class SendPipeline(ReceiptWaits):
    """Mixin for ChainClient; see the module docstring."""

    network: Network
    _rpc: JsonRpc
    gas_headroom: float
    max_in_flight: int

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
        sender) from dropping the tail of a large push. The next window is
        signed and journalled (`on_journal`, an fsync for a push) while the
        chain mines the current one, so that work costs no waiting; it is
        still journalled before it is broadcast.
        """
        if not calls:
            return []
        self._ensure_chain()
        estimates = self._estimate_gas(account.address, calls, what, explain)
        gas_limits = [math.ceil(gas * self.gas_headroom) for gas in estimates]
        fees = self._fees()
        self._require_funds(account.address, calls, estimates, gas_limits, fees, what)
        nonce_reply, head_reply = self._rpc.batch_strict(
            [("eth_getTransactionCount", [account.address, "pending"]), ("eth_blockNumber", [])]
        )
        first_nonce = quantity(nonce_reply, "transaction count")
        # Where the chain stood before our first window: the pace of the blocks that
        # follow is what tells a stuck chain from a slow one (chain.receipts).
        self._head_seen = (quantity(head_reply, "block number"), time.monotonic())

        def prepare(start: int) -> tuple[list[_InFlight], Callable[[], None] | None]:
            """Sign the window starting at `start`, and journal it; returns the
            flights and what to wait for before they may leave (see OnJournal)."""
            flights = [
                _InFlight(index, calls[index], gas_limits[index], first_nonce + index, fees, [])
                for index in range(start, min(start + self.max_in_flight, len(calls)))
            ]
            for flight in flights:
                self._sign(account, flight)
                if on_signed:
                    on_signed(flight.index, flight.tx_hash, flight.nonce)
            if not on_journal:
                return flights, None
            return flights, on_journal([flight.snapshot(account.address) for flight in flights])

        receipts: list[Receipt] = []
        starts = range(0, len(calls), self.max_in_flight)
        flights, stored = prepare(0)
        for start in starts:
            if stored is not None:
                stored()  # journalled before anything of the window leaves
            self._broadcast(account.address, flights, len(calls), what, on_sent)
            upcoming = start + self.max_in_flight
            following, stored = prepare(upcoming) if upcoming < len(calls) else ([], None)
            receipts += self._await_receipts(
                account, flights, len(calls), what, on_sent, on_mined, on_journal
            )
            flights = following
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

        The account's mined nonce is read before the receipts. A journalled
        transaction whose nonce is used but that has no receipt is either mined
        with its receipt not served yet, or dead (another transaction took the
        nonce); the node's own index of transactions tells which
        (`_late_receipts`). A dead one is reported as None, and its item may be
        sent anew. A reverted one is None too (it registered nothing). The rest
        are broadcast again exactly as signed (same nonce, so at most one
        version of each is ever mined) and awaited like any push.
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
        found = self._receipts_of(flights)
        stale = [f for f in flights if f.index not in found and f.nonce < mined_nonce]
        if stale:
            found.update(self._late_receipts(stale, what))
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

    def _receipts_of(self, flights: Sequence[_InFlight]) -> dict[int, Receipt]:
        """The receipt of each of `flights` the node has, by index, looked up by any hash."""
        calls = [("eth_getTransactionReceipt", [h]) for f in flights for h in f.hashes]
        owners = [f for f in flights for _ in f.hashes]
        found: dict[int, Receipt] = {}
        for flight, reply in zip(owners, self._rpc.batch(calls), strict=True):
            if isinstance(reply, RpcError):
                raise reply
            if reply:
                found[flight.index] = Receipt.from_rpc(reply)
        return found

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


def _harmless_resend(message: str) -> bool:
    """Errors that mean a re-sent transaction is already in the pool or already mined."""
    text = message.lower()
    return any(
        phrase in text
        for phrase in ("already known", "known transaction", "nonce too low", "already imported")
    )
