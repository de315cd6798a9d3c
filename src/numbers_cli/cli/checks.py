"""verify, fsck: proving provenance and repository integrity."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.model.names import quote_path
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
        if verdict.ok:
            env.out.print(f"[bold green]VERIFIED[/] {verdict.asset or target}")
        else:
            env.out.print(f"[bold red]FAILED[/] {verdict.asset or target}")
    ctx.exit(int(verdict.exit_code))


@click.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild what can be rebuilt: the store index from the packs, refs from "
    "dangling commits, damaged blocks from tracked working files.",
)
@json_option
@pass_env
@click.pass_context
def fsck(ctx: click.Context, env: Env, repair: bool, as_json: bool) -> None:
    """Re-hash every object, resolve every ref, check every signature.

    Exits 0 when the repository is whole, 5 when something is damaged, 31 when
    only files added by reference (--no-copy) changed or are gone.

    \b
    Examples:
      nit fsck
      nit fsck --repair     # then look at what it says it did
      nit fsck --json | jq .problems
    """
    repo, _ = open_repo(env.cwd, repairing=True)
    report = fsck_op.fsck(repo, repair=repair)
    if as_json:
        env.json(report.to_json())
        ctx.exit(int(report.exit_code))
    if report.removed_temp:
        env.out.print(f"removed {report.removed_temp} leftover temp file(s)")
    for action in report.repaired:
        env.out.print(f"[green]repaired[/] {escape(action)}")
    for p in report.problems:
        env.out.print(f"[red]{p.kind}[/] {escape(p.name)}: {escape(p.message)}")
    for r in report.references:
        what = "has changed" if r.state == "changed" else "is gone"
        env.out.print(
            f"[yellow]reference[/] {escape(quote_path(r.path))} {what} "
            f"(added by reference as {r.nid})"
        )
    if report.dangling:
        env.out.print(f"{len(report.dangling)} dangling commit(s): no ref names them")
    if report.unrecorded_packs:
        env.out.print(
            f"{report.unrecorded_packs} pack(s) left by interrupted writes "
            "(`nit fsck --repair` indexes them)"
        )
    env.out.print(
        f"checked {report.objects} objects, {report.packs} packs ({report.blocks} blocks), "
        f"{report.assets} assets, {report.commits} commits, "
        f"{report.referenced_files} files added by reference: "
        + ("[green]ok[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]")
    )
    ctx.exit(int(report.exit_code))


COMMANDS = [verify, fsck]
