"""verify, fsck: proving provenance and repository integrity."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from numbers_cli.cli.completion import complete_object
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural
from numbers_cli.errors import UsageError
from numbers_cli.model.names import quote_path
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
        "nit verify dist/app.tar --remote              # stamped: its batch, read from the chain",
        "nit verify --statement app.intoto.json dist/app.tar   # an attestation, no repository",
    )
)
@click.argument("target", metavar="FILE|NID|COMMIT", required=False, shell_complete=complete_object)
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
    "(here, else the IPFS remote), signature and committer; and where the local head stands. "
    "A stamped asset: its batch's registration, read back from the chain.",
)
@click.option("--network", metavar="NAME", help="The chain for --remote (implies it).")
@click.option(
    "--statement",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Check a stamp attestation (`nit attest`): envelope signature, subjects, proofs, "
    "batch and on-chain anchor; FILE|NID, if given, must be one of its subjects. "
    "Needs no repository.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Ask no chain: a stamp's registration is taken as recorded (the default, "
    "except for --statement).",
)
@json_option
@pass_env
@click.pass_context
def verify(
    ctx: click.Context,
    env: Env,
    target: str | None,
    policy_file: Path | None,
    remote: bool,
    network: str | None,
    statement: Path | None,
    offline: bool,
    as_json: bool,
) -> None:
    """Check a file's or asset's provenance: content → tree → signature → committer.

    FILE may be any file, received from anywhere: it is hashed and its Nid
    looked up in this repository. A stamped artifact (`nit stamp`) is also
    checked up to its batch: its leaf, the proof to the batch root, the
    batch's signed commit and its registration ("stamped in batch B, leaf i
    of n"), as recorded here; --remote reads that registration back from the chain.

    Exits 0 only if every check holds; 10 content, 11 tree, 12 signature,
    13 signer ≠ committer, 14 malformed commit, 15 signer not tied to a
    profile committer, 16 a --policy rule, 25 a stamp (leaf, proof, root,
    anchor), 5 a stored object was altered.

    With --remote (or --network NAME) the chain's latest commit of the asset is
    the one checked (a COMMIT: that on-chain commit), its tree read here or
    from the IPFS remote, and the local head said to be up to date, ahead,
    behind or diverged; FILE|NID then needs no repository.
    """
    chain = remote or network is not None
    if offline and chain:
        raise UsageError("--offline asks no chain; it cannot go with --remote or --network")
    if statement is not None:  # stamp (issue 14): an attestation, with or without a repository
        if policy_file is not None:
            raise UsageError("--policy applies to an asset's commits, not to a --statement")
        _verify_statement(ctx, env, statement, target, network, offline, as_json)
        return
    if target is None:
        raise UsageError("verify needs a FILE, NID or COMMIT (or --statement FILE)")
    policy = verify_op.load_policy(policy_file) if policy_file is not None else None
    if chain and not _stamped_here(env, target, network):
        ctx.exit(_verify_remote(env, target, network, policy, as_json))  # trace (issue 11)
    repo, config = open_repo(env.cwd)
    verdict = verify_op.verify(
        repo, target, config=config, policy=policy, stamps_on_chain=chain, stamps_network=network
    )
    _render(ctx, env, verdict, as_json, target)


def _render(
    ctx: click.Context, env: Env, verdict: verify_op.Verdict, as_json: bool, target: str
) -> None:
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


def _stamped_here(env: Env, target: str, network: str | None) -> bool:
    """`--remote` of a stamped artifact: its commits are anchored through a batch,
    so the local verify runs with the batch's registration read from the chain."""
    from numbers_cli.ops.remote_history import open_optional_repo
    from numbers_cli.ops.stamp.verify import stamped_target

    repo, _ = open_optional_repo(env.cwd)
    return repo is not None and stamped_target(repo, target, network)


def _verify_statement(
    ctx: click.Context,
    env: Env,
    statement: Path,
    target: str | None,
    network: str | None,
    offline: bool,
    as_json: bool,
) -> None:
    from numbers_cli.config import Config
    from numbers_cli.ops.stamp.attest import verify_statement
    from numbers_cli.repo.repository import find_enclosing

    config = Config.load(find_enclosing(env.cwd))
    artifact = Path(target) if target else None
    verdict = verify_statement(statement, artifact, config=config, offline=offline, network=network)
    _render(ctx, env, verdict, as_json, target or str(statement))


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
        "nit fsck            # check everything; exit 5 if anything is damaged",
        "nit fsck --repair   # rebuild what can be rebuilt, then check again",
        "nit fsck --json     # the problems, for scripts",
    )
)
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild what can be rebuilt: the store index from the packs, refs from "
    "dangling commits, damaged blocks from tracked working files, stamp records "
    "from the signed batches.",
)
@json_option
@pass_env
@click.pass_context
def fsck(ctx: click.Context, env: Env, repair: bool, as_json: bool) -> None:
    """Re-hash every object, resolve every ref, check every signature.

    Exits 0 when the repository is whole, 5 when something is damaged, 31 when
    only files added by reference (--no-copy) changed or are gone.
    """
    repo, _ = open_repo(env.cwd, repairing=True)
    report = fsck_op.fsck(repo, repair=repair)
    if as_json:
        env.json(report.to_json())
        ctx.exit(int(report.exit_code))
    if report.removed_temp:
        env.out.print(f"removed {plural(report.removed_temp, 'leftover temp file')}")
    for action in report.repaired:
        env.out.print(f"[green]repaired[/] {escape(action)}")
    for p in report.problems:
        env.out.print(f"[red]{p.kind}[/] {escape(p.name)}: {escape(p.message)}")
    for p in report.warnings:
        env.out.print(f"[yellow]warning[/] {p.kind} {escape(p.name)}: {escape(p.message)}")
    for r in report.references:
        what = "has changed" if r.state == "changed" else "is gone"
        env.out.print(
            f"[yellow]reference[/] {escape(quote_path(r.path))} {what} "
            f"(added by reference as {r.nid})"
        )
    if report.dangling:
        env.out.print(f"{plural(len(report.dangling), 'dangling commit')}: no ref names them")
    if report.unrecorded_packs:
        env.out.print(
            f"{plural(report.unrecorded_packs, 'pack')} left by interrupted writes "
            "(`nit fsck --repair` indexes them)"
        )
    env.out.print(
        f"checked {plural(report.objects, 'object')}, {plural(report.packs, 'pack')} "
        f"({plural(report.blocks, 'block')}), {plural(report.assets, 'asset')}, "
        f"{plural(report.commits, 'commit')}"
        + (
            f", {plural(report.referenced_files, 'file')} added by reference"
            if report.referenced_files
            else ""
        )
        + ": "
        + ("[green]ok[/]" if report.ok else f"[red]{plural(len(report.problems), 'problem')}[/]")
    )
    ctx.exit(int(report.exit_code))


COMMANDS = [verify, fsck]
