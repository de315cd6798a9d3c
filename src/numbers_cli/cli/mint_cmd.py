"""nit mint: the custody NFT of a registered asset."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.market_common import act_on_asset, print_outcome, print_record, sending


@click.command(
    epilog=examples(
        "nit mint photo.jpg --network devnet",
        "nit mint bafkrei... --to 0xAbC... --royalty 2.5% --dry-run",
    )
)
@click.argument("target", metavar="NID|FILE")
@click.option("--to", "recipient", metavar="ADDR", help="Who receives the token (default: you).")
@click.option(
    "--royalty",
    metavar="BPS",
    default="0",
    show_default=True,
    help="ERC-2981 royalty on resales, in basis points (250) or percent (2.5%).",
)
@sending
@pass_env
def mint(
    env: Env,
    target: str,
    recipient: str | None,
    royalty: str,
    network: str | None,
    dry_run: bool,
    no_push: bool,
    as_json: bool,
) -> None:
    """Mint the custody NFT (ERC-721) of a registered asset.

    Only the wallet that registered the asset on the network may mint it; it
    signs an EIP-712 authorisation naming the recipient, which the contract
    checks. One token per asset: its id is keccak256 of the Nid, its tokenURI
    the metadata JSON (stored here, published by `nit push`). The mint is
    recorded as a commit adding the token to the tree's nftRecord, and pushed.
    If nit was interrupted after the chain mined a mint but before its
    record, running the same command again records it and sends nothing;
    so it does when the mint was done elsewhere with the same wallet (or its
    journal was lost): the chain's mint is found and recorded here.
    """
    from numbers_cli.model.market import parse_bps
    from numbers_cli.ops.market import mint as mint_op

    bps = parse_bps(royalty, what="--royalty")
    nid, session, result = act_on_asset(
        env,
        target,
        network,
        mint_op.mint,
        to=recipient,
        royalty_bps=bps,
        dry_run=dry_run,
        no_push=no_push,
    )
    if as_json:
        env.json(result.to_json())
        return
    if not dry_run:
        env.out.print(
            f"minted the custody NFT of {nid} to {result.recipient} on {session.network.name}"
        )
        env.out.print(f"  contract {session.custody.address} token {result.token_id}")
        env.out.print(f"  tokenURI {result.token_uri}")
    print_outcome(env, result.outcome, "mint")
    print_record(env, result.record)
    for note in result.notes:
        env.err.print(escape(f"note: {note}"))


COMMANDS = [mint]
