"""The one object in nit that holds a private key in memory.

Everything that signs (commits, transactions) gets a `Signer` and asks it to
sign; nothing else ever sees the key. It keeps the key in a slot, shows only its
address when printed, and refuses to be pickled, so the key cannot leak into a
log line, a traceback's locals summary or a process pool by accident.

Signing is model.signature / model.transaction over libsecp256k1 (coincurve):
the same bytes eth-account makes, without its half-second import, which every
command that signs would pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from numbers_cli.errors import InvalidFormat, WalletError
from numbers_cli.model.address import address_of_public_key, keccak256
from numbers_cli.model.secp256k1 import (
    GROUP_ORDER,
    load_private_key,
    public_key_bytes,
    sign_digest,
)
from numbers_cli.model.signature import sign_bytes, sign_text
from numbers_cli.model.transaction import SignedTransaction, sign_transaction
from numbers_cli.wallet.eth_account_import import eth_account_module

__all__ = ["SECP256K1_ORDER", "SignedTransaction", "Signer", "parse_private_key"]

# Order of the secp256k1 group: a private key is an integer in [1, ORDER - 1].
SECP256K1_ORDER = GROUP_ORDER
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_private_key(text: str, *, source: str = "private key") -> bytes:
    """32 key bytes from 64 hex digits (0x optional, surrounding blanks ignored).

    The error never contains the input: a near-miss key is still a secret.
    `source` names where it came from (e.g. "NIT_PRIVATE_KEY") in the message.
    """
    if not isinstance(text, str):
        raise WalletError(f"{source} must be text of 64 hex digits")
    digits = text.strip()
    if digits[:2] in ("0x", "0X"):
        digits = digits[2:]
    if len(digits) != 64 or not _HEX_DIGITS.issuperset(digits):
        raise WalletError(
            f"invalid {source}: expected 64 hex digits (optionally prefixed by 0x), "
            f"got {len(digits)} characters"
            + ("" if _HEX_DIGITS.issuperset(digits) else " including non-hex ones")
        )
    key = bytes.fromhex(digits)
    if not 0 < int.from_bytes(key, "big") < SECP256K1_ORDER:
        raise WalletError(f"invalid {source}: not a valid secp256k1 private key")
    return key


class Signer:
    """Signs for one Ethereum address; the key never leaves this object.

    Construct it through `wallet.unlock` or `wallet.signer_from_env`.
    """

    __slots__ = ("__key", "_address")

    def __init__(self, private_key: bytes) -> None:
        """Take 32 key bytes (as from `parse_private_key` or a decrypted keystore)."""
        try:
            # Parsed once: deriving the public key costs more than a signature.
            self.__key = load_private_key(private_key)
        except InvalidFormat as exc:
            raise WalletError(exc.message) from None
        self._address: str = address_of_public_key(public_key_bytes(self.__key))

    @property
    def address(self) -> str:
        """The checksummed 0x address that signatures recover to."""
        return self._address

    def sign_text(self, text: str) -> str:
        """EIP-191 personal_sign of the UTF-8 `text`: `0x` + 130 hex (r, s, v with v 27/28).

        This is what Numbers uses for `assetTreeSignature` (the text being the
        tree's sha256 hex) and what any wallet's "sign message" produces, so
        anyone can verify it with ecrecover.
        """
        return sign_text(self.__key, text)

    def sign_typed_data(self, typed_data: Mapping[str, Any]) -> str:
        """EIP-712 signature of `typed_data` (the eth_signTypedData_v4 form: types,
        primaryType, domain, message): `0x` + 130 hex, v 27/28, as wallets produce.

        Used for authorisations a contract checks with ecrecover, e.g. the
        registrant's consent to mint an asset's custody token.
        """
        # mint only: its import is paid there
        encode_typed_data = eth_account_module("eth_account.messages").encode_typed_data

        signable = encode_typed_data(full_message=dict(typed_data))
        # EIP-191 version 0x01: keccak256(0x19 || 0x01 || domain separator || struct hash).
        digest = keccak256(b"\x19" + signable.version + signable.header + signable.body)
        r, s, recovery_id = sign_digest(self.__key, digest)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery_id])
        return "0x" + signature.hex()

    def sign_bytes(self, data: bytes) -> str:
        """EIP-191 personal_sign of arbitrary bytes (prefix `"\\x19Ethereum Signed
        Message:\\n" + len(data)`), as `0x` + 130 hex: how `nit attest` signs a
        DSSE envelope's pre-authentication encoding (wallet/dsse.py)."""
        return sign_bytes(self.__key, data)

    def sign_transaction(self, transaction: Mapping[str, Any]) -> SignedTransaction:
        """Sign an EVM transaction dict (web3's field names) for `eth_sendRawTransaction`.

        Returns its raw bytes and hash (`.raw_transaction`, `.hash`), which
        carry no key.
        """
        try:
            return sign_transaction(self.__key, transaction)
        except InvalidFormat as exc:
            raise WalletError(f"cannot sign this transaction: {exc.message}") from None

    def __repr__(self) -> str:
        return f"Signer(address={self._address!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        """Refuse pickling (and copy): a serialized Signer would be a plaintext key."""
        raise TypeError("a Signer cannot be pickled or copied; pass it by reference")
