"""Who signs: the key from `NIT_PRIVATE_KEY` (CI), else the configured wallet,
unlocked with `NIT_PASSPHRASE` or a passphrase the caller asks for."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from numbers_cli.config import Config
from numbers_cli.errors import WalletError
from numbers_cli.wallet import Signer, signer_from_env, unlock, wallet_address

PassphraseSource = Callable[[str], str]


def get_signer(
    config: Config,
    ask_passphrase: PassphraseSource | None = None,
    env: Mapping[str, str] | None = None,
) -> Signer:
    env = os.environ if env is None else env
    from_env = signer_from_env(env)
    if from_env is not None:
        return from_env
    name = str(config.get("user.wallet"))
    try:
        wallet_address(name)  # fails early, with how to create one, if it does not exist
    except WalletError as exc:
        raise WalletError(
            exc.message, hint=f"{exc.hint + '; ' if exc.hint else ''}or set NIT_PRIVATE_KEY in CI"
        ) from exc
    passphrase = env.get("NIT_PASSPHRASE")
    if passphrase is None:
        if ask_passphrase is None:
            raise WalletError(
                f"wallet '{name}' is locked and there is no terminal to ask for its passphrase",
                hint="set NIT_PASSPHRASE, or NIT_PRIVATE_KEY in CI",
            )
        passphrase = ask_passphrase(name)
    return unlock(name, passphrase)
