"""EIP-191 verification of tree signatures (signing needs a key: see `wallet`).

eth-account is used as a pure function library here (no I/O), imported lazily
so that commands which never verify start fast.
"""

from __future__ import annotations

from numbers_cli.errors import InvalidFormat


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
