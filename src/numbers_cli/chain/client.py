"""ChainClient: what nit does on an EVM chain, in the domain's words.

Reads follow spec/NUMBERS.md to the letter (getCommits, then eth_getLogs by
topic0 = Commit, topic2 = keccak256(Nid)) so nit reads the Numbers network's
existing records, not only its own. Writes are pipelined: every transaction is
signed locally with consecutive nonces, all are sent, then all receipts are
awaited, so pushing N commits costs about one block time instead of N. The
callbacks (`on_signed`, `on_sent`, `on_mined`) let the caller journal each
transaction hash before it leaves and reconcile after a crash with
`transaction_known()` / `receipt()`.

Every RPC failure leaves as a one-line NetworkError (never a traceback).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from numbers_cli.chain.network import Network
from numbers_cli.chain.register import (
    CommitRecord,
    artifact,
    commit_topic,
    decode_commit_log,
    decode_uint_array,
    encode_call,
    nid_topic,
)
from numbers_cli.chain.rpc import DEFAULT_BATCH_SIZE, JsonRpc, RpcError
from numbers_cli.errors import ConfigError, NetworkError, UsageError, WalletError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = [
    "ChainClient",
    "OnMined",
    "OnSent",
    "Receipt",
    "format_amount",
]

WEI_PER_ETHER = 10**18
GWEI = 10**9

#: Called with (item index, transaction hash, nonce).
OnSent = Callable[[int, str, int], None]
#: Called with (item index, receipt) once a transaction is final.
OnMined = Callable[[int, "Receipt"], None]

PrivateKey = str | bytes


@dataclass(frozen=True)
class Receipt:
    """A mined transaction, as far as nit cares."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    succeeded: bool
    effective_gas_price: int | None = None
    contract_address: str | None = None

    @classmethod
    def from_rpc(cls, data: dict[str, Any]) -> Receipt:
        price = data.get("effectiveGasPrice")
        created = data.get("contractAddress")
        return cls(
            tx_hash=data["transactionHash"],
            block_number=int(data["blockNumber"], 16),
            block_hash=data["blockHash"],
            gas_used=int(data["gasUsed"], 16),
            succeeded=int(data.get("status", "0x1"), 16) == 1,
            effective_gas_price=int(price, 16) if price else None,
            contract_address=_checksum(created) if created else None,
        )


@dataclass(frozen=True)
class _Fees:
    """Fee fields for a transaction and the highest price per gas they allow."""

    fields: dict[str, int]
    max_price: int  # wei per gas, the cap a balance must cover
    expected_price: int  # wei per gas, what the next block would likely charge


@dataclass(frozen=True)
class _Signed:
    raw: str
    tx_hash: str
    nonce: int


def format_amount(wei: int, currency: str) -> str:
    """`wei` in whole units of the native currency (ether's 18 decimals), e.g. "0.0042 ETH"."""
    value = (Decimal(wei) / WEI_PER_ETHER).quantize(Decimal("1e-9")).normalize()
    return f"{value:f} {currency}"


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    try:
        return str(to_checksum_address(address))
    except (ValueError, TypeError):
        raise UsageError(f"not an address: {address!r}") from None


def _account(key: PrivateKey) -> LocalAccount:
    from eth_account import Account

    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise WalletError("not a valid secp256k1 private key") from exc


def _block_ranges(blocks: Sequence[int], chunk: int) -> list[tuple[int, int]]:
    """Cover the given block numbers with inclusive ranges at most `chunk` blocks wide.

    Ranges start at a listed block and end at the last listed block within
    reach, so a history spread over years costs one query per cluster of
    commits, not one per `chunk` blocks of the whole chain.
    """
    ranges: list[tuple[int, int]] = []
    for block in sorted(set(blocks)):
        if ranges and block - ranges[-1][0] < chunk:
            ranges[-1] = (ranges[-1][0], block)
        else:
            ranges.append((block, block))
    return ranges


class ChainClient:
    """One network's node and IntegrityRegister. Not thread-safe; cheap to create.

    `timeout` bounds each HTTP request; `receipt_timeout` bounds waiting for a
    batch of transactions to be mined; `log_chunk` is the widest block range
    one eth_getLogs asks for (public nodes cap it); `batch_size` is how many
    JSON-RPC calls go in one HTTP request; `gas_headroom` multiplies
    eth_estimateGas (state can change between estimate and inclusion).
    """

    def __init__(
        self,
        network: Network,
        *,
        timeout: float = 30.0,
        receipt_timeout: float = 300.0,
        poll_interval: float = 0.1,
        log_chunk: int = 5000,
        batch_size: int = DEFAULT_BATCH_SIZE,
        gas_headroom: float = 1.1,
    ) -> None:
        if log_chunk < 1 or batch_size < 1 or gas_headroom < 1:
            raise ConfigError("log_chunk and batch_size must be positive, gas_headroom at least 1")
        self.network = network
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self.log_chunk = log_chunk
        self.gas_headroom = gas_headroom
        self._rpc = JsonRpc(network.rpc_url, timeout=timeout, batch_size=batch_size)
        self._chain_checked = False
        self._contract_checked = False

    # -- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        self._rpc.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- checks ----------------------------------------------------------------

    def chain_id(self) -> int:
        """The chain id the node reports."""
        try:
            return int(self._rpc.call("eth_chainId"), 16)
        except RpcError as exc:
            raise NetworkError(
                f"RPC node at {self.network.rpc_url} does not answer eth_chainId: {exc.rpc_message}"
            ) from None

    def _ensure_chain(self) -> None:
        if self._chain_checked:
            return
        actual = self.chain_id()
        if actual != self.network.chain_id:
            raise NetworkError(
                f"RPC node at {self.network.rpc_url} serves chain id {actual}, "
                f"but network {self.network.name} is chain id {self.network.chain_id}"
            )
        self._chain_checked = True

    def contract_address(self) -> str:
        """The network's IntegrityRegister address, checksummed; ConfigError if it has none."""
        address = self.network.contract
        if not address:
            raise ConfigError(
                f"network {self.network.name} has no IntegrityRegister address configured"
            )
        try:
            return _checksum(address)
        except UsageError:
            raise ConfigError(
                f"network {self.network.name}: {address!r} is not a contract address"
            ) from None

    def check(self) -> None:
        """Node reachable, on the network's chain id, with code at the register's address."""
        self._ensure_chain()
        address = self.contract_address()
        code = self._rpc.call("eth_getCode", [address, "latest"])
        if not isinstance(code, str) or code in ("0x", "0x0", ""):
            raise NetworkError(f"no contract at {address} on {self.network.name}")
        self._contract_checked = True

    def _ensure_checked(self) -> str:
        if not self._contract_checked:
            self.check()
        return self.contract_address()

    # -- reads -----------------------------------------------------------------

    def block_number(self) -> int:
        return int(self._rpc.call("eth_blockNumber"), 16)

    def balance(self, address: str) -> int:
        """Balance of `address` in wei."""
        return int(self._rpc.call("eth_getBalance", [_checksum(address), "latest"]), 16)

    def _call(self, name: str, *args: Any) -> bytes:
        contract = self._ensure_checked()
        data = "0x" + encode_call(name, *args).hex()
        try:
            result = self._rpc.call("eth_call", [{"to": contract, "data": data}, "latest"])
        except RpcError as exc:
            raise NetworkError(
                f"{name} on the IntegrityRegister at {contract} ({self.network.name}) failed: "
                f"{exc.rpc_message}"
            ) from None
        return bytes.fromhex(result.removeprefix("0x"))

    def get_commits(self, nid: str) -> list[int]:
        """Block numbers of the commits of `nid`, in chain order (one per commit)."""
        return decode_uint_array(self._call("getCommits", nid))

    def get_record_logs(self, nid: str) -> list[int]:
        """Block numbers of the integrity records of `nid`, in chain order."""
        return decode_uint_array(self._call("getRecordLogs", nid))

    def commit_logs(
        self, nid: str, blocks: Sequence[int], *, chunk: int | None = None
    ) -> list[CommitRecord]:
        """The Commit events of `nid` in the given blocks, ordered by (block, log index).

        `blocks` is what get_commits returned. NetworkError if the node has no
        event in a block the register lists (a node that prunes old logs would
        otherwise silently shorten the history).
        """
        if not blocks:
            return []
        contract = self._ensure_checked()
        topics = [commit_topic(), None, nid_topic(nid)]
        calls = [
            (
                "eth_getLogs",
                [
                    {
                        "address": contract,
                        "fromBlock": hex(start),
                        "toBlock": hex(end),
                        "topics": topics,
                    }
                ],
            )
            for start, end in _block_ranges(blocks, chunk or self.log_chunk)
        ]
        try:
            replies = self._rpc.batch_strict(calls)
        except RpcError as exc:
            raise NetworkError(
                f"eth_getLogs for {nid} failed on {self.network.name}: {exc.rpc_message}"
                + ("" if chunk == 1 else " (a smaller log_chunk may help)")
            ) from None
        records = [
            decode_commit_log(nid, log)
            for logs in replies
            for log in logs
            if not log.get("removed", False)
        ]
        records.sort(key=lambda record: (record.block_number, record.log_index))
        missing = sorted(set(blocks) - {record.block_number for record in records})
        if missing:
            shown = ", ".join(str(block) for block in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise NetworkError(
                f"RPC node at {self.network.rpc_url} returned no Commit event of {nid} in "
                f"block {shown}{more}, which the register lists (does it keep old logs?)"
            )
        return records

    def history(self, nid: str) -> list[CommitRecord]:
        """All commits of `nid` on this network, in chain order."""
        return self.commit_logs(nid, self.get_commits(nid))

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a transaction, or None while it is not mined (or unknown)."""
        data = self._rpc.call("eth_getTransactionReceipt", [tx_hash])
        return Receipt.from_rpc(data) if data else None

    def transaction_known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction at all (mined or waiting in its pool)."""
        return self._rpc.call("eth_getTransactionByHash", [tx_hash]) is not None

    # -- writes ----------------------------------------------------------------

    def send_commits(
        self,
        items: Sequence[tuple[str, str]],
        key: PrivateKey,
        *,
        on_signed: OnSent | None = None,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
    ) -> list[Receipt]:
        """Register commits `(nid, commit_data)` with `IntegrityRegister.commit`, pipelined.

        Transactions are signed with consecutive nonces from the account's
        pending nonce, all sent, then all awaited. `on_signed` runs before a
        transaction leaves (journal its hash there: a crash after sending then
        leaves nothing unaccounted for), `on_sent` once the node accepted it,
        `on_mined` when it is final. Returns one Receipt per item, in order;
        NetworkError if any was rejected or reverted (after reporting the
        others through the callbacks).
        """
        contract = self._ensure_checked()
        calls = [
            {"to": contract, "data": encode_call("commit", nid, commit_data)}
            for nid, commit_data in items
        ]
        return self._send_all(
            _account(key),
            calls,
            what="commit transaction",
            on_signed=on_signed,
            on_sent=on_sent,
            on_mined=on_mined,
        )

    def register_integrity_record(
        self, nid: str, integrity_data: str, signature: bytes, key: PrivateKey
    ) -> Receipt:
        """Record capture-time integrity data of `nid` (registerIntegrityRecord)."""
        contract = self._ensure_checked()
        call = {
            "to": contract,
            "data": encode_call("registerIntegrityRecord", nid, integrity_data, signature),
        }
        return self._send_all(_account(key), [call], what="integrity record transaction")[0]

    def deploy_integrity_register(self, signer_key: PrivateKey) -> str:
        """Deploy and initialize a new IntegrityRegister (devnets); its checksummed address."""
        self._ensure_chain()
        account = _account(signer_key)
        bytecode = bytes.fromhex(artifact().bytecode.removeprefix("0x"))
        (created,) = self._send_all(account, [{"to": None, "data": bytecode}], what="deployment")
        if created.contract_address is None:
            raise NetworkError(f"deployment {created.tx_hash} created no contract")
        self._send_all(
            account,
            [{"to": created.contract_address, "data": encode_call("initialize")}],
            what="initialize transaction",
        )
        return created.contract_address

    def fund(self, from_key: PrivateKey, to_address: str, wei: int) -> Receipt:
        """Send `wei` from one account to another (for devnets and tests)."""
        self._ensure_chain()
        call = {"to": _checksum(to_address), "data": b"", "value": wei}
        return self._send_all(_account(from_key), [call], what="transfer")[0]

    # -- the pipeline ----------------------------------------------------------

    def _send_all(
        self,
        account: LocalAccount,
        calls: Sequence[dict[str, Any]],
        *,
        what: str,
        on_signed: OnSent | None = None,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
    ) -> list[Receipt]:
        if not calls:
            return []
        self._ensure_chain()
        gas_limits = self._estimate_gas(account.address, calls, what)
        fees = self._fees()
        self._require_funds(account.address, calls, gas_limits, fees, what)
        nonce = int(self._rpc.call("eth_getTransactionCount", [account.address, "pending"]), 16)
        signed = [
            self._sign(account, call, gas, fees, nonce + index)
            for index, (call, gas) in enumerate(zip(calls, gas_limits, strict=True))
        ]
        if on_signed:
            for index, tx in enumerate(signed):
                on_signed(index, tx.tx_hash, tx.nonce)
        self._broadcast(account.address, signed, calls, gas_limits, fees, what, on_sent)
        return self._await_receipts([tx.tx_hash for tx in signed], what, on_mined)

    def _estimate_gas(self, sender: str, calls: Sequence[dict[str, Any]], what: str) -> list[int]:
        """eth_estimateGas of every call (one batch), times the headroom.

        Estimating against the current state is safe for a pipeline of commits:
        a commit never gets cheaper to estimate than to run (the first commit of
        a Nid, which creates its storage, is the dearest).
        """
        requests = []
        for call in calls:
            tx: dict[str, Any] = {"from": sender, "data": "0x" + call["data"].hex()}
            if call["to"] is not None:
                tx["to"] = call["to"]
            if call.get("value"):
                tx["value"] = hex(call["value"])
            requests.append(("eth_estimateGas", [tx]))
        limits = []
        for index, reply in enumerate(self._rpc.batch(requests)):
            if isinstance(reply, RpcError):
                if "insufficient funds" in reply.rpc_message.lower():
                    raise self._funds_error(sender, None, what, len(calls)) from None
                subject = f"{what} {index + 1} of {len(calls)}" if len(calls) > 1 else what
                raise NetworkError(
                    f"{subject} would fail on {self.network.name}: {reply.rpc_message}"
                ) from None
            limits.append(math.ceil(int(reply, 16) * self.gas_headroom))
        return limits

    def _fees(self) -> _Fees:
        """EIP-1559 fees where the chain has a base fee, a legacy gas price otherwise."""
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        base_fee = block.get("baseFeePerGas") if isinstance(block, dict) else None
        if base_fee is not None:
            base = int(base_fee, 16)
            try:
                tip = int(self._rpc.call("eth_maxPriorityFeePerGas"), 16)
            except RpcError:  # not every node has it; the gas price includes a tip
                tip = max(int(self._rpc.call("eth_gasPrice"), 16) - base, 0)
            cap = 2 * base + tip  # survives the base fee doubling while we wait
            return _Fees(
                fields={"maxFeePerGas": cap, "maxPriorityFeePerGas": tip},
                max_price=cap,
                expected_price=base + tip,
            )
        price = int(self._rpc.call("eth_gasPrice"), 16)
        return _Fees(fields={"gasPrice": price}, max_price=price, expected_price=price)

    def _funds_error(
        self, sender: str, cost: tuple[int, int, int] | None, what: str, count: int
    ) -> NetworkError:
        """The insufficient-funds message: balance, and (when known) the estimated cost."""
        currency = self.network.currency
        have = format_amount(self.balance(sender), currency)
        plural = "s" if count != 1 else ""
        message = f"insufficient funds on {self.network.name}: {sender} has {have}"
        if cost is None:
            return NetworkError(f"{message}, not enough for {count} {what}{plural}")
        expected, cap, gas = cost
        return NetworkError(
            f"{message}; {count} {what}{plural} would cost an estimated "
            f"{format_amount(expected, currency)} ({gas} gas), up to "
            f"{format_amount(cap, currency)} at the fee cap"
        )

    def _require_funds(
        self,
        sender: str,
        calls: Sequence[dict[str, Any]],
        gas_limits: Sequence[int],
        fees: _Fees,
        what: str,
    ) -> None:
        value = sum(call.get("value", 0) for call in calls)
        gas = sum(gas_limits)
        cap = gas * fees.max_price + value
        if self.balance(sender) < cap:
            expected = math.ceil(gas / self.gas_headroom) * fees.expected_price + value
            raise self._funds_error(sender, (expected, cap, gas), what, len(calls))

    def _sign(
        self, account: LocalAccount, call: dict[str, Any], gas: int, fees: _Fees, nonce: int
    ) -> _Signed:
        tx: dict[str, Any] = {
            "chainId": self.network.chain_id,
            "nonce": nonce,
            "gas": gas,
            "value": call.get("value", 0),
            "data": call["data"],
            **fees.fields,
        }
        if call["to"] is not None:
            tx["to"] = call["to"]
        signed = account.sign_transaction(tx)
        return _Signed(
            raw="0x" + bytes(signed.raw_transaction).hex(),
            tx_hash="0x" + bytes(signed.hash).hex(),
            nonce=nonce,
        )

    def _broadcast(
        self,
        sender: str,
        signed: Sequence[_Signed],
        calls: Sequence[dict[str, Any]],
        gas_limits: Sequence[int],
        fees: _Fees,
        what: str,
        on_sent: OnSent | None,
    ) -> None:
        replies = self._rpc.batch([("eth_sendRawTransaction", [tx.raw]) for tx in signed])
        first_error: tuple[int, RpcError] | None = None
        for index, (tx, reply) in enumerate(zip(signed, replies, strict=True)):
            if isinstance(reply, RpcError):
                text = reply.rpc_message.lower()
                if "already known" not in text and "known transaction" not in text:
                    first_error = first_error or (index, reply)
                    continue
            if on_sent:
                on_sent(index, tx.tx_hash, tx.nonce)
        if first_error is None:
            return
        index, error = first_error
        if "insufficient funds" in error.rpc_message.lower():
            gas = sum(gas_limits)
            value = sum(call.get("value", 0) for call in calls)
            cost = (gas * fees.expected_price + value, gas * fees.max_price + value, gas)
            raise self._funds_error(sender, cost, what, len(signed)) from None
        subject = f"{what} {index + 1} of {len(signed)}" if len(signed) > 1 else what
        raise NetworkError(
            f"{self.network.name} rejected {subject} (nonce {signed[index].nonce}): "
            f"{error.rpc_message}"
        ) from None

    def _await_receipts(
        self, hashes: Sequence[str], what: str, on_mined: OnMined | None
    ) -> list[Receipt]:
        """Poll receipts (one batch per round, with the head) until all are final.

        Final means `confirmations` blocks deep; a receipt is fetched again until
        then, so a transaction moved by a reorg is reported where it ended up.
        """
        receipts: dict[int, Receipt] = {}
        failed: list[tuple[int, Receipt]] = []
        pending = list(range(len(hashes)))
        deadline = time.monotonic() + self.receipt_timeout
        depth = self.network.confirmations
        while pending:
            calls = [("eth_blockNumber", [])]
            calls += [("eth_getTransactionReceipt", [hashes[index]]) for index in pending]
            head_reply, *replies = self._rpc.batch(calls)
            if isinstance(head_reply, RpcError):
                raise head_reply
            head = int(head_reply, 16)
            still: list[int] = []
            for index, reply in zip(pending, replies, strict=True):
                if isinstance(reply, RpcError) or not reply:  # e.g. "indexing in progress"
                    still.append(index)
                    continue
                receipt = Receipt.from_rpc(reply)
                if head - receipt.block_number + 1 < depth:
                    still.append(index)
                    continue
                receipts[index] = receipt
                if not receipt.succeeded:
                    failed.append((index, receipt))
                elif on_mined:
                    on_mined(index, receipt)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise NetworkError(
                        f"{len(pending)} of {len(hashes)} {what}s not final on "
                        f"{self.network.name} after {self.receipt_timeout:g} s "
                        f"(first: {hashes[pending[0]]}); they may still be mined"
                    )
                time.sleep(self.poll_interval)
        if failed:
            index, receipt = failed[0]
            subject = f"{what} {index + 1} of {len(hashes)}" if len(hashes) > 1 else what
            more = f" ({len(failed)} failed in all)" if len(failed) > 1 else ""
            raise NetworkError(
                f"{subject} reverted on {self.network.name}: {receipt.tx_hash} "
                f"in block {receipt.block_number}{more}"
            )
        return [receipts[index] for index in range(len(hashes))]
