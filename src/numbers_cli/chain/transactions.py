"""The parts of a transaction nit sends: signing key, fees, in-flight state,
receipts, and how amounts are shown. Shared by the client and its send pipeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from numbers_cli.chain.rpc import quantity
from numbers_cli.errors import InvalidFormat, NetworkError, UsageError, WalletError
from numbers_cli.model.address import address_of_public_key, checksum_address
from numbers_cli.model.secp256k1 import load_private_key, public_key_bytes
from numbers_cli.model.transaction import SignedTransaction, sign_transaction

WEI_PER_ETHER = 10**18


class TransactionSigner(Protocol):
    """What the pipeline needs of a wallet: an address and transaction signing
    (numbers_cli.wallet.Signer is one; it never hands out its key)."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, transaction: Mapping[str, Any]) -> Any: ...


#: A raw private key (tests, devnet dev accounts) or a wallet that signs for itself.
PrivateKey = str | bytes | TransactionSigner

#: Called with (item index, transaction hash, nonce).
OnSent = Callable[[int, str, int], None]
#: Called with (item index, receipt) once a transaction is final.
OnMined = Callable[[int, "Receipt"], None]
#: Called with the snapshots (`_InFlight.snapshot`) of transactions about to be
#: broadcast: a caller that stores them durably can always tell, after a crash,
#: every transaction that may have left, and send exactly those again. It may
#: store them in the background and return a callable that waits until they are
#: stored (and raises if they could not be): the pipeline calls it before any of
#: them leaves, so the fsync of a window overlaps the wait for the previous one.
OnJournal = Callable[[list[dict[str, Any]]], "Callable[[], None] | None"]


def journalled(on_journal: OnJournal | None, snapshots: list[dict[str, Any]]) -> None:
    """Journal `snapshots` and wait until they are stored."""
    if on_journal is not None:
        wait = on_journal(snapshots)
        if wait is not None:
            wait()


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

    def snapshot(self, sender: str) -> dict[str, Any]:
        """Everything needed to re-broadcast, watch or re-price this transaction later, as JSON."""
        return {
            "from": sender,
            "index": self.index,
            "nonce": self.nonce,
            "gas": self.gas,
            "to": self.call["to"],
            "data": "0x" + bytes(self.call["data"]).hex(),
            "value": self.call.get("value", 0),
            "fees": dict(self.fees.fields),
            "max_price": self.fees.max_price,
            "expected_price": self.fees.expected_price,
            "hashes": list(self.hashes),
            "raw": self.raw,
            "bumps": self.bumps,
        }

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any], index: int) -> _InFlight:
        try:
            call: dict[str, Any] = {
                "to": snapshot["to"],
                "data": bytes.fromhex(str(snapshot["data"]).removeprefix("0x")),
            }
            if snapshot.get("value"):
                call["value"] = int(snapshot["value"])
            fees = _Fees(
                fields={str(k): int(v) for k, v in dict(snapshot["fees"]).items()},
                max_price=int(snapshot["max_price"]),
                expected_price=int(snapshot["expected_price"]),
            )
            return cls(
                index=index,
                call=call,
                gas=int(snapshot["gas"]),
                nonce=int(snapshot["nonce"]),
                fees=fees,
                hashes=[str(h) for h in snapshot["hashes"]],
                raw=str(snapshot["raw"]),
                bumps=int(snapshot.get("bumps", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidFormat(f"journalled transaction is malformed: {exc}") from None


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
    from decimal import Decimal  # only for messages (costs, balances): not on every push

    value = (Decimal(wei) / WEI_PER_ETHER).quantize(Decimal("1e-9")).normalize()
    return f"{value:f} {currency}"


def _count(number: int, noun: str) -> str:
    """Count and noun for messages: "1 commit transaction", "3 commit transactions"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _checksum(address: str) -> str:
    try:
        return checksum_address(address)
    except InvalidFormat:
        raise UsageError(f"not an address: {address!r}") from None


class _KeySigner:
    """A raw private key (tests, devnet dev accounts) parsed once, signing
    transactions the way wallet.Signer does."""

    __slots__ = ("__key", "address")

    def __init__(self, raw: bytes) -> None:
        self.__key = load_private_key(raw)
        self.address = address_of_public_key(public_key_bytes(self.__key))

    def sign_transaction(self, transaction: Mapping[str, Any]) -> SignedTransaction:
        return sign_transaction(self.__key, transaction)

    def __repr__(self) -> str:
        return f"_KeySigner(address={self.address!r})"


@dataclass(frozen=True)
class _Signer:
    """Who signs a push: its address, and the object that signs for it."""

    address: str
    key: TransactionSigner

    def sign(self, tx: dict[str, Any]) -> tuple[str, str]:
        """(raw transaction, transaction hash), both 0x-hex."""
        signed = self.key.sign_transaction(tx)
        return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()


def _account(key: PrivateKey) -> _Signer:
    if not isinstance(key, str | bytes | bytearray):
        return _Signer(address=_checksum(key.address), key=key)
    try:
        raw = bytes.fromhex(key.removeprefix("0x")) if isinstance(key, str) else bytes(key)
        signer = _KeySigner(raw)
    except (ValueError, InvalidFormat):
        raise WalletError("not a valid secp256k1 private key") from None
    return _Signer(address=signer.address, key=signer)
