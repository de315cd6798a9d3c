"""Who signs: the key from `NIT_PRIVATE_KEY` (CI), else the configured wallet,
unlocked with `NIT_PASSPHRASE` or a passphrase the caller asks for."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from numbers_cli.config import Config
from numbers_cli.errors import WalletError, WrongPassphrase
from numbers_cli.wallet import Signer, signer_from_env, unlock, wallet_address

PassphraseSource = Callable[[str], str]

#: How many times a person at a terminal may type the passphrase (as sudo allows).
ATTEMPTS = 3


def get_signer(
    config: Config,
    ask_passphrase: PassphraseSource | None = None,
    env: Mapping[str, str] | None = None,
    *,
    passphrase: str | None = None,
) -> Signer:
    """The signer in force: NIT_PRIVATE_KEY, else the configured wallet unlocked.

    The wallet's passphrase is `passphrase` (given by the caller, e.g. read
    with `--passphrase-stdin`), else NIT_PASSPHRASE, else `ask_passphrase`,
    which is asked up to `ATTEMPTS` times while the answer is wrong.
    """
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
    if passphrase is None:
        passphrase = env.get("NIT_PASSPHRASE")
    if passphrase is not None:
        return unlock(name, passphrase)
    if ask_passphrase is None:
        raise WalletError(
            f"wallet '{name}' is locked and there is no terminal to ask for its passphrase",
            hint="set NIT_PASSPHRASE, use --passphrase-stdin, or NIT_PRIVATE_KEY in CI",
        )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return unlock(name, ask_passphrase(name))
        except WrongPassphrase as exc:
            if attempt == ATTEMPTS:
                raise WrongPassphrase(f"{exc.message} ({ATTEMPTS} attempts)") from None
    raise AssertionError("unreachable")
