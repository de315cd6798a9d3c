"""verify, fsck: proving provenance and repository integrity."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.errors import ExitCode
from numbers_cli.ops import fsck as fsck_op
from numbers_cli.ops import verify as verify_op
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.command()
@click.argument("target", metavar="FILE|NID|COMMIT")
@json_option
@pass_env
@click.pass_context
def verify(ctx: click.Context, env: Env, target: str, as_json: bool) -> None:
    """Check a file's or asset's provenance: content → tree → signature → committer.

    Exits 0 only if every check holds; 10 content, 11 tree, 12 signature,
    13 signer ≠ committer, 5 a stored object was altered.
    """
    repo, _ = open_repo(env.cwd)
    verdict = verify_op.verify(repo, target)
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
        if verdict.c2pa is not None:  # data stream (issue 15): informative, never fails
            mark = "[yellow]![/]" if verdict.c2pa.warning else "[green]✓[/]"
            env.out.print(f"{mark} {'c2pa':10} {verdict.c2pa.state}: {escape(verdict.c2pa.detail)}")
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
