"""verify, fsck: proving provenance and repository integrity."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from numbers_cli.cli.completion import complete_object
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural
from numbers_cli.errors import ExitCode
from numbers_cli.ops import fsck as fsck_op
from numbers_cli.ops import verify as verify_op
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _check_line(check: verify_op.Check) -> str:
    """One check as a line; its detail may hold brackets (`[signers]`), never markup."""
    mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
    return f"{mark} {check.name:10} {escape(check.detail)}"


@click.command(
    epilog=examples(
        "nit verify IMG_0042.jpg                       # is it the asset, with a valid history?",
        "nit verify ~/Downloads/received.jpg --json    # any file, received from anywhere",
        "nit verify bafkre…x7q2                        # an asset or commit by (short) Nid",
        "nit verify bafkrei... --policy newsroom.toml  # also require your rules",
        "nit verify IMG_0042.jpg --remote              # against the chain's latest commit",
    )
)
@click.argument("target", metavar="FILE|NID|COMMIT", shell_complete=complete_object)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML rules to require beyond valid links: allowed signers, tree fields, age, NFT.",
)
@click.option(
    "--remote",
    is_flag=True,
    help="Check against the chain: its latest commit of the asset, that commit's tree "
    "(here, else the IPFS remote), signature and committer; and where the local head stands.",
)
@click.option("--network", metavar="NAME", help="The chain for --remote (implies it).")
@json_option
@pass_env
@click.pass_context
def verify(
    ctx: click.Context,
    env: Env,
    target: str,
    policy_file: Path | None,
    remote: bool,
    network: str | None,
    as_json: bool,
) -> None:
    """Check a file's or asset's provenance: content → tree → signature → committer.

    FILE may be any file, received from anywhere: it is hashed and its Nid
    looked up in this repository.

    Exits 0 only if every check holds; 10 content, 11 tree, 12 signature,
    13 signer ≠ committer, 14 malformed commit, 15 signer not tied to a
    profile committer, 16 a --policy rule, 5 a stored object was altered.

    With --remote (or --network NAME) the chain's latest commit of the asset is
    the one checked (a COMMIT: that on-chain commit), its tree read here or
    from the IPFS remote, and the local head said to be up to date, ahead,
    behind or diverged; FILE|NID then needs no repository.
    """
    policy = verify_op.load_policy(policy_file) if policy_file is not None else None
    if remote or network is not None:  # trace stream (issue 11)
        ctx.exit(_verify_remote(env, target, network, policy, as_json))
    repo, config = open_repo(env.cwd)
    verdict = verify_op.verify(repo, target, config=config, policy=policy)
    if as_json:
        env.json(verdict.to_json())
    else:
        for check in verdict.content:
            env.out.print(_check_line(check))
        for cv in verdict.commits:
            env.out.print(f"[yellow]commit #{cv.index} {cv.commit_nid}[/]")
            for check in cv.checks:
                env.out.print("  " + _check_line(check))
        for check in verdict.policy:
            env.out.print(_check_line(check))
        if verdict.c2pa is not None:  # data stream (issue 15): informative, never fails
            mark = "[yellow]![/]" if verdict.c2pa.warning else "[green]✓[/]"
            env.out.print(f"{mark} {'c2pa':10} {verdict.c2pa.state}: {escape(verdict.c2pa.detail)}")
        if verdict.ok:
            env.out.print(f"[bold green]VERIFIED[/] {verdict.asset or target}")
        else:
            env.out.print(f"[bold red]FAILED[/] {verdict.asset or target}")
    ctx.exit(int(verdict.exit_code))


def _verify_remote(
    env: Env, target: str, network: str | None, policy: object, as_json: bool
) -> int:
    from numbers_cli.ops.remote_history import connect, open_optional_repo
    from numbers_cli.ops.remote_verify import verify_remote

    repo, config = open_optional_repo(env.cwd)
    with connect(config, network) as client:
        verdict = verify_remote(repo, client, target, config=config, policy=policy)  # type: ignore[arg-type]
    if as_json:
        env.json(verdict.to_json())
        return int(verdict.exit_code)
    env.out.print(f"[yellow]asset {verdict.asset} on {verdict.network}[/]")
    for check in verdict.checks:
        env.out.print(_check_line(check))
    if verdict.head is not None:
        head = verdict.head
        env.out.print(
            f"  local head {head.state} ({head.local} local, {head.chain} on chain"
            + (f", {len(head.unseen)} never seen here: `nit fetch`" if head.unseen else "")
            + ")"
        )
    word = "[bold green]VERIFIED[/]" if verdict.ok else "[bold red]FAILED[/]"
    env.out.print(f"{word} {verdict.asset} against {verdict.network}")
    return int(verdict.exit_code)


@click.command(
    epilog=examples(
        "nit fsck          # check everything; exit 5 if anything is wrong",
        "nit fsck --json   # the problems, for scripts",
    )
)
@json_option
@pass_env
@click.pass_context
def fsck(ctx: click.Context, env: Env, as_json: bool) -> None:
    """Re-hash every object, resolve every ref, check every signature."""
    repo, _ = open_repo(env.cwd)
    report = fsck_op.fsck(repo)
    if as_json:
        env.json(report.to_json())
    else:
        if report.removed_temp:
            env.out.print(f"removed {plural(report.removed_temp, 'leftover temp file')}")
        for p in report.problems:
            env.out.print(f"[red]{p.kind}[/] {p.name}: {escape(p.message)}")
        for p in report.warnings:
            env.out.print(f"[yellow]warning[/] {p.kind} {p.name}: {escape(p.message)}")
        env.out.print(
            f"checked {plural(report.objects, 'object')}, {plural(report.packs, 'pack')} "
            f"({plural(report.blocks, 'block')}), {plural(report.assets, 'asset')}, "
            f"{plural(report.commits, 'commit')}: "
            + (
                "[green]ok[/]"
                if report.ok
                else f"[red]{plural(len(report.problems), 'problem')}[/]"
            )
        )
    ctx.exit(0 if report.ok else int(ExitCode.CORRUPT))


COMMANDS = [verify, fsck]
