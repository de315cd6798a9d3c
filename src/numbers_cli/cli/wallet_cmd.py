"""nit wallet: keys live in encrypted keystores outside any repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.errors import WalletError
from numbers_cli.ops import settings
from numbers_cli.ops import wallet as wallet_op


def _new_passphrase(env: Env) -> str:
    import os

    given = os.environ.get("NIT_PASSPHRASE")
    if given is not None:
        return given
    if not env.interactive:
        raise WalletError("a passphrase is needed: set NIT_PASSPHRASE or run in a terminal")
    return str(click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True))


@click.group()
def wallet() -> None:
    """Create, import and list wallets (Web3 Secret Storage keystores, mode 0600)."""


@wallet.command()
@click.argument("name", default="default")
@pass_env
def create(env: Env, name: str) -> None:
    """Create a new wallet NAME (default: 'default')."""
    address = wallet_op.create(name, _new_passphrase(env))
    env.out.print(f"created wallet '{name}': {address}")


@wallet.command(name="import")
@click.argument("name", default="default")
@click.option(
    "--keystore",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Import an existing keystore JSON file.",
)
@pass_env
def import_(env: Env, name: str, keystore: Path | None) -> None:
    """Import a private key (read from a hidden prompt or stdin) or a keystore file.

    The key is never taken from the command line, where other users could see it.
    """
    if keystore is not None:
        address = wallet_op.import_keystore_file(name, keystore, _new_passphrase(env))
    else:
        if env.interactive:
            key = str(click.prompt("Private key (hex)", hide_input=True, err=True))
        else:
            key = sys.stdin.readline().strip()
        address = wallet_op.import_key(name, key, _new_passphrase(env))
    env.out.print(f"imported wallet '{name}': {address}")


@wallet.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def address(env: Env, name: str | None, as_json: bool) -> None:
    """Print the address commits are signed with (or that of wallet NAME)."""
    config, _ = settings.load(env.cwd)
    source, addr = wallet_op.active_address(config, name)
    if as_json:
        env.json({"wallet": source, "address": addr})
    else:
        click.echo(addr)


@wallet.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """List wallets; the default one is marked with *."""
    config, _ = settings.load(env.cwd)
    default = str(config.get("user.wallet"))
    wallets = wallet_op.listing()
    if as_json:
        env.json(
            [
                {
                    "name": w.name,
                    "address": w.address,
                    "default": w.name == default,
                    "path": str(w.path),
                }
                for w in wallets
            ]
        )
        return
    if not wallets:
        env.out.print("no wallets yet: `nit wallet create`")
    for w in wallets:
        mark = "*" if w.name == default else " "
        env.out.print(f"{mark} {w.name:20} {w.address or '(unreadable keystore)'}")


COMMANDS = [wallet]
