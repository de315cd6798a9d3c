"""Keys: encrypted keystores in the user's config directory, and the Signer that uses one.

Import from here; `keystore` stores and opens wallets, `signer` holds an opened key.
"""

from numbers_cli.wallet.keystore import (
    PRIVATE_KEY_ENV,
    WALLET_NAME_RE,
    WalletInfo,
    create_wallet,
    import_keystore,
    import_private_key,
    list_wallets,
    signer_from_env,
    unlock,
    wallet_address,
    wallet_path,
    wallets_dir,
)
from numbers_cli.wallet.signer import Signer, parse_private_key

__all__ = [
    "PRIVATE_KEY_ENV",
    "WALLET_NAME_RE",
    "Signer",
    "WalletInfo",
    "create_wallet",
    "import_keystore",
    "import_private_key",
    "list_wallets",
    "parse_private_key",
    "signer_from_env",
    "unlock",
    "wallet_address",
    "wallet_path",
    "wallets_dir",
]
