"""verify, fsck: proving provenance and repository integrity."""

from __future__ import annotations

from pathlib import Path

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.errors import ExitCode, UsageError
from numbers_cli.ops import fsck as fsck_op
from numbers_cli.ops import verify as verify_op
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.command()
@click.argument("target", metavar="FILE|NID|COMMIT", required=False)
@click.option(
    "--statement",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Check a stamp attestation (`nit attest`): envelope signature, subjects, proofs, "
    "batch and on-chain anchor; FILE (TARGET), if given, must be one of its subjects. "
    "Needs no repository.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Stamps: take the recorded registration as is instead of asking the chain.",
)
@json_option
@pass_env
@click.pass_context
def verify(
    ctx: click.Context,
    env: Env,
    target: str | None,
    statement: Path | None,
    offline: bool,
    as_json: bool,
) -> None:
    """Check a file's or asset's provenance: content → tree → signature → committer.

    A stamped artifact is also checked up to the chain: its leaf, the proof to
    the batch root, the batch's signed commit, and that commit on chain
    ("stamped in batch B, leaf i of n").

    Exits 0 only if every check holds; 10 content, 11 tree, 12 signature,
    13 signer ≠ committer, 25 stamp (leaf, proof, root, anchor), 5 a stored
    object was altered.
    """
    # stamp (issue 14): --statement checks an attestation, with or without a repository.
    if statement is not None:
        from numbers_cli.config import Config
        from numbers_cli.ops.stamp.attest import verify_statement
        from numbers_cli.repo.repository import find_enclosing

        config = Config.load(find_enclosing(env.cwd))
        artifact = Path(target) if target else None
        verdict = verify_statement(statement, artifact, config=config, offline=offline)
        _render(ctx, env, verdict, as_json, target or str(statement))
        return
    if target is None:
        raise UsageError("verify needs a FILE, NID or COMMIT (or --statement FILE)")
    repo, _ = open_repo(env.cwd)
    verdict = verify_op.verify(repo, target, offline=offline)
    _render(ctx, env, verdict, as_json, target)


def _render(
    ctx: click.Context, env: Env, verdict: verify_op.Verdict, as_json: bool, target: str
) -> None:
    if as_json:
        env.json(verdict.to_json())
    else:
        for check in verdict.content:
            env.out.print(
                f"{'[green]✓' if check.ok else '[red]✗'}[/] {check.name:10} {check.detail}"
            )
        for cv in verdict.commits:
            env.out.print(f"[yellow]commit #{cv.index} {cv.commit_nid}[/]")
            for check in cv.checks:
                env.out.print(
                    f"  {'[green]✓' if check.ok else '[red]✗'}[/] {check.name:10} {check.detail}"
                )
        if verdict.ok:
            env.out.print(f"[bold green]VERIFIED[/] {verdict.asset or target}")
        else:
            env.out.print(f"[bold red]FAILED[/] {verdict.asset or target}")
    ctx.exit(int(verdict.exit_code))


@click.command()
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
            env.out.print(f"removed {report.removed_temp} leftover temp file(s)")
        for p in report.problems:
            env.out.print(f"[red]{p.kind}[/] {p.name}: {p.message}")
        env.out.print(
            f"checked {report.objects} objects, {report.packs} packs ({report.blocks} blocks), "
            f"{report.assets} assets, {report.commits} commits: "
            + ("[green]ok[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]")
        )
    ctx.exit(0 if report.ok else int(ExitCode.CORRUPT))


COMMANDS = [verify, fsck]
