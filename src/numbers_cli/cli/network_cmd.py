"""nit network: the chains nit can push to (presets, the devnet, your own [networks.NAME])."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.completion import complete_network
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.group import NitGroup
from numbers_cli.errors import ExitCode
from numbers_cli.ops import networks as networks_op
from numbers_cli.ops import settings
from numbers_cli.ops.networks import NetworkCheck, NetworkInfo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(
    cls=NitGroup,
    epilog=examples(
        "nit network list                 # presets, the devnet, your own; * is core.network",
        "nit network show jade --check    # ask its node: chain id, register, latest block",
        "nit network add jade --rpc https://my-provider.example/v3/KEY   # own RPC, key kept 0600",
        "nit config set core.network snow # push to the testnet by default",
    ),
)
def network() -> None:
    """Add, list, show and remove networks (`core.network` is the default one)."""


@network.command(
    epilog=examples(
        "nit network add local --rpc http://127.0.0.1:8545 --contract 0xABC...",
        "nit network add jade --rpc https://mainnet.infura.example/v3/KEY  # a preset, own RPC",
        "nit network add team --rpc https://rpc.example --chain-id 10507 --repo --json",
    )
)
@click.argument("name")
@click.option(
    "--rpc",
    required=True,
    help="JSON-RPC URL of a node (http:// or https://). Credentials or an API key in it go "
    "to a 0600 credentials file and are masked everywhere.",
)
@click.option("--contract", metavar="ADDR", help="Address of its IntegrityRegister.")
@click.option(
    "--chain-id",
    type=click.IntRange(min=1),
    help="Expected chain id: checked against the node; required if the node does not answer.",
)
@click.option(
    "--confirmations",
    type=click.IntRange(min=1),
    help="Blocks a commit must be under before it counts as pushed (default 1).",
)
@click.option("--currency", metavar="SYM", help="Symbol shown with amounts (default ETH).")
@click.option(
    "--explorer",
    metavar="URL-TEMPLATE",
    help="Transaction page, with {tx_hash}: https://explorer.example/tx/{tx_hash}",
)
@click.option("--repo", "in_repo", is_flag=True, help="Write this repository's config instead.")
@json_option
@pass_env
def add(
    env: Env,
    name: str,
    rpc: str,
    contract: str | None,
    chain_id: int | None,
    confirmations: int | None,
    currency: str | None,
    explorer: str | None,
    in_repo: bool,
    as_json: bool,
) -> None:
    """Add network NAME (or replace it; for a preset: override its RPC and other fields).

    The node is asked for its chain id first, and for code at --contract.
    """
    config, repo_dir = settings.load(env.cwd)
    added = networks_op.add_network(
        config,
        name,
        rpc=rpc,
        contract=contract,
        chain_id=chain_id,
        confirmations=confirmations,
        currency=currency,
        explorer=explorer,
        scope="repo" if in_repo else "user",
        repo_dir=repo_dir,
    )
    if as_json:
        env.json(added.to_json())
        return
    net = added.network
    verb = "replaced" if added.replaced else "added"
    env.out.print(
        escape(
            f"{verb} network {net.name}: chain id {net.chain_id}, {net.rpc_display}"
            + (f", register {net.contract}" if net.contract else "")
            + f" ({added.scope} config {added.path})"
        )
    )
    for warning in added.warnings:
        env.err.print(escape(f"warning: {warning}"))


def _row(info: NetworkInfo) -> str:
    mark = "*" if info.default else " "
    net = info.network
    if net is None:
        return f"{mark} {info.name:12} {'':>6}  [red]{escape(info.problem or '')}[/]"
    source = info.source + (
        " (overrides preset)" if info.preset and info.source != "preset" else ""
    )
    contract = net.contract or "-"
    rpc = escape(net.rpc_display)
    return f"{mark} {info.name:12} {net.chain_id:>6}  {rpc}  {contract}  [dim]{source}[/]"


@network.command(name="list", epilog=examples("nit network list", "nit network list --json"))
@json_option
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """Every network: presets, the devnet and configured ones; * marks core.network."""
    config, _ = settings.load(env.cwd)
    infos = networks_op.list_networks(config)
    if as_json:
        env.json([info.to_json() for info in infos])
        return
    for info in infos:
        env.out.print(_row(info))


def _print_check(env: Env, check: NetworkCheck) -> None:
    def mark(ok: bool | None) -> str:
        return "[green]✓[/]" if ok else "[red]✗[/]" if ok is False else "-"

    env.out.print(f"  {mark(check.reachable)} node answers")
    if check.reachable:
        env.out.print(f"  {mark(check.chain_ok)} chain id {check.chain_id}")
    if check.block_number is not None:
        env.out.print(f"    latest block {check.block_number}")
    if check.contract_ok is not None:
        env.out.print(f"  {mark(check.contract_ok)} register has code")
    if check.problem:
        env.err.print(escape(f"problem: {check.problem}"))


@network.command(epilog=examples("nit network show jade", "nit network show devnet --check --json"))
@click.argument("name", shell_complete=complete_network)
@click.option("--check", "check", is_flag=True, help="Ask the node: chain id, register, block.")
@json_option
@pass_env
@click.pass_context
def show(ctx: click.Context, env: Env, name: str, check: bool, as_json: bool) -> None:
    """Show network NAME; with --check also ask its node (exit 9 if a check fails)."""
    config, _ = settings.load(env.cwd)
    info = networks_op.describe_network(config, name)
    report = networks_op.check_network(info.network) if check and info.network else None
    if as_json:
        document = info.to_json()
        if check:
            document["check"] = report.to_json() if report else None
        env.json(document)
    else:
        net = info.network
        env.out.print(f"{info.name}{' (default)' if info.default else ''}  [dim]{info.source}[/]")
        if net is None:
            env.err.print(escape(f"problem: {info.problem}"))
        else:
            env.out.print(f"  chain id       {net.chain_id}")
            env.out.print(escape(f"  rpc            {net.rpc_display}"))
            env.out.print(f"  contract       {net.contract or '-'}")
            env.out.print(f"  confirmations  {net.confirmations}")
            env.out.print(f"  currency       {net.currency}")
            env.out.print(escape(f"  explorer       {net.explorer_tx_url or '-'}"))
        if report is not None:
            _print_check(env, report)
    failed = info.network is None or (report is not None and not report.ok)
    if failed and (check or info.network is None):
        ctx.exit(int(ExitCode.NETWORK if info.network else ExitCode.CONFIG))


@network.command(epilog=examples("nit network remove local", "nit network remove team --repo"))
@click.argument("name", shell_complete=complete_network)
@click.option("--user", "scope", flag_value="user", help="Only from the user config.")
@click.option("--repo", "scope", flag_value="repo", help="Only from this repository's config.")
@pass_env
def remove(env: Env, name: str, scope: str | None) -> None:
    """Remove [networks.NAME] (from the user config, else the repository's)."""
    _, repo_dir = settings.load(env.cwd)
    where, path = networks_op.remove_network(name, scope=scope, repo_dir=repo_dir)  # type: ignore[arg-type]
    env.out.print(escape(f"removed network {name} from the {where} config ({path})"))


COMMANDS = [network]
