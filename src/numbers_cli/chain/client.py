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
from typing import Any, Self

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
from numbers_cli.chain.rpc import DEFAULT_BATCH_SIZE, JsonRpc, RpcError, hex_bytes, quantity
from numbers_cli.errors import ConfigError, NetworkError, UsageError, WalletError

__all__ = [
    "ChainClient",
    "OnMined",
    "OnSent",
    "Receipt",
    "format_amount",
]

WEI_PER_ETHER = 10**18

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
    def from_rpc(cls, data: Any) -> Receipt:
        """From an eth_getTransactionReceipt result; NetworkError if it is malformed."""
        if not isinstance(data, dict) or "transactionHash" not in data:
            raise NetworkError(f"RPC node sent a malformed receipt: {data!r:.80}")
        price = data.get("effectiveGasPrice")
        created = data.get("contractAddress")
        return cls(
            tx_hash=str(data["transactionHash"]),
            block_number=quantity(data.get("blockNumber"), "receipt block number"),
            block_hash=str(data.get("blockHash")),
            gas_used=quantity(data.get("gasUsed"), "receipt gas used"),
            succeeded=quantity(data.get("status", "0x1"), "receipt status") == 1,
            effective_gas_price=quantity(price, "receipt gas price") if price else None,
            contract_address=_checksum(created) if created else None,
        )


@dataclass(frozen=True)
class _Fees:
    """Fee fields for a transaction and the highest price per gas they allow."""

    fields: dict[str, int]
    max_price: int  # wei per gas, the cap a balance must cover
    expected_price: int  # wei per gas, what the next block would likely charge


@dataclass
class _InFlight:
    """One transaction of a push: what it does, its nonce, and every hash it was sent as.

    A stuck transaction is re-sent with higher fees (same nonce, new hash);
    whichever of its hashes is mined is the one that counts.
    """

    index: int
    call: dict[str, Any]
    gas: int
    nonce: int
    fees: _Fees
    hashes: list[str]
    raw: str = ""
    bumps: int = 0

    @property
    def tx_hash(self) -> str:
        return self.hashes[-1]


#: Fee increase of a replacement: nodes demand at least 10% on both fee fields.
_BUMP_NUMERATOR, _BUMP_DENOMINATOR = 5, 4
#: Replacements per transaction before nit stops raising its fee and just waits.
_MAX_BUMPS = 3


def _bumped(fees: _Fees) -> _Fees:
    def up(value: int) -> int:
        return max(-(-value * _BUMP_NUMERATOR // _BUMP_DENOMINATOR), value + 1)

    fields = {name: up(value) for name, value in fees.fields.items()}
    return _Fees(
        fields=fields,
        max_price=fields.get("maxFeePerGas", fields.get("gasPrice", fees.max_price)),
        expected_price=up(fees.expected_price),
    )


def format_amount(wei: int, currency: str) -> str:
    """`wei` in whole units of the native currency (ether's 18 decimals), e.g. "0.0042 ETH"."""
    value = (Decimal(wei) / WEI_PER_ETHER).quantize(Decimal("1e-9")).normalize()
    return f"{value:f} {currency}"


def _count(number: int, noun: str) -> str:
    """Count and noun for messages: "1 commit transaction", "3 commit transactions"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    try:
        return str(to_checksum_address(address))
    except (ValueError, TypeError):
        raise UsageError(f"not an address: {address!r}") from None


@dataclass(frozen=True)
class _Signer:
    """A private key parsed once: eth_account re-derives the public key from a raw
    key on every signature, which was 40% of the cost of signing a commit."""

    address: str
    key: Any  # eth_keys.datatypes.PrivateKey

    def sign(self, tx: dict[str, Any]) -> tuple[str, str]:
        """(raw transaction, transaction hash), both 0x-hex."""
        from eth_account import Account

        signed = Account.sign_transaction(tx, self.key)
        return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()


def _account(key: PrivateKey) -> _Signer:
    from eth_keys.datatypes import PrivateKey as ParsedKey
    from eth_keys.exceptions import ValidationError

    try:
        raw = bytes.fromhex(key.removeprefix("0x")) if isinstance(key, str) else bytes(key)
        parsed = ParsedKey(raw)
    except (ValueError, TypeError, ValidationError) as exc:
        raise WalletError("not a valid secp256k1 private key") from exc
    return _Signer(address=str(parsed.public_key.to_checksum_address()), key=parsed)


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
    eth_estimateGas (state can change between estimate and inclusion);
    `max_in_flight` is how many transactions of one push may wait in the
    node's pool at once; `resend_after` is how long a push may make no
    progress before its next transaction is re-sent with higher fees.
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
        max_in_flight: int = 64,
        resend_after: float = 30.0,
    ) -> None:
        if min(log_chunk, batch_size, max_in_flight) < 1 or gas_headroom < 1:
            raise ConfigError(
                "log_chunk, batch_size and max_in_flight must be positive, gas_headroom at least 1"
            )
        self.network = network
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self.log_chunk = log_chunk
        self.gas_headroom = gas_headroom
        self.max_in_flight = max_in_flight
        self.resend_after = resend_after
        self._rpc = JsonRpc(
            network.rpc_url,
            timeout=timeout,
            batch_size=batch_size,
            display_url=network.rpc_display,
        )
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
            return self._rpc.call_quantity("eth_chainId")
        except RpcError as exc:
            raise NetworkError(
                f"RPC node at {self.network.rpc_display} does not answer eth_chainId: "
                f"{exc.rpc_message}"
            ) from None

    def _ensure_chain(self) -> None:
        if self._chain_checked:
            return
        actual = self.chain_id()
        if actual != self.network.chain_id:
            raise NetworkError(
                f"RPC node at {self.network.rpc_display} serves chain id {actual}, "
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
        return self._rpc.call_quantity("eth_blockNumber")

    def balance(self, address: str) -> int:
        """Balance of `address` in wei."""
        return self._rpc.call_quantity("eth_getBalance", [_checksum(address), "latest"])

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
        return hex_bytes(result, f"{name} result")

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
        records: list[CommitRecord] = []
        for logs in replies:
            if not isinstance(logs, list):
                raise NetworkError(f"RPC node sent a malformed eth_getLogs result: {logs!r:.80}")
            records += [
                decode_commit_log(nid, log)
                for log in logs
                if not (isinstance(log, dict) and log.get("removed", False))
            ]
        records.sort(key=lambda record: (record.block_number, record.log_index))
        missing = sorted(set(blocks) - {record.block_number for record in records})
        if missing:
            shown = ", ".join(str(block) for block in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise NetworkError(
                f"RPC node at {self.network.rpc_display} returned no Commit event of {nid} in "
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
        pending nonce, sent, then awaited, `max_in_flight` at a time. Gas is
        estimated and the balance checked for all items first: a push the
        account cannot pay for sends nothing. `on_signed` runs before a
        transaction leaves (journal its hash there: a crash after sending then
        leaves nothing unaccounted for), `on_sent` once the node accepted it,
        `on_mined` when it is final. A transaction stuck for `resend_after`
        seconds is re-sent with higher fees under the same nonce: `on_sent`
        then reports the same index again with its new hash, and whichever of
        an index's hashes is mined is the one its Receipt names.

        Returns one Receipt per item, in order; NetworkError if any was
        rejected or reverted (after reporting the others through the callbacks).
        """
        if not items:
            return []
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
        account: _Signer,
        calls: Sequence[dict[str, Any]],
        *,
        what: str,
        on_signed: OnSent | None = None,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
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
        estimates = self._estimate_gas(account.address, calls, what)
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
            self._broadcast(account.address, flights, len(calls), what, on_sent)
            receipts += self._await_receipts(account, flights, len(calls), what, on_sent, on_mined)
        return receipts

    def _estimate_gas(self, sender: str, calls: Sequence[dict[str, Any]], what: str) -> list[int]:
        """eth_estimateGas of every call, in batches.

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
        estimates = []
        for index, reply in enumerate(self._rpc.batch(requests)):
            if isinstance(reply, RpcError):
                if "insufficient funds" in reply.rpc_message.lower():
                    raise self._funds_error(sender, None, what, len(calls)) from None
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
            if now - last_progress > self.resend_after:
                self._unstick(account, pending, total, what, on_sent)
                last_progress = now
            time.sleep(self.poll_interval)
        if failed:
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
        try:
            self._broadcast(account.address, [lowest], total, what, on_sent)
        except NetworkError:
            # Refused (say, as underpriced): the earlier hashes are still valid; keep waiting.
            lowest.hashes.pop()
            lowest.fees, lowest.raw = previous
