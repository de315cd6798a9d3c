"""push: publish commits to an IPFS remote and a chain."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from numbers_cli.cli.completion import complete_asset, complete_network, complete_remote
from numbers_cli.cli.env import Env, pass_env, passphrase_stdin_option
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import plural, quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.ops import push as push_op
from numbers_cli.ops.identity import get_signer
from numbers_cli.ops.progress import NoProgress
from numbers_cli.ops.session import open_repo

_STATE_TEXT = {
    "pushed": "pushed",
    "recovered": "recovered (sent by an interrupted push)",
    "found": "already on chain",
    "planned": "would push",
}


@click.command(
    epilog=examples(
        "nit push                         # every unpushed commit: IPFS, then the chain",
        "nit push photo.jpg --dry-run     # what would be registered, sending nothing",
        "nit push --network devnet        # to the local devnet (`nit devnet up`)",
        "nit push --no-ipfs               # register on chain only (the IPFS remote is down)",
        "nit push --passphrase-stdin < pass.txt --json",
    )
)
@click.argument("assets", nargs=-1, metavar="[NID|FILE]...", shell_complete=complete_asset)
@click.option(
    "--network",
    metavar="NAME",
    help="Chain to register on (default: core.network).",
    shell_complete=complete_network,
)
@click.option(
    "--remote",
    metavar="NAME",
    help="IPFS remote to upload to (default remote).",
    shell_complete=complete_remote,
)
@click.option("--no-chain", is_flag=True, help="Upload to IPFS only; register nothing.")
@click.option("--no-ipfs", is_flag=True, help="Register on chain only; upload nothing.")
@click.option("--dry-run", is_flag=True, help="Show what would be pushed; send nothing.")
@click.option(
    "--confirmations",
    type=click.IntRange(min=1),
    metavar="N",
    help="Blocks a commit must be under before it counts as pushed (default: the network's).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Push assets even when the chain has commits of them this repository never saw.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@passphrase_stdin_option
@pass_env
@click.pass_context
def push(
    ctx: click.Context,
    env: Env,
    assets: tuple[str, ...],
    network: str | None,
    remote: str | None,
    no_chain: bool,
    no_ipfs: bool,
    dry_run: bool,
    confirmations: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Upload committed assets to IPFS and register their commits on chain.

    Every commit is registered exactly once: run it again after an interruption
    (Ctrl-C, a dead RPC node) and it finishes what was sent before sending more.
    An asset whose on-chain history holds commits this repository never saw
    (another clone moved its head) is not registered: `nit fetch` it first, or
    --force; the push then exits 19.
    """
    repo, config = open_repo(env.cwd)
    options = push_op.PushOptions(
        network=network,
        remote=remote,
        chain=not no_chain,
        ipfs=not no_ipfs,
        dry_run=dry_run,
        confirmations=confirmations,
        assets=tuple(dict.fromkeys(repo.resolve_asset(text) for text in assets)),
        force=force,
    )
    report = push_op.push(
        repo,
        config,
        options,
        lambda: get_signer(config, env.passphrase_source(), passphrase=env.stdin_passphrase()),
        # No console (and no rich) for --json: a bar is only for a person at a terminal.
        NoProgress() if as_json else progress_for(env.err, bool(config.get("core.progress"))),
    )
    if as_json:
        env.json(_as_json(report))
    else:
        _print(env, report, _paths(repo))
    if report.conflicts:  # trace stream (issue 11): push conflicts
        for state in report.conflicts:
            env.err.print(
                f"nit: error: {state.path or state.asset}: the chain has {len(state.unseen)} "
                f"commit(s) of {state.asset} this repository never saw; not pushed "
                f"(`nit fetch {state.asset}` first, or `nit push --force`)",
                markup=False,
            )
        ctx.exit(19)


def _paths(repo: Any) -> dict[Nid, str]:
    return {Nid(t.nid): path for path, t in repo.index().tracked.items()}


def _as_json(report: push_op.PushReport) -> dict[str, Any]:
    network = report.network
    return {
        "network": network.name if network else None,
        "chain_id": network.chain_id if network else None,
        "remote": report.remote,
        "dry_run": report.dry_run,
        "commits": [
            {
                "asset": c.asset,
                "commit": c.commit,
                "state": c.state,
                "tx_hash": c.tx_hash,
                "block": c.block,
                "tx_url": network.tx_url(c.tx_hash) if network and c.tx_hash else None,
            }
            for c in report.commits
        ],
        "uploads": [_plain(u) for u in report.uploads],
        "journalled": report.journalled,
        "notes": ([report.ipfs_note] if report.ipfs_note else []) + report.notes,
        "conflicts": [state.to_json() for state in report.conflicts],
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _print(env: Env, report: push_op.PushReport, paths: dict[Nid, str]) -> None:
    network = report.network
    if report.ipfs_note:
        env.err.print(f"note: {report.ipfs_note}")
    for note in report.notes:
        env.err.print(f"note: {note}", markup=False)
    uploaded = [u for u in report.uploads if getattr(u, "uploaded", True)]
    if report.uploads:
        env.out.print(
            f"IPFS {report.remote}: {plural(len(uploaded), 'object')} uploaded, "
            f"{len(report.uploads) - len(uploaded)} already there"
        )
    if report.journalled:
        env.out.print(
            f"{plural(report.journalled, 'transaction')} of an interrupted push "
            "will be reconciled first"
        )
    for c in report.commits:
        name = quote_path(paths[c.asset]) if c.asset in paths else c.asset
        where = f"  tx {c.tx_hash} block {c.block}" if c.tx_hash else ""
        env.out.print(f"{_STATE_TEXT[c.state]:<16} {name}  commit {c.commit}{where}", markup=False)
        url = network.tx_url(c.tx_hash) if network and c.tx_hash else None
        if url:
            env.out.print(f"{'':<16} {url}")
    if network is None:
        return
    sent = sum(c.state != "planned" for c in report.commits)
    if report.dry_run:
        env.out.print(
            f"{plural(len(report.commits), 'commit')} would be registered on {network.name}"
        )
    elif sent:
        env.out.print(
            f"{plural(sent, 'commit')} registered on {network.name} (chain {network.chain_id})"
        )
    else:
        env.out.print(f"Everything up to date on {network.name}")


COMMANDS = [push]
