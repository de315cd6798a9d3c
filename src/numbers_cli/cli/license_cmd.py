"""nit license: offer, list, buy, close and check licences of an asset (ERC-1155)."""

from __future__ import annotations

from datetime import UTC, datetime

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
    sending,
    session_for,
)
from numbers_cli.errors import ExitCode


def _date(stamp: int | None) -> str:
    if not stamp:
        return "never"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


@click.group(
    name="license",
    epilog=examples(
        "nit license offer photo.jpg --price 0.01 --supply 100 --terms cc-by-4.0",
        "nit license list photo.jpg",
        "nit license check 0xAbC... photo.jpg --use ai-training",
    ),
)
def license_() -> None:
    """Licences of an asset, sold as ERC-1155 tokens; sales split by its revenue plan."""


@license_.command(
    epilog=examples(
        "nit license offer photo.jpg --price 0.01 --supply 100 --terms mit --allow commercial",
        'nit license offer bafkrei... --price "5 gwei" --supply 3 --terms terms.pdf --expires 30d',
    )
)
@click.argument("target", metavar="NID|FILE")
@click.option("--price", required=True, metavar="AMOUNT", help="0.01 (native units), 5 gwei...")
@click.option("--supply", required=True, type=int, metavar="N", help="How many can be sold.")
@click.option(
    "--terms",
    required=True,
    metavar="LICENCE|FILE|NID",
    help="cc-by-4.0, mit, ... or a licence document (file or Nid).",
)
@click.option("--expires", metavar="DATE", help="2030-01-31, an ISO time, @UNIX or 30d.")
@click.option(
    "--allow",
    metavar="USES",
    help="Uses granted: commercial, ai-training, derivatives (comma-separated) or all.",
)
@governed
@pass_env
def offer(
    env: Env,
    target: str,
    price: str,
    supply: int,
    terms: str,
    expires: str | None,
    allow: str | None,
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Offer licences of an asset: price, supply cap, terms, expiry and uses.

    Only the custody holder (or its governor) may; the uses must be ones the
    asset permits (`nit govern set NID ai-training=yes`). A licence is valid
    until the expiry, which also ends the sale.
    """
    from numbers_cli.ops.market import licenses as licenses_op

    nid, session, result = act_on_asset(
        env,
        target,
        network,
        licenses_op.create_offer,
        price=price,
        supply=supply,
        terms=terms,
        expires=expires,
        allow=allow,
        dry_run=dry_run,
        no_push=no_push,
        calldata=calldata,
    )
    if as_json:
        env.json(result.to_json())
        return
    if result.offer_id is not None:
        env.out.print(f"offer {result.offer_id} of {nid} created on {session.network.name}")
    print_outcome(env, result.outcome, "create the offer")
    print_record(env, result.record)


@license_.command(
    name="list",
    epilog=examples(
        "nit license list photo.jpg", "nit license list bafkrei... --network devnet --json"
    ),
)
@click.argument("target", metavar="NID|FILE")
@reading
@pass_env
def list_(env: Env, target: str, network: str | None, as_json: bool) -> None:
    """List an asset's licence offers and what is left of each.

    \b
    Example:
      nit license list photo.jpg --json
    """
    from numbers_cli.ops.market import licenses as licenses_op
    from numbers_cli.ops.market.session import resolve_target

    nid, _ = resolve_target(env.cwd, target)
    with session_for(env, network) as session:
        offers, now = licenses_op.list_offers(session, nid)
    currency = session.network.currency
    rows = [licenses_op.offer_json(o, now, currency) for o in offers]
    if as_json:
        env.json({"nid": nid, "network": session.network.name, "offers": rows})
        return
    if not rows:
        env.out.print(f"{nid} has no licence offers on {session.network.name}")
        return
    for row, item in zip(rows, offers, strict=True):
        uses = ", ".join(row["uses"]) or "no specific use"
        env.out.print(
            f"offer {row['offer']:<4} {row['status']:<9} {row['price']:>16}  "
            f"{row['sold']}/{row['supply']} sold  expires {_date(item.expiry)}  grants {uses}"
        )
        env.out.print(f"           terms {row['terms']}")


@license_.command(
    epilog=examples(
        "nit license buy photo.jpg 1",
        "nit license buy bafkrei... 2 --network devnet --dry-run",
        "nit license buy bafkrei... 2 --again    # a second licence, on purpose",
    )
)
@click.argument("target", metavar="NID|FILE")
@click.argument("offer_id", metavar="OFFER", type=int)
@click.option(
    "--again",
    is_flag=True,
    help="Buy another licence although this wallet bought this offer before.",
)
@sending
@pass_env
def buy(
    env: Env,
    target: str,
    offer_id: int,
    again: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Buy one licence of an offer at its exact price.

    The payment is credited to the asset's payees, who withdraw it with
    `nit royalty withdraw`. A wallet that bought this offer before is refused
    (exit 21, naming that purchase) unless `--again`: a retry whose journal is
    lost is never a second payment.

    \b
    Example:
      nit license buy bafkrei... 1 --dry-run
      nit license buy bafkrei... 1 --again     # a second licence, on purpose
    """
    from numbers_cli.ops.market import purchase as purchase_op

    nid, _, result = act_on_asset(
        env,
        target,
        network,
        purchase_op.buy,
        offer_id,
        dry_run=dry_run,
        no_push=no_push,
        again=again,
    )
    if as_json:
        env.json(result.to_json())
        return
    if not dry_run:
        env.out.print(f"bought a licence of {nid} (offer {offer_id}) for {result.buyer}")
    print_outcome(env, result.outcome, "buy the licence")
    print_record(env, result.record)


@license_.command(
    epilog=examples(
        "nit license close photo.jpg 1",
        "nit license close bafkrei... 2 --calldata  # for a DAO proposal",
    )
)
@click.argument("target", metavar="NID|FILE")
@click.argument("offer_id", metavar="OFFER", type=int)
@governed
@pass_env
def close(
    env: Env,
    target: str,
    offer_id: int,
    calldata: bool,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Stop selling an offer; licences already sold stay valid.

    \b
    Example:
      nit license close photo.jpg 2
    """
    from numbers_cli.ops.market import licenses as licenses_op

    nid, _, outcome = act_on_asset(
        env,
        target,
        network,
        licenses_op.close_offer,
        offer_id,
        dry_run=dry_run,
        no_push=no_push,
        calldata=calldata,
    )
    if as_json:
        env.json({"nid": nid, "offer": offer_id, **outcome.to_json()})
        return
    if outcome.receipts:
        env.out.print(f"offer {offer_id} of {nid} closed")
    print_outcome(env, outcome, "close the offer")


@license_.command(
    epilog=examples(
        "nit license check 0xAbC... bafkrei... --use ai-training",
        "nit license check 0xAbC... photo.jpg --json",
    )
)
@click.argument("address", metavar="ADDR")
@click.argument("target", metavar="NID|FILE")
@click.option(
    "--use",
    "uses",
    multiple=True,
    metavar="USE",
    help="A use the licence must grant (commercial, ai-training, derivatives); repeatable.",
)
@reading
@pass_env
@click.pass_context
def check(
    ctx: click.Context,
    env: Env,
    address: str,
    target: str,
    uses: tuple[str, ...],
    network: str | None,
    as_json: bool,
) -> None:
    """Does ADDR hold a valid, unexpired licence of the asset granting the use?

    Exits 0 when it does, 22 when it does not (other codes: it could not tell).
    """
    from numbers_cli.model.market import parse_uses
    from numbers_cli.ops.market import check as check_op
    from numbers_cli.ops.market.session import resolve_target

    nid, _ = resolve_target(env.cwd, target)
    bits = parse_uses(",".join(uses))
    with session_for(env, network) as session:
        report = check_op.license_status(session, address, nid, bits)
    if as_json:
        env.json(report.to_json())
    elif report.licensed:
        expiry = report.offer.expiry if report.offer else 0
        env.out.print(
            escape(f"licensed: {report.address} {report.reason} of {nid} (expires {_date(expiry)})")
        )
    else:
        env.out.print(escape(f"not licensed: {report.address} {report.reason}"))
    ctx.exit(0 if report.licensed else int(ExitCode.NOT_LICENSED))


COMMANDS = [license_]
