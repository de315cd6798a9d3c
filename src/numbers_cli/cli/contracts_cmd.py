"""nit contracts: put nit's market contracts (Custody, Licenses) on a network."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.market_common import json_option


@click.group(epilog=examples("nit contracts deploy --network my-chain"))
def contracts() -> None:
    """nit's market contracts on a chain (the devnet gets them from `nit devnet up`)."""


@contracts.command(
    epilog=examples(
        "nit contracts deploy --network my-chain",
        "nit contracts deploy --network my-chain --dry-run --json",
    )
)
@click.option("--network", metavar="NAME", help="Chain to deploy to (default: core.network).")
@click.option("--force", is_flag=True, help="Deploy new ones even if the network has them.")
@click.option("--dry-run", is_flag=True, help="Show the cost; send nothing.")
@json_option
@pass_env
def deploy(env: Env, network: str | None, force: bool, dry_run: bool, as_json: bool) -> None:
    """Deploy Custody and Licenses and record them in [networks.NAME].

    The chain must support the Cancun fork (the contracts use MCOPY and
    transient storage). Running it again keeps contracts that are there.

    \b
    Example:
      nit network add mychain --rpc https://rpc.example --contract 0x...
      nit contracts deploy --network mychain --dry-run
    """
    from numbers_cli.ops import settings
    from numbers_cli.ops import wallet as wallet_op
    from numbers_cli.ops.identity import get_signer
    from numbers_cli.ops.market.deploy import deploy_contracts

    config, _ = settings.load(env.cwd)
    sender = wallet_op.active_address(config)[1] if dry_run else None
    result = deploy_contracts(
        config,
        network,
        get_signer=lambda: get_signer(config, env.passphrase_source()),
        sender=sender,
        force=force,
        dry_run=dry_run,
    )
    if as_json:
        env.json(result.to_json())
        return
    net = result.network
    if result.dry_run and result.estimate:
        cost = result.estimate.to_json(net.currency)["expectedCost"]
        env.out.print(
            f"dry run: deploying Custody and Licenses on {net.name} would take "
            f"{sum(result.estimate.gas)} gas, about {cost}; nothing was sent"
        )
        return
    verb = "deployed" if result.deployed else "already deployed"
    env.out.print(f"Custody {verb} at {net.custody} on {net.name}")
    env.out.print(f"Licenses {verb} at {net.licenses}")
    if result.config_path:
        env.out.print(escape(f"recorded in [networks.{net.name}] of {result.config_path}"))


COMMANDS = [contracts]
