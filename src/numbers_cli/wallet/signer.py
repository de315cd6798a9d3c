"""The one object in nit that holds a private key in memory.

Everything that signs (commits, transactions) gets a `Signer` and asks it to
sign; nothing else ever sees the key. It keeps the key in a slot, shows only its
address when printed, and refuses to be pickled, so the key cannot leak into a
log line, a traceback's locals summary or a process pool by accident.

eth-account is imported when first needed: it costs about half a second, which
commands that never sign should not pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from numbers_cli.errors import WalletError

if TYPE_CHECKING:
    from eth_account.datastructures import SignedTransaction

__all__ = ["SECP256K1_ORDER", "Signer", "parse_private_key"]

# Order of the secp256k1 group: a private key is an integer in [1, ORDER - 1].
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
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

    __slots__ = ("__key", "__parsed", "_address")

    def __init__(self, private_key: bytes) -> None:
        """Take 32 key bytes (as from `parse_private_key` or a decrypted keystore)."""
        from eth_account import Account

        if not isinstance(private_key, bytes | bytearray) or len(private_key) != 32:
            raise WalletError("a private key is 32 bytes")
        if not 0 < int.from_bytes(private_key, "big") < SECP256K1_ORDER:
            raise WalletError("not a valid secp256k1 private key")
        from eth_keys.datatypes import PrivateKey as ParsedKey

        self.__key = bytes(private_key)
        # Parsed once: eth-account re-derives the public key from raw key bytes
        # on every transaction, which was 40% of the cost of signing a commit.
        self.__parsed = ParsedKey(self.__key)
        self._address: str = Account.from_key(self.__key).address

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
        from eth_account import Account
        from eth_account.messages import encode_defunct

        signed = Account.sign_message(encode_defunct(text=text), self.__key)
        signature = bytes(signed.signature)
        if len(signature) != 65 or signature[64] not in (27, 28):  # pragma: no cover
            raise WalletError("eth-account returned a signature in an unexpected form")
        return "0x" + signature.hex()

    def sign_bytes(self, data: bytes) -> str:
        """EIP-191 personal_sign of arbitrary bytes (prefix `"\\x19Ethereum Signed
        Message:\\n" + len(data)`), as `0x` + 130 hex: how `nit attest` signs a
        DSSE envelope's pre-authentication encoding (wallet/dsse.py)."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        signed = Account.sign_message(encode_defunct(primitive=data), self.__key)
        signature = bytes(signed.signature)
        if len(signature) != 65 or signature[64] not in (27, 28):  # pragma: no cover
            raise WalletError("eth-account returned a signature in an unexpected form")
        return "0x" + signature.hex()

    def sign_transaction(self, transaction: Mapping[str, Any]) -> SignedTransaction:
        """Sign an EVM transaction dict (as web3 builds it) for `eth_sendRawTransaction`.

        Returns eth-account's SignedTransaction (`.raw_transaction`, `.hash`),
        which carries no key.
        """
        from eth_account import Account

        return Account.sign_transaction(dict(transaction), self.__parsed)

    def __repr__(self) -> str:
        return f"Signer(address={self._address!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        """Refuse pickling (and copy): a serialized Signer would be a plaintext key."""
        raise TypeError("a Signer cannot be pickled or copied; pass it by reference")
