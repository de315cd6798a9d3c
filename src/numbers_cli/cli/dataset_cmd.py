"""nit dataset export / verify: registered assets as an AI dataset (Croissant + JSONL)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import plural, size
from numbers_cli.ops.session import open_repo

# The operations are imported inside the commands: `nit --help` stays as fast as before.
FORMATS = ("croissant", "jsonl")

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(
    epilog="""\b
Examples:
  nit dataset export out/ --allow ai-training   # files, records.jsonl, Croissant card
  nit dataset verify out/                       # re-hash files, check records
"""
)
def dataset() -> None:
    """Export registered assets as an AI dataset, and verify one."""


@dataset.command(
    name="export",
    epilog="""\b
Examples:
  nit dataset export out/ --allow ai-training
  nit dataset export out/ --license cc-by-4.0 --license mit --since 2024-01-01
  nit dataset export out/ --format jsonl --no-files --json
""",
)
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--license", "licenses", multiple=True, metavar="NAME", help="Keep this licence (repeatable)."
)
@click.option(
    "--allow",
    multiple=True,
    metavar="USE",
    help="Keep assets whose terms allow USE: ai-training, ai-generative-training, "
    "ai-inference, data-mining, commercial, derivatives (repeatable).",
)
@click.option("--since", metavar="DATE", help="Keep assets whose latest commit is this recent.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="croissant",
    show_default=True,
    help="croissant: metadata.json card + records.jsonl; jsonl: records.jsonl only.",
)
@click.option(
    "--no-files", is_flag=True, help="Link the files (ipfs://NID) instead of copying them."
)
@click.option("--force", is_flag=True, help="Replace DIR if it exists and is not empty.")
@click.option("--network", metavar="NAME", help="Chain whose records (and rules) to use.")
@json_option
@pass_env
def export(
    env: Env,
    directory: Path,
    licenses: tuple[str, ...],
    allow: tuple[str, ...],
    since: str | None,
    fmt: str,
    no_files: bool,
    force: bool,
    network: str | None,
    as_json: bool,
) -> None:
    """Write the registered assets whose terms allow the use asked for into DIR:
    their files, one JSONL record per asset, and a Croissant card (metadata.json).

    Assets whose terms do not plainly allow every --allow use are left out and
    counted (no stated term is no permission). Rules set on chain through the
    governance contract win over the tree's when it is reachable.
    """
    from numbers_cli.ops import dataset as dataset_op

    repo, config = open_repo(env.cwd)
    report = dataset_op.export_dataset(
        repo,
        config,
        env.cwd / directory,
        selection=dataset_op.Selection.parse(licenses, allow, since),
        fmt=fmt,
        files=not no_files,
        force=force,
        network=network,
        progress=progress_for(env.err, bool(config.get("core.progress"))),
    )
    if as_json:
        env.json(report.to_json())
        return
    files = f", {size(report.bytes)} of files" if report.files else ", files linked"
    env.out.print(
        f"wrote {directory}: {report.exported} of {plural(report.considered, 'asset')}{files}",
        markup=False,
        highlight=False,
    )
    for reason, count in sorted(report.excluded.items()):
        env.out.print(f"  left out {count}: {_reason_text(reason)}", markup=False, highlight=False)


def _reason_text(reason: str) -> str:
    if reason.startswith("terms:"):
        return f"terms do not allow it ({reason[6:]})"
    return {
        "license": "licence not selected",
        "since": "latest commit too old",
        "no-file": "file not in this repository",
    }.get(reason, reason)


@dataset.command(
    name="verify",
    epilog="""\b
Examples:
  nit dataset verify out/
  nit dataset verify out/ --remote --json
""",
)
@click.argument(
    "directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--remote", is_flag=True, help="Also check each record against its chain.")
@click.option(
    "--network", metavar="NAME", help="With --remote: the chain (default: each record's)."
)
@json_option
@pass_env
@click.pass_context
def verify(
    ctx: click.Context, env: Env, directory: Path, remote: bool, network: str | None, as_json: bool
) -> None:
    """Re-hash every file of a dataset and check each record against the repository
    (and, with --remote, the chain). Exits 27 when a file changed or is missing,
    a record is unregistered or does not match, or a file is in no record."""
    from numbers_cli.ops import dataset_verify
    from numbers_cli.ops.remote_history import open_optional_repo

    repo, config = open_optional_repo(env.cwd)
    verdict = dataset_verify.verify_dataset(
        repo,
        config,
        env.cwd / directory,
        remote=remote,
        network=network,
        progress=progress_for(env.err, bool(config.get("core.progress"))),
    )
    if as_json:
        env.json(verdict.to_json())
    else:
        for finding in verdict.findings:
            style = "yellow" if finding.status == "outdated" else "red"
            who = f" {finding.nid}" if finding.nid else ""
            env.out.print(f"[{style}]{finding.status}[/]{who}: {escape(finding.detail)}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(verdict.counts.items()))
        state = "[green]ok[/]" if verdict.ok else f"[red]{counts}[/]"
        env.out.print(
            f"checked {plural(verdict.records, 'record')}, {plural(verdict.files_checked, 'file')}"
            + (" against the chain" if remote else "")
            + f": {state}"
        )
    ctx.exit(int(verdict.exit_code))


COMMANDS = [dataset]
