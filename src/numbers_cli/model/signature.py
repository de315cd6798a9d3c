"""EIP-191 `personal_sign` signatures of text, as Numbers signs asset trees
(and of raw bytes, as `nit attest` signs a DSSE envelope's PAE).

A signature is `0x` + 130 hex digits: r, s and v (27 or 28) of an ECDSA
signature of keccak256("\\x19Ethereum Signed Message:\\n" + len + message).
Any wallet's "sign message" makes one, and `ecrecover` checks it. Pure
functions over model.secp256k1 (coincurve) and model.address (keccak): the
bytes are those eth-account's `sign_message` / `recover_message` give, and the
inputs recover_signer accepts are the ones eth-account accepts (tests compare
both), at a fraction of the import cost. `is_address` is the form a commit's
committer may take as an address (lower-case, or EIP-55 checksummed).
"""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.address import (
    address_of_public_key,
    checksum_address,
    is_hex_address,
    keccak256,
)
from numbers_cli.model.secp256k1 import recover_public_key, sign_digest

if TYPE_CHECKING:
    from coincurve import PrivateKey

__all__ = [
    "is_address",
    "personal_bytes_digest",
    "personal_message_digest",
    "recover_bytes_signer",
    "recover_signer",
    "same_address",
    "sign_bytes",
    "sign_text",
]

_PREFIX = b"\x19Ethereum Signed Message:\n"


def personal_bytes_digest(message: bytes) -> bytes:
    """The 32-byte digest EIP-191 (version 0x45) signs for the bytes `message`."""
    return keccak256(_PREFIX + str(len(message)).encode("ascii") + message)


def personal_message_digest(text: str) -> bytes:
    """The 32-byte digest EIP-191 (version 0x45) signs for the UTF-8 `text`."""
    return personal_bytes_digest(text.encode("utf-8"))


def _sign(key: PrivateKey, digest: bytes) -> str:
    r, s, recovery_id = sign_digest(key, digest)
    return "0x" + (r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery_id])).hex()


def sign_text(key: PrivateKey, text: str) -> str:
    """personal_sign of `text`: `0x` + r (32 bytes) + s (32 bytes) + v (27/28), in hex."""
    return _sign(key, personal_message_digest(text))


def sign_bytes(key: PrivateKey, message: bytes) -> str:
    """personal_sign of raw bytes (eth-account's `encode_defunct(primitive=...)`), same form."""
    return _sign(key, personal_bytes_digest(message))


def _signature_bytes(signature: str) -> bytes:
    """Hex text as eth-account reads it (hexbytes): `0x` optional, odd length left-padded."""
    digits = signature[2:] if signature.startswith(("0x", "0X")) else signature
    if len(signature) % 2:
        digits = "0" + digits
    try:
        return binascii.unhexlify(digits.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise InvalidFormat("signature cannot be recovered: it is not hex") from None


def _recovery_id(v: int) -> int:
    """0 or 1 from v as wallets write it: 27/28, 0/1, or EIP-155's 35 + 2 * chain id + bit."""
    if v in (27, 28):
        return v - 27
    if v in (0, 1):
        return v
    if v >= 35:
        return (v - 35) % 2
    raise InvalidFormat(f"signature cannot be recovered: v is {v}, not 0, 1, 27, 28 or 35+")


def recover_signer(text: str, signature: str) -> str:
    """Checksummed address that signed `text` with personal_sign, or InvalidFormat."""
    return _recover(personal_message_digest(text), _signature_bytes(signature))


def recover_bytes_signer(message: bytes, signature: bytes) -> str:
    """Checksummed address that signed the bytes `message` with personal_sign
    (`signature`: 65 raw bytes r ‖ s ‖ v), or InvalidFormat."""
    return _recover(personal_bytes_digest(message), bytes(signature))


def _recover(digest: bytes, raw: bytes) -> str:
    if len(raw) != 65:
        raise InvalidFormat(f"signature cannot be recovered: it is {len(raw)} bytes, not 65")
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:64], "big")
    try:
        public_key = recover_public_key(digest, r, s, _recovery_id(raw[64]))
    except InvalidFormat as exc:
        message = exc.message.removeprefix("signature cannot be recovered: ")
        raise InvalidFormat(f"signature cannot be recovered: {message}") from None
    return address_of_public_key(public_key)


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def is_address(text: object) -> bool:
    """A 0x-address as a commit may name it: all lower-case, or EIP-55 checksummed.

    Mixed case that fails the checksum is a typo or a forgery, not an address;
    upper-case-only hex is refused too, as the Numbers format never writes it.
    """
    if not is_hex_address(text) or not str(text).startswith("0x"):
        return False
    digits = str(text)[2:]
    return digits == digits.lower() or checksum_address(str(text)) == text
