"""secp256k1 keys and recoverable ECDSA signatures, as Ethereum uses them.

The curve arithmetic is libsecp256k1's, through coincurve: the backend eth-keys
itself picks when coincurve is installed, so signatures are the same bytes as
eth-account's (RFC 6979 deterministic nonces, low s), which the tests check.
Why not go through eth-keys/eth-account: they import eth-utils, pydantic and,
for eth-account, py_ecc's BLS pairing code, about 0.5 s before the first
signature, while coincurve imports in about 15 ms. This module is where that
choice lives; the callers (`model.signature`, `model.transaction`, `wallet`)
see 32-byte digests and 65-byte signatures only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numbers_cli.errors import InvalidFormat

if TYPE_CHECKING:
    from coincurve import PrivateKey

__all__ = [
    "GROUP_ORDER",
    "load_private_key",
    "public_key_bytes",
    "recover_public_key",
    "sign_digest",
]

#: Order of the secp256k1 group: keys, r and s are integers below it.
GROUP_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def load_private_key(raw: bytes) -> PrivateKey:
    """A parsed key from 32 bytes in [1, GROUP_ORDER - 1]; InvalidFormat otherwise.

    The message never includes the bytes (they are a secret).
    """
    from coincurve import PrivateKey

    if not isinstance(raw, bytes | bytearray) or len(raw) != 32:
        raise InvalidFormat("a private key is 32 bytes")
    if not 0 < int.from_bytes(raw, "big") < GROUP_ORDER:
        raise InvalidFormat("not a valid secp256k1 private key")
    return PrivateKey(bytes(raw))


def public_key_bytes(key: PrivateKey) -> bytes:
    """The 64-byte uncompressed public key (x || y), as Ethereum hashes it into an address."""
    return bytes(key.public_key.format(compressed=False)[1:])


def sign_digest(key: PrivateKey, digest: bytes) -> tuple[int, int, int]:
    """(r, s, recovery id 0 or 1) of an ECDSA signature of a 32-byte digest."""
    if len(digest) != 32:
        raise InvalidFormat("a message digest is 32 bytes")
    signature = key.sign_recoverable(digest, hasher=None)
    return (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )


def recover_public_key(digest: bytes, r: int, s: int, recovery_id: int) -> bytes:
    """The 64-byte public key that made signature (r, s, recovery_id) of `digest`.

    The same inputs as eth-keys accepts (r and s below the group order, the id
    0 or 1; a high s is allowed, as ecrecover allows it); anything else, or a
    signature no key can have made, is InvalidFormat.
    """
    from coincurve import PublicKey

    if len(digest) != 32:
        raise InvalidFormat("a message digest is 32 bytes")
    if recovery_id not in (0, 1):
        raise InvalidFormat(f"signature recovery id must be 0 or 1, not {recovery_id}")
    if not (0 <= r < GROUP_ORDER and 0 <= s < GROUP_ORDER):
        raise InvalidFormat("signature r and s must be below the secp256k1 group order")
    compact = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recovery_id])
    try:
        recovered = PublicKey.from_signature_and_message(compact, digest, hasher=None)
    except ValueError as exc:
        raise InvalidFormat(f"no public key recovers from this signature ({exc})") from None
    return bytes(recovered.format(compressed=False)[1:])
