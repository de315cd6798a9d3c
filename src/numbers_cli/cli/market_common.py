"""What the market commands (mint, license, royalty, govern, contracts) share:
their common options, opening a market session, and how a transaction's
outcome and its recording commit are shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape

from numbers_cli.cli.env import Env

if TYPE_CHECKING:  # the operations are imported when a command runs, not for `nit --help`
    from numbers_cli.ops.market.record import Recorded
    from numbers_cli.ops.market.session import MarketSession, Outcome
    from numbers_cli.wallet import Signer

F = TypeVar("F", bound=Callable[..., Any])

network_option = click.option(
    "--network", metavar="NAME", help="Chain to act on (default: core.network)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything and show the cost; send nothing.",
)
calldata_option = click.option(
    "--calldata",
    is_flag=True,
    help="Only print the transaction(s) for the asset's governor (a Safe, a DAO) to send.",
)
no_push_option = click.option(
    "--no-push",
    is_flag=True,
    help="Commit the record of the action locally, but do not push it.",
)


def sending(func: F) -> F:
    """--network, --dry-run, --no-push and --json: the options of every command that sends."""
    for option in (json_option, no_push_option, dry_run_option, network_option):
        func = option(func)
    return func


def governed(func: F) -> F:
    """--calldata then the sending options: a command the asset's governor (a Safe,
    a DAO) may need as calldata rather than sent."""
    return calldata_option(sending(func))


def reading(func: F) -> F:
    """--network and --json: the options of every command that only reads the chain."""
    return network_option(json_option(func))


def act_on_asset(
    env: Env,
    target: str,
    network: str | None,
    action: Callable[..., Any],
    *args: Any,
    dry_run: bool,
    no_push: bool,
    calldata: bool | None = None,
    **kwargs: Any,
) -> tuple[str, MarketSession, Any]:
    """Resolve NID|FILE, open the market session and run one recorded action on the
    asset with the wallet's signer and the sending flags; `calldata` is passed as
    `calldata_only` only to actions that offer it. Returns (nid, session, result)."""
    from numbers_cli.ops.market.session import resolve_target

    nid, repo = resolve_target(env.cwd, target)
    if calldata is not None:
        kwargs["calldata_only"] = calldata
    with session_for(env, network) as session:
        result = action(
            session,
            repo,
            nid,
            *args,
            get_signer=signer_source(env, session),
            dry_run=dry_run,
            push=not no_push,
            **kwargs,
        )
    return nid, session, result


def session_for(env: Env, network: str | None) -> MarketSession:
    from numbers_cli.ops import settings
    from numbers_cli.ops.market.session import open_market

    config, _ = settings.load(env.cwd)
    return open_market(config, network)


def signer_source(env: Env, session: MarketSession) -> Callable[[], Signer]:
    from numbers_cli.ops.identity import get_signer

    return lambda: get_signer(session.config, env.passphrase_source())


def print_outcome(env: Env, outcome: Outcome, what: str) -> None:
    """One line per transaction sent (with its explorer page), or what a dry run found;
    notes on interrupted actions finished first (ops.market.recovery)."""
    network = outcome.network
    for item in outcome.finished:
        if item["state"] == "finished":
            recorded = f", recorded as commit {item['commit']}" if item.get("commit") else ""
            env.err.print(
                escape(
                    f"note: finished the interrupted {item['action']} of {item['asset']} "
                    f"(tx {item['tx']}){recorded}"
                )
            )
        elif item["state"] == "pending" and item.get("sameRequest"):
            env.err.print(
                escape(
                    f"note: an interrupted run already sent this {item['action']} of "
                    f"{item['asset']} (tx {item['tx']}): the real run finishes it and sends "
                    "nothing again"
                )
            )
        elif item["state"] == "pending":
            env.err.print(
                escape(
                    f"note: the real run would first finish the interrupted {item['action']} "
                    f"of {item['asset']} (tx {item['tx']})"
                )
            )
        else:
            env.err.print(escape(f"note: {item['action']} of {item['asset']}: {item['note']}"))
    if outcome.calldata_only:
        env.out.print(
            f"Transaction(s) to {what}, for the asset's governor to send on {network.name}:"
        )
        for call in outcome.calls:
            env.out.print(f"  to    {call['to']}")
            env.out.print(f"  data  0x{bytes(call['data']).hex()}")
            env.out.print(f"  value {call.get('value', 0)}")
        return
    if outcome.dry_run and outcome.estimate is not None:
        estimate = outcome.estimate
        count = len(outcome.calls)
        plural = "s" if count > 1 else ""
        paid = estimate.to_json(network.currency)["expectedCost"]
        value = ""
        if estimate.value_wei:
            from numbers_cli.chain import format_amount

            value = f" + {format_amount(estimate.value_wei, network.currency)} paid"
            paid = format_amount(estimate.expected_wei, network.currency)
        env.out.print(
            f"dry run: would send {count} transaction{plural} to {what} on {network.name} "
            f"from {estimate.sender}: {sum(estimate.gas)} gas{value}, about {paid} in all; "
            "nothing was sent"
        )
        return
    if outcome.dry_run and outcome.from_chain:
        env.out.print(
            f"dry run: this action ({what}) is on the chain already but not recorded "
            "here; the real run records it and sends nothing"
        )
    elif outcome.dry_run and outcome.recovered:
        env.out.print(
            f"dry run: an interrupted run already sent this {what}; "
            "the real run finishes it and sends nothing"
        )
    elif outcome.from_chain:
        env.out.print(
            "  (mined earlier but not recorded here, found on the chain and recorded now: "
            "nothing was sent)"
        )
    elif outcome.recovered:
        env.out.print("  (sent by an interrupted run and finished now: nothing was sent again)")
    for receipt in outcome.receipts:
        env.out.print(
            f"  tx {receipt.tx_hash} in block {receipt.block_number} ({receipt.gas_used} gas)"
        )
        url = network.tx_url(receipt.tx_hash)
        if url:
            env.out.print(f"     {url}")


def print_record(env: Env, record: Recorded | None, *, shown_when_none: str | None = None) -> None:
    if record is None:
        if shown_when_none:
            env.err.print(escape(f"note: {shown_when_none}"))
        return
    env.out.print(f"recorded as commit {record.commit} ({record.action_name})")
    if record.pushed_tx:
        env.out.print(f"  pushed in tx {record.pushed_tx}")
    for note in record.notes:
        env.err.print(escape(f"note: {note}"))
