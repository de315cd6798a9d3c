"""`nit wallet`: create, import and list the encrypted keystores."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from numbers_cli.config import Config
from numbers_cli.errors import WalletError
from numbers_cli.wallet import (
    WalletInfo,
    create_wallet,
    import_keystore,
    import_private_key,
    list_wallets,
    signer_from_env,
    wallet_address,
)

__all__ = [
    "WalletInfo",
    "active_address",
    "create",
    "import_key",
    "import_keystore_file",
    "keystore_file",
    "listing",
    "require_passphrase",
]


def require_passphrase(passphrase: str, source: str = "the passphrase") -> str:
    """`passphrase` if a new keystore may be encrypted with it; WalletError saying why not.

    An empty passphrase would encrypt the key with nothing: anyone who gets a
    copy of the keystore file (a backup, a synced folder) would have the key.
    """
    if not passphrase:
        raise WalletError(
            f"{source} is empty: a wallet needs a passphrase, or anyone with a copy of "
            "its keystore file has the key",
            hint="choose a passphrase; in CI, NIT_PRIVATE_KEY needs no wallet",
        )
    return passphrase


def create(name: str, passphrase: str) -> str:
    return create_wallet(name, require_passphrase(passphrase))


def import_key(name: str, private_key: str, passphrase: str) -> str:
    return import_private_key(name, private_key, require_passphrase(passphrase))


def import_keystore_file(name: str, path: Path, passphrase: str) -> str:
    return import_keystore(name, path, passphrase)


def keystore_file(name: str) -> Path:
    """Where wallet `name`'s keystore lives (it need not exist)."""
    from numbers_cli.wallet.keystore import wallet_path

    return wallet_path(name)


def listing() -> list[WalletInfo]:
    return list_wallets()


def active_address(
    config: Config, name: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(source, address) of the key commits would be signed with, without unlocking it."""
    if name is None:
        signer = signer_from_env(os.environ if env is None else env)
        if signer is not None:
            return "NIT_PRIVATE_KEY", signer.address
        name = str(config.get("user.wallet"))
    return name, wallet_address(name)
