"""Keccak-256 and Ethereum addresses (EIP-55 checksums), without eth-utils.

Why not eth-utils' `keccak` and `to_checksum_address`: importing eth-utils
costs about 0.15 s (it pulls in pydantic and importlib.metadata), more than
everything else a signing or verifying command imports. Keccak-256 comes from
safe-pysha3, the C extension eth-hash uses as its `pysha3` backend (3 ms to
import; pycryptodome's keccak, eth-hash's other backend, costs 55 ms because
it parses C declarations with pycparser at import). The EIP-55 rule is the few
lines the EIP defines. Tests hold both to published vectors and to eth-utils.
"""

from __future__ import annotations

from functools import lru_cache

from numbers_cli.errors import InvalidFormat

__all__ = [
    "address_of_public_key",
    "checksum_address",
    "is_hex_address",
    "keccak256",
]

_HEX = frozenset("0123456789abcdefABCDEF")


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest (Ethereum's, not NIST SHA3-256)."""
    from sha3 import keccak_256

    return keccak_256(data).digest()


def is_hex_address(text: object) -> bool:
    """Whether `text` is 40 hex digits after `0x`, in any case (no checksum check)."""
    return (
        isinstance(text, str)
        and len(text) == 42
        and text[:2] in ("0x", "0X")
        and _HEX.issuperset(text[2:])
    )


def checksum_address(text: str) -> str:
    """The EIP-55 form of an address: 40 hex digits in any case, `0x` optional.

    InvalidFormat if it is not one. The checksum is not *checked* here: a
    mixed-case input with a wrong checksum is normalised, as eth-utils'
    `to_checksum_address` does (it takes the same inputs).
    """
    bare = text[2:] if isinstance(text, str) and text[:2] in ("0x", "0X") else text
    if not isinstance(bare, str) or len(bare) != 40 or not _HEX.issuperset(bare):
        raise InvalidFormat(f"not an address: {text!r:.60}")
    return _checksummed(bare.lower())


@lru_cache(maxsize=4096)
def _checksummed(bare: str) -> str:
    """EIP-55 of 40 lower-case hex digits. Cached: a history of a thousand commits
    names the same few signers thousands of times (signer, committer, recorder)."""
    digest = keccak256(bare.encode("ascii")).hex()[:40]
    pairs = zip(bare, bare.upper(), digest, strict=True)
    return "0x" + "".join([big if nibble in "89abcdef" else small for small, big, nibble in pairs])


def address_of_public_key(public_key: bytes) -> str:
    """Checksummed address of a 64-byte uncompressed public key (x || y, no 0x04 prefix)."""
    if len(public_key) != 64:
        raise InvalidFormat("an uncompressed public key is 64 bytes")
    return checksum_address("0x" + keccak256(public_key)[-20:].hex())
