"""nit wallet: keys live in encrypted keystores outside any repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from numbers_cli.cli.completion import complete_wallet
from numbers_cli.cli.env import Env, pass_env, passphrase_stdin_option
from numbers_cli.cli.examples import examples
from numbers_cli.cli.group import NitGroup
from numbers_cli.ops import settings
from numbers_cli.ops import wallet as wallet_op

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(
    cls=NitGroup,
    epilog=examples(
        "nit wallet create               # the 'default' wallet (asks for a passphrase)",
        "nit wallet import work < key    # a private key from stdin, never from the command line",
        "nit wallet list",
        "nit config set user.wallet work # sign with 'work' from now on",
    ),
)
def wallet() -> None:
    """Create, import and list wallets (Web3 Secret Storage keystores, mode 0600)."""


@wallet.command(
    epilog=examples(
        "nit wallet create                        # asks twice for a passphrase",
        "nit wallet create work --json           # another wallet; JSON for scripts",
        "nit wallet create --passphrase-stdin < pass.txt",
        "NIT_PASSPHRASE=... nit wallet create ci",
    )
)
@click.argument("name", default="default")
@passphrase_stdin_option
@json_option
@pass_env
def create(env: Env, name: str, as_json: bool) -> None:
    """Create a new wallet NAME (default: 'default').

    Its key is encrypted with a passphrase (not empty): from --passphrase-stdin,
    NIT_PASSPHRASE, or asked twice on a terminal.
    """
    address = wallet_op.create(name, env.new_passphrase())
    if as_json:
        env.json({"wallet": name, "address": address, "path": str(wallet_op.keystore_file(name))})
        return
    env.out.print(f"created wallet '{name}': {address}", markup=False)


@wallet.command(
    name="import",
    epilog=examples(
        "nit wallet import                   # asks for the key (hidden), then a passphrase",
        "nit wallet import work < key.txt    # the key from stdin (one line of hex)",
        'printf \'%s\\n%s\\n\' "$KEY" "$PASS" | nit wallet import ci --passphrase-stdin',
        "nit wallet import old --keystore UTC--2024...json",
    ),
)
@click.argument("name", default="default")
@click.option(
    "--keystore",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Import an existing keystore JSON file.",
)
@passphrase_stdin_option
@json_option
@pass_env
def import_(env: Env, name: str, keystore: Path | None, as_json: bool) -> None:
    """Import a private key (read from a hidden prompt or stdin) or a keystore file.

    The key is never taken from the command line, where other users could see
    it. With --passphrase-stdin and a key from stdin, the key is the first
    line and the passphrase the second.
    """
    if keystore is not None:
        address = wallet_op.import_keystore_file(name, keystore, env.new_passphrase())
    else:
        if env.interactive:
            key = str(click.prompt("Private key (hex)", hide_input=True, err=True))
        else:
            key = sys.stdin.readline().strip()
        address = wallet_op.import_key(name, key, env.new_passphrase())
    if as_json:
        env.json({"wallet": name, "address": address, "path": str(wallet_op.keystore_file(name))})
        return
    env.out.print(f"imported wallet '{name}': {address}", markup=False)


@wallet.command(
    epilog=examples(
        "nit wallet address          # the address that signs (NIT_PRIVATE_KEY or user.wallet)",
        "nit wallet address work",
        "nit wallet address --json",
    )
)
@click.argument("name", required=False, shell_complete=complete_wallet)
@json_option
@pass_env
def address(env: Env, name: str | None, as_json: bool) -> None:
    """Print the address commits are signed with (or that of wallet NAME)."""
    config, _ = settings.load(env.cwd)
    source, addr = wallet_op.active_address(config, name)
    if as_json:
        env.json({"wallet": source, "address": addr})
    else:
        click.echo(addr)


@wallet.command(name="list", epilog=examples("nit wallet list", "nit wallet list --json"))
@json_option
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
        env.out.print(f"{mark} {w.name:20} {w.address or '(unreadable keystore)'}", markup=False)


COMMANDS = [wallet]
