"""nit devnet: a local anvil chain with the IntegrityRegister, for trying push and log --remote."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.group import NitGroup
from numbers_cli.errors import ExitCode
from numbers_cli.ops import devnet as devnet_op
from numbers_cli.ops import settings

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _ether(wei: int) -> str:
    return devnet_op.format_amount(wei, "ETH")


@click.group(
    cls=NitGroup,
    epilog=examples(
        "nit devnet up && nit push --network devnet   # try publishing locally",
        "nit devnet status",
        "nit devnet down",
    ),
)
def devnet() -> None:
    """A real local chain: anvil on 127.0.0.1 with the IntegrityRegister deployed.

    Its chain is kept between runs in the user data dir (NIT_DATA_DIR).
    """


@devnet.command(
    epilog=examples(
        "nit devnet up               # start (or reuse) it on 127.0.0.1:8545",
        "nit devnet up --port 0      # any free port",
        "NIT_ANVIL=~/.foundry/bin/anvil nit devnet up --json",
    )
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port to listen on when starting (0: any free port; default: last run's, else 8545).",
)
@json_option
@pass_env
def up(env: Env, port: int | None, as_json: bool) -> None:
    """Start the devnet (if it is not running), deploy the register, fund your wallet.

    Records the network as [networks.devnet] in the user config. Running it
    again is harmless.
    """
    config, _ = settings.load(env.cwd)
    result = devnet_op.up(config, port=port)
    if as_json:
        env.json(result.to_json())
        return
    process = result.process
    verb = "started" if result.started else "already running"
    version = f" {process.version}" if process.version else ""
    env.out.print(
        f"devnet: anvil{version} {verb} (pid {process.pid}) on {process.rpc_url}, "
        f"chain id {result.network.chain_id}"
    )
    if result.deployed:
        env.out.print(f"IntegrityRegister deployed at {result.network.contract}")
    else:
        env.out.print(f"IntegrityRegister at {result.network.contract}")
    verb = "deployed at" if result.market_deployed else "at"
    env.out.print(
        f"Custody {verb} {result.network.custody}, Licenses {verb} {result.network.licenses}"
    )
    if result.wallet is not None:
        wallet = result.wallet
        funded = f"funded with {_ether(wallet.funded_wei)}, " if wallet.funded_wei else ""
        env.out.print(
            f"wallet {wallet.source} {wallet.address}: {funded}balance {_ether(wallet.balance_wei)}"
        )
    if result.config_written:
        env.out.print(escape(f"recorded [networks.devnet] in {result.config_path}"))
    for note in result.notes:
        env.err.print(escape(f"note: {note}"))


@devnet.command(epilog=examples("nit devnet status", "nit devnet status --json"))
@json_option
@pass_env
@click.pass_context
def status(ctx: click.Context, env: Env, as_json: bool) -> None:
    """Whether the devnet runs, and its node, register and your wallet's balance.

    Exits 0 when it runs and answers, 9 (network) when it is not running or
    does not answer.
    """
    config, _ = settings.load(env.cwd)
    report = devnet_op.status(config)
    if as_json:
        env.json(report.to_json())
    elif report.process is None:
        env.out.print("devnet: not running (`nit devnet up` starts it)")
    else:
        process = report.process
        state = "[green]running[/]" if report.ok else "[red]not answering[/]"
        env.out.print(f"devnet: {state} (pid {process.pid}) on {process.rpc_url}")
        if report.chain_id is not None:
            env.out.print(f"  chain id     {report.chain_id}")
        if report.block_number is not None:
            env.out.print(f"  block        {report.block_number}")
        if report.contract:
            deployed = "" if report.contract_deployed else " [red](no code there)[/]"
            env.out.print(f"  register     {report.contract}{deployed}")
        if report.wallet is not None:
            env.out.print(
                f"  wallet       {report.wallet.source} {report.wallet.address}: "
                f"{_ether(report.wallet.balance_wei)}"
            )
        env.out.print(f"  state        {report.paths.state}")
        env.out.print(f"  log          {report.paths.log}")
        if report.problem:
            env.err.print(escape(f"problem: {report.problem}"))
    if not as_json:
        for note in report.notes:
            env.err.print(escape(f"note: {note}"))
    ctx.exit(0 if report.ok else int(ExitCode.NETWORK))


@devnet.command(
    epilog=examples(
        "nit devnet down           # stop it; its chain is saved for the next `up`",
        "nit devnet down --reset   # stop it and forget its chain",
    )
)
@click.option(
    "--reset",
    is_flag=True,
    help="Also delete the saved chain: every commit on the devnet is forgotten.",
)
@json_option
@pass_env
def down(env: Env, reset: bool, as_json: bool) -> None:
    """Stop the devnet's anvil (only the one `nit devnet up` started); it saves its chain."""
    result = devnet_op.down(reset=reset)
    if as_json:
        env.json(result.to_json())
        return
    if result.stopped:
        how = " (it had to be killed)" if result.killed else ""
        env.out.print(f"devnet stopped (pid {result.pid}){how}")
    elif result.note:
        env.out.print(escape(f"devnet: {result.note}"))
    if result.reset:
        env.out.print("saved chain deleted: the next `nit devnet up` starts a new one")


COMMANDS = [devnet]
