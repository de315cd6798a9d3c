"""Calls to any contract through ChainClient: reads (eth_call), transactions,
their cost, deployments and the logs of a receipt.

The IntegrityRegister has its own methods on the client; the market contracts
(chain.custody, chain.licenses) build calldata in their binding modules and
send it here. Sending still goes through the one pipeline (`_send_all`: gas
estimates, the funds check, signing, receipts); this mixin only gives it a
contract-agnostic face and decodes reverts with the binding's `explain`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.pipeline import Explain, SendPipeline
from numbers_cli.chain.rpc import RpcError, hex_bytes
from numbers_cli.chain.transactions import (
    OnJournal,
    PrivateKey,
    Receipt,
    _account,
    _checksum,
    format_amount,
)
from numbers_cli.errors import NetworkError

__all__ = ["Call", "ContractCalls", "CostEstimate"]

#: One transaction to send: {"to": address or None (deploy), "data": bytes, ["value": wei]}.
Call = dict[str, Any]


@dataclass(frozen=True)
class CostEstimate:
    """What sending some calls would cost, as a dry run reports it."""

    sender: str
    gas: list[int]  # eth_estimateGas per call
    expected_wei: int  # gas at the next block's likely price, plus values sent
    max_wei: int  # gas limits at the fee cap, plus values: what the balance must cover
    value_wei: int
    balance_wei: int

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "from": self.sender,
            "gas": self.gas,
            "valueWei": str(self.value_wei),
            "expectedCostWei": str(self.expected_wei),
            "maxCostWei": str(self.max_wei),
            "expectedCost": format_amount(self.expected_wei, currency),
            "balanceWei": str(self.balance_wei),
        }


class ContractCalls(SendPipeline):
    """Mixin for ChainClient; see the module docstring."""

    if TYPE_CHECKING:  # provided by HistoryReads

        def _caught_up(self, block: int) -> bool: ...

    def call_contract(
        self, address: str, data: bytes, *, what: str, explain: Explain | None = None
    ) -> bytes:
        """eth_call of `data` on `address` at the latest block; the returned bytes.

        A revert is turned into the binding's error by `explain` when it knows
        it, else a NetworkError naming `what`.
        """
        self._ensure_chain()
        try:
            result = self._rpc.call(
                "eth_call", [{"to": _checksum(address), "data": "0x" + data.hex()}, "latest"]
            )
        except RpcError as exc:
            explained = explain(exc) if explain else None
            if explained is not None:
                raise explained from None
            raise NetworkError(f"{what} failed on {self.network.name}: {exc.rpc_message}") from None
        return hex_bytes(result, f"{what} result")

    def has_code(self, address: str) -> bool:
        """Whether a contract is deployed at `address`."""
        code = self._rpc.call("eth_getCode", [_checksum(address), "latest"])
        return isinstance(code, str) and code not in ("0x", "0x0", "")

    def sent_count(self, address: str) -> int:
        """How many transactions `address` has sent (its nonce at the latest block)."""
        return self._rpc.call_quantity("eth_getTransactionCount", [_checksum(address), "latest"])

    def send_calls(
        self,
        calls: Sequence[Call],
        key: PrivateKey,
        *,
        what: str,
        explain: Explain | None = None,
        on_journal: OnJournal | None = None,
    ) -> list[Receipt]:
        """Send `calls` as transactions, in order, through the pipeline; their receipts.

        Nothing is sent when any call would revert (its gas estimate fails:
        `explain` says why) or the account cannot pay for all of them.
        `on_journal` gets each signed transaction's snapshot before it is
        broadcast (and again when it is re-sent with higher fees), for a
        journal that `resume_calls` can finish after a crash.
        """
        return self._send_all(
            _account(key), list(calls), what=what, explain=explain, on_journal=on_journal
        )

    def resume_calls(
        self,
        snapshots: Sequence[dict[str, Any]],
        key: PrivateKey,
        *,
        what: str,
        on_journal: OnJournal | None = None,
    ) -> list[Receipt | None]:
        """Finish transactions `send_calls` journalled before a crash, sending none twice.

        One result per snapshot: its Receipt once mined, or None when it never
        will be (its nonce went to another transaction) or it reverted. A
        transaction not mined yet is broadcast again exactly as signed (the
        pipeline's `_resume`).
        """
        self._ensure_chain()
        return self._resume(_account(key), snapshots, what=what, on_journal=on_journal)

    def estimate_calls(
        self,
        calls: Sequence[Call],
        sender: str,
        *,
        what: str,
        explain: Explain | None = None,
    ) -> CostEstimate:
        """The checks of `send_calls` without signing: reverts, gas, cost, funds.

        Raises what sending would raise before anything left (a revert through
        `explain`, insufficient funds with the cost), so a dry run fails where
        the real run would.
        """
        self._ensure_chain()
        sender = _checksum(sender)
        estimates = self._estimate_gas(sender, list(calls), what, explain)
        limits = [math.ceil(gas * self.gas_headroom) for gas in estimates]
        fees = self._fees()
        self._require_funds(sender, list(calls), estimates, limits, fees, what)
        value = sum(int(call.get("value", 0)) for call in calls)
        return CostEstimate(
            sender=sender,
            gas=estimates,
            expected_wei=sum(estimates) * fees.expected_price + value,
            max_wei=sum(limits) * fees.max_price + value,
            value_wei=value,
            balance_wei=self.balance(sender),
        )

    def deploy_contract(
        self, creation_code: bytes, key: PrivateKey, *, what: str = "deployment"
    ) -> Receipt:
        """Deploy a contract (creation code with its encoded constructor arguments)."""
        (created,) = self.send_calls([{"to": None, "data": creation_code}], key, what=what)
        if created.contract_address is None:
            raise NetworkError(f"{what} {created.tx_hash} created no contract")
        return created

    def transaction_logs(self, tx_hash: str) -> list[dict[str, Any]]:
        """The event logs of a mined transaction, as the node returns them."""
        data = self._rpc.call("eth_getTransactionReceipt", [tx_hash])
        if not isinstance(data, dict) or not isinstance(data.get("logs"), list):
            raise NetworkError(f"RPC node has no receipt with logs for {tx_hash}")
        return [log for log in data["logs"] if isinstance(log, dict)]

    def contract_logs(
        self, address: str, topics: Sequence[str | None], from_block: int, *, what: str
    ) -> list[dict[str, Any]]:
        """eth_getLogs of the contract at `address` matching `topics` (None: any), from
        `from_block` to the latest block, as the node returns them (removed ones dropped).

        How a market action is found from the chain alone (its event, hence its
        transaction) when no journal of it is left (ops.market.chain_records).
        Read `log_chunk` blocks at a time up to the head as it was when the read
        began, as every other log read here is: public nodes refuse a wider range."""
        self._ensure_chain()
        head = self.block_number()
        if from_block > head and self._caught_up(from_block):
            head = self.block_number()  # the state named a block the head did not reach yet
        found: list[dict[str, Any]] = []
        for low in range(from_block, head + 1, self.log_chunk):
            query = {
                "address": _checksum(address),
                "fromBlock": hex(low),
                "toBlock": hex(min(low + self.log_chunk - 1, head)),
                "topics": list(topics),
            }
            try:
                logs = self._rpc.call("eth_getLogs", [query])
            except RpcError as exc:
                raise NetworkError(
                    f"eth_getLogs for {what} failed on {self.network.name}: {exc.rpc_message}"
                ) from None
            if not isinstance(logs, list):
                raise NetworkError(f"RPC node sent a malformed eth_getLogs result: {logs!r:.80}")
            found += [log for log in logs if isinstance(log, dict) and not log.get("removed")]
        return found

    def block_timestamp(self) -> int:
        """Timestamp of the latest block (what a contract's block.timestamp would be, about)."""
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        try:
            return int(block["timestamp"], 16)
        except (KeyError, TypeError, ValueError):
            raise NetworkError(f"RPC node sent a malformed block: {block!r:.80}") from None
