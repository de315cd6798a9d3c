"""EIP-191 verification of tree signatures (signing needs a key: see `wallet`).

eth-account is used as a pure function library here (no I/O), imported lazily
so that commands which never verify start fast.
"""

from __future__ import annotations

import re

from numbers_cli.errors import InvalidFormat

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def recover_signer(text: str, signature: str) -> str:
    """Checksummed address that signed `text` with personal_sign, or InvalidFormat."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    except Exception as exc:  # malformed signature bytes raise several types
        raise InvalidFormat(f"signature cannot be recovered: {exc}") from exc


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def is_address(text: object) -> bool:
    """A 0x-address as a commit may name it: all lower-case, or EIP-55 checksummed.

    Mixed case that fails the checksum is a typo or a forgery, not an address;
    upper-case-only hex is refused too, as the Numbers format never writes it.
    """
    if not isinstance(text, str) or not _HEX_ADDRESS.fullmatch(text):
        return False
    digits = text[2:]
    if digits == digits.lower():
        return True
    from eth_utils import to_checksum_address

    return to_checksum_address(text) == text
