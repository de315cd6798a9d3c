"""nit royalty: an asset's revenue distribution plan, and payees' balances and withdrawals."""

from __future__ import annotations

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.market_common import (
    act_on_asset,
    dry_run_option,
    governed,
    json_option,
    network_option,
    print_outcome,
    print_record,
    reading,
    session_for,
    signer_source,
)


@click.group(
    epilog=examples(
        "nit royalty plan photo.jpg --payee 0xAbC...:7000 --payee 0xDef...:3000",
        "nit royalty balance",
        "nit royalty withdraw",
    )
)
def royalty() -> None:
    """How licence sales are split among payees, and payees withdrawing what they are owed."""


@royalty.command(
    epilog=examples(
        "nit royalty plan photo.jpg",
        "nit royalty plan photo.jpg --payee 0xAbC...:7000 --payee 0xDef...:3000",
    )
)
@click.argument("target", metavar="NID|FILE")
@click.option(
    "--payee",
    "payees",
    multiple=True,
    metavar="ADDR:BPS",
    help="A payee and its share in basis points; repeat; shares sum to 10000.",
)
@governed
@pass_env
def plan(
    env: Env,
    target: str,
    payees: tuple[str, ...],
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Show the asset's revenue plan, or set it with --payee ADDR:BPS ...

    Shares are basis points summing to exactly 10000; the first payee also
    gets the rounding dust of every split. Without a plan, sales are credited
    to the custody holder.
    """
    from numbers_cli.ops.market import royalty as royalty_op
    from numbers_cli.ops.market.session import resolve_target

    if payees:
        nid, _, result = act_on_asset(
            env,
            target,
            network,
            royalty_op.set_plan,
            payees,
            dry_run=dry_run,
            no_push=no_push,
            calldata=calldata,
        )
    else:
        nid, _ = resolve_target(env.cwd, target)
        with session_for(env, network) as session:
            result = royalty_op.show_plan(session, nid)
    if as_json:
        env.json(result.to_json())
        return
    if not result.plan.shares:
        env.out.print(f"{nid} has no revenue plan: sales go to its holder {result.holder}")
    else:
        verb = "is"
        if result.unchanged:
            verb = "already is (nothing was sent)"
        elif result.outcome and result.outcome.receipts:
            verb = "set"
        elif result.outcome:
            verb = "would be"
        env.out.print(f"revenue plan of {nid} {verb}:")
        for payee, bps in result.plan.shares:
            env.out.print(f"  {payee}  {bps:>5} bps  ({bps / 100:g}%)")
    if result.outcome:
        print_outcome(env, result.outcome, "set the plan")
    print_record(env, result.record)


@royalty.command(
    epilog=examples("nit royalty balance", "nit royalty balance 0xAbC... --network devnet --json")
)
@click.argument("address", metavar="[ADDR]", required=False)
@reading
@pass_env
def balance(env: Env, address: str | None, network: str | None, as_json: bool) -> None:
    """What ADDR (default: your wallet) may withdraw from licence sales."""
    from numbers_cli.ops.market import royalty as royalty_op

    with session_for(env, network) as session:
        result = royalty_op.balance(session, address)
    if as_json:
        env.json(result.to_json())
        return
    env.out.print(f"{result.address} is owed {result.to_json()['owed']} on {result.network}")


@royalty.command(
    epilog=examples(
        "nit royalty withdraw", "nit royalty withdraw --network devnet --dry-run --json"
    )
)
@network_option
@dry_run_option
@json_option
@pass_env
def withdraw(env: Env, network: str | None, dry_run: bool, as_json: bool) -> None:
    """Withdraw everything your wallet is owed (pull payment, to the wallet itself).

    Exits 21 when nothing is owed.

    \b
    Example:
      nit royalty withdraw --dry-run
    """
    from numbers_cli.ops.market import royalty as royalty_op

    with session_for(env, network) as session:
        result = royalty_op.withdraw(
            session, get_signer=signer_source(env, session), dry_run=dry_run
        )
    if as_json:
        env.json(result.to_json())
        return
    owed = result.balance.to_json()["owed"]
    if not dry_run:
        env.out.print(f"withdrew {owed} to {result.balance.address}")
    print_outcome(env, result.outcome, f"withdraw {owed}")


COMMANDS = [royalty]
