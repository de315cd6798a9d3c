"""ChainClient: what nit does on an EVM chain, in the domain's words.

Its reads come from mixins, one per kind: an asset's history as the register
holds it (`history_reads`), contract calls (`calls`), whole blocks and every
register event (`blocks`). Writes are pipelined: every transaction is
signed locally with consecutive nonces, all are sent, then all receipts are
awaited block by block, so pushing N commits costs about one block time
instead of N. The callbacks (`on_signed`, `on_sent`, `on_mined`) let the caller journal each
transaction hash before it leaves and reconcile after a crash with
`transaction_known()` / `receipt()`.

Every RPC failure leaves as a one-line NetworkError (never a traceback).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from numbers_cli.chain.blocks import BlockReads
from numbers_cli.chain.calls import ContractCalls
from numbers_cli.chain.history_reads import HistoryReads
from numbers_cli.chain.network import Network
from numbers_cli.chain.register import (
    artifact,
    encode_call,
)
from numbers_cli.chain.rpc import DEFAULT_BATCH_SIZE, JsonRpc, RpcError
from numbers_cli.chain.transactions import (
    OnJournal,
    OnMined,
    OnSent,
    PrivateKey,
    Receipt,
    _account,
    _checksum,
    format_amount,
)
from numbers_cli.errors import ConfigError, NetworkError, UsageError

__all__ = [
    "ChainClient",
    "OnJournal",
    "OnMined",
    "OnSent",
    "Receipt",
    "format_amount",
]


class ChainClient(HistoryReads, ContractCalls, BlockReads):
    """One network's node and IntegrityRegister. Not thread-safe; cheap to create.

    `timeout` bounds each HTTP request; `receipt_timeout` bounds waiting for a
    batch of transactions to be mined; `poll_interval` is the longest pause
    between two looks at the chain's head while waiting for the next block
    (receipts are fetched once per new block); `log_chunk` is the widest block range
    one eth_getLogs asks for (public nodes cap it); `batch_size` is how many
    JSON-RPC calls go in one HTTP request; `gas_headroom` multiplies
    eth_estimateGas (state can change between estimate and inclusion);
    `max_in_flight` is how many transactions of one push may wait in the
    node's pool at once; `resend_after` is how long a push may make no
    progress before its next transaction is re-sent with higher fees, and
    `idle_resend_after` how long when the chain has made no block meanwhile.
    """

    def __init__(
        self,
        network: Network,
        *,
        timeout: float = 30.0,
        receipt_timeout: float = 300.0,
        poll_interval: float = 0.5,
        log_chunk: int = 5000,
        batch_size: int = DEFAULT_BATCH_SIZE,
        gas_headroom: float = 1.1,
        max_in_flight: int = 64,
        resend_after: float = 30.0,
        idle_resend_after: float = 3.0,
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
        self.idle_resend_after = idle_resend_after
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
        on_journal: OnJournal | None = None,
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
        an index's hashes is mined is the one its Receipt names. `on_journal`
        gets every signed transaction (first sends and re-sends) as a JSON-able
        snapshot before it leaves; `resume_commits` finishes them after a crash.

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
            on_journal=on_journal,
        )

    def commit_cost(self, items: Sequence[tuple[str, str]], sender: str) -> tuple[int, int]:
        """(gas, expected cost in wei) of registering `items` from `sender`, or the
        insufficient-funds NetworkError that states the cost, as `send_commits` would
        raise it, but without signing or sending anything.

        For callers that must know a registration can be paid for before they
        write anything (`nit stamp`, issue 14).
        """
        contract = self._ensure_checked()
        calls = [
            {"to": contract, "data": encode_call("commit", nid, commit_data)}
            for nid, commit_data in items
        ]
        estimates = self._estimate_gas(sender, calls, "commit transaction")
        fees = self._fees()
        gas_limits = [math.ceil(gas * self.gas_headroom) for gas in estimates]
        self._require_funds(sender, calls, estimates, gas_limits, fees, "commit transaction")
        return sum(estimates), sum(estimates) * fees.expected_price

    def resume_commits(
        self,
        snapshots: Sequence[dict[str, Any]],
        key: PrivateKey,
        *,
        on_sent: OnSent | None = None,
        on_mined: OnMined | None = None,
        on_journal: OnJournal | None = None,
    ) -> list[Receipt | None]:
        """Finish commit transactions that `on_journal` recorded before a crash.

        One result per snapshot: its Receipt once final, or None when it never
        will be mined (its nonce went to another transaction, or it reverted),
        so the caller may register that commit anew without registering it twice.
        """
        self._ensure_checked()
        return self._resume(
            _account(key),
            snapshots,
            what="commit transaction",
            on_sent=on_sent,
            on_mined=on_mined,
            on_journal=on_journal,
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
