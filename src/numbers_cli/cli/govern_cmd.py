"""nit govern: an asset's rules, set only by its custody holder or the governor it appointed."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.market_common import (
    act_on_asset,
    governed,
    print_outcome,
    print_record,
    reading,
    session_for,
)


@click.group(
    epilog=examples(
        "nit govern show photo.jpg",
        "nit govern set photo.jpg ai-training=no",
        "nit govern hand-over photo.jpg 0xTimelock...",
    )
)
def govern() -> None:
    """Rules of an asset: usage flags, royalty, and who governs them (holder or governor)."""


@govern.command(
    epilog=examples(
        "nit govern show photo.jpg", "nit govern show bafkrei... --network devnet --json"
    )
)
@click.argument("target", metavar="NID|FILE")
@reading
@pass_env
def show(env: Env, target: str, network: str | None, as_json: bool) -> None:
    """Holder, governor, usage flags, royalty, revenue plan and offers of an asset.

    \b
    Example:
      nit govern show photo.jpg --json
    """
    from numbers_cli.ops.market import govern as govern_op
    from numbers_cli.ops.market.session import resolve_target

    nid, _ = resolve_target(env.cwd, target)
    with session_for(env, network) as session:
        report = govern_op.show(session, nid)
    data = report.to_json()
    if as_json:
        env.json(data)
        return
    rules = report.rules
    env.out.print(f"{'asset':<12}{nid} on {report.network}")
    env.out.print(f"{'token':<12}{rules.token_id} of Custody {report.custody}")
    env.out.print(f"{'tokenURI':<12}{report.token_uri}")
    env.out.print(f"{'holder':<12}{rules.holder}")
    governor = rules.governor or "none (the holder governs)"
    env.out.print(f"{'governor':<12}{governor}")
    for name, allowed in data["usage"].items():
        env.out.print(f"{name:<12}{'yes' if allowed else 'no'}")
    env.out.print(f"{'royalty':<12}{rules.royalty_bps} bps ({rules.royalty_bps / 100:g}%)")
    if report.plan.shares:
        plan = ", ".join(f"{p} {b / 100:g}%" for p, b in report.plan.shares)
    else:
        plan = "none (sales go to the holder)"
    env.out.print(escape(f"{'plan':<12}{plan}"))
    env.out.print(f"{'offers':<12}{len(report.offers)} (`nit license list {nid}`)")


@govern.command(
    name="set",
    epilog=examples(
        "nit govern set photo.jpg ai-training=no commercial=yes royalty=2.5%",
        "nit govern set bafkrei... usage=all --calldata    # for a DAO proposal",
    ),
)
@click.argument("target", metavar="NID|FILE")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@governed
@pass_env
def set_(
    env: Env,
    target: str,
    assignments: tuple[str, ...],
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Set usage flags and the royalty.

    \b
    Keys:
      commercial=yes|no  ai-training=yes|no  derivatives=yes|no
      usage=commercial,ai-training   (exactly these; usage=none for none)
      royalty=BPS or royalty=2.5%    (ERC-2981, paid to the holder on resales)
    """
    from numbers_cli.ops.market import govern as govern_op

    _, _, change = act_on_asset(
        env,
        target,
        network,
        govern_op.set_rules,
        assignments,
        dry_run=dry_run,
        no_push=no_push,
        calldata=calldata,
    )
    _print_change(env, change, "set the rules", as_json)


@govern.command(
    name="hand-over",
    epilog=examples(
        "nit govern hand-over photo.jpg 0xSafe...",
        "nit govern hand-over bafkrei... 0xTimelock... --dry-run",
    ),
)
@click.argument("target", metavar="NID|FILE")
@click.argument("governor", metavar="ADDR")
@governed
@pass_env
def hand_over(
    env: Env,
    target: str,
    governor: str,
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Appoint ADDR (a Safe, a DAO's TimelockController...) to govern the asset.

    From then on only ADDR sets the rules, offers and plan, and only ADDR can
    hand control back (`nit govern take-back`); transferring the custody token
    clears it.

    \b
    Example:
      nit govern hand-over photo.jpg 0xTimelock... --dry-run
    """
    from numbers_cli.ops.market import govern as govern_op

    _, _, change = act_on_asset(
        env,
        target,
        network,
        govern_op.hand_over,
        governor,
        dry_run=dry_run,
        no_push=no_push,
        calldata=calldata,
    )
    _print_change(env, change, "hand over governance", as_json)


@govern.command(
    name="take-back",
    epilog=examples(
        "NIT_PRIVATE_KEY=... nit govern take-back bafkrei... --network devnet",
        "nit govern take-back photo.jpg --calldata --json",
    ),
)
@click.argument("target", metavar="NID|FILE")
@governed
@pass_env
def take_back(
    env: Env,
    target: str,
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Hand governance back to the custody holder; sent by the current governor.

    A DAO's timelock cannot run nit: `--calldata` prints the transaction for
    its proposal.
    """
    from numbers_cli.ops.market import govern as govern_op

    _, _, change = act_on_asset(
        env,
        target,
        network,
        govern_op.take_back,
        dry_run=dry_run,
        no_push=no_push,
        calldata=calldata,
    )
    _print_change(env, change, "hand governance back", as_json)


def _print_change(env: Env, change, what: str, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        env.json(change.to_json())
        return
    notes = list(change.notes)
    if change.unchanged:  # the chain has it already: the first note says so
        prefix = "dry run: " if change.outcome and change.outcome.dry_run else ""
        env.out.print(escape(f"{prefix}{what}: {notes.pop(0)}"))
    if change.outcome and change.outcome.receipts:
        env.out.print(f"{what}: done for {change.nid}")
    if change.outcome:
        print_outcome(env, change.outcome, what)
    print_record(env, change.record)
    for note in notes:
        env.err.print(escape(f"note: {note}"))


COMMANDS = [govern]
