"""fetch: bring an asset's on-chain history into this repository."""

from __future__ import annotations

import click
from rich.text import Text

from numbers_cli.cli.completion import complete_asset, complete_network
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural
from numbers_cli.model.nid import short
from numbers_cli.ops import fetch as fetch_op
from numbers_cli.ops import remote_history as remote_op
from numbers_cli.ops.session import open_repo

_STATE = {
    "new": "history fetched",
    "up-to-date": "already up to date",
    "fast-forward": "fast-forwarded to the chain",
    "ahead": "local history is ahead of the chain",
    "diverged": "diverged: the chain's commits now come first, local-only commits after them",
}


@click.command(
    epilog=examples(
        "nit fetch bafkrei...                # an asset's history from the default network",
        "nit fetch photo.jpg --network snow  # from another chain",
        "nit fetch NID --json",
    )
)
@click.argument("asset", metavar="NID|FILE", shell_complete=complete_asset)
@click.option(
    "--network",
    metavar="NAME",
    help="The chain to read (default: core.network).",
    shell_complete=complete_network,
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
@click.pass_context
def fetch(ctx: click.Context, env: Env, asset: str, network: str | None, as_json: bool) -> None:
    """Bring an asset's on-chain commits into this repository.

    Stores every commit whose signature holds, records them in
    refs/remotes/NETWORK/NID and brings the local history in line (the chain's
    commits first, local-only commits after). AssetTrees come from the store
    or the default IPFS remote (`nit remote`); missing ones are listed. Exits
    14/12/13 when a commit on chain was left out (malformed, bad signature,
    signed by someone else; the rest is fetched), 15 when a fetched commit's
    signer is not tied to its profile committer.
    """
    from numbers_cli.ops.blocks import source_for

    repo, config = open_repo(env.cwd)
    source = source_for(repo, config)
    try:
        with remote_op.connect(config, network) as client:
            result = fetch_op.fetch(repo, client, asset, source=source)
    finally:
        if source is not None:
            source.close()
    if as_json:
        env.json(result.to_json())
    else:
        _print(env, result)
    ctx.exit(int(result.exit_code))


def _print(env: Env, r: fetch_op.FetchResult) -> None:
    line = Text(f"{r.asset} on {r.network}: {plural(r.on_chain, 'commit')} on chain", style="bold")
    if r.rejected:
        line.append(f", {len(r.rejected)} left out", style="red")
    if r.stored:
        line.append(f", {len(r.stored)} new here")
    env.out.print(line)
    env.out.print(_STATE[r.state])
    if r.local_only:
        env.out.print(f"{plural(len(r.local_only), 'local commit')} not pushed")
    for rejected in r.rejected:
        env.err.print(
            Text(
                f"nit: warning: left out on-chain commit #{rejected.index} "
                f"(tx {rejected.tx_hash}): {rejected.reason}",
                style="red",
            )
        )
    for untied in r.untied:
        env.err.print(
            Text(
                f"nit: warning: fetched on-chain commit #{untied.index} "
                f"(tx {untied.tx_hash}) with a warning: {untied.reason}",
                style="yellow",
            )
        )
    if r.missing_trees:
        listed = ", ".join(short(cid, 20) for cid in r.missing_trees[:3])
        more = f" and {len(r.missing_trees) - 3} more" if len(r.missing_trees) > 3 else ""
        env.out.print(
            f"{plural(len(r.missing_trees), 'AssetTree')} in no store or remote reached: "
            f"{listed}{more}"
        )
    if r.tree_error:
        env.out.print(f"the IPFS remote failed: {r.tree_error}")
    if r.invalid_trees:
        env.out.print(f"{plural(len(r.invalid_trees), 'AssetTree')} not valid AssetTree documents")


COMMANDS = [fetch]
