"""init, add, commit: making and recording assets (`nit status`: status_cmd)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from numbers_cli.cli.completion import complete_asset
from numbers_cli.cli.env import Env, pass_env, passphrase_stdin_option
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_to
from numbers_cli.cli.render import kind_part, plural, quote_path, size
from numbers_cli.model.names import json_path
from numbers_cli.ops import init as init_op
from numbers_cli.ops.session import open_repo

# ops.add (Exif reading) and ops.commit / ops.identity (signing) are imported by
# the commands that use them, so `nit status` and `nit init` do not load them.

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

#: Longer lists of files are summarised by kind for people (`--json` has them all).
LIST_AT_MOST = 50


@click.command(
    epilog=examples(
        "nit init                  # a repository in the current directory",
        "nit init photos           # in ./photos (created if needed)",
        "nit init --nested album   # a separate repository inside this one",
        'nit init --json           # for scripts: {"repository": ..., "workdir": ...}',
    )
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--nested", is_flag=True, help="Allow a repository inside another one.")
@json_option
@pass_env
def init(env: Env, directory: Path | None, nested: bool, as_json: bool) -> None:
    """Create an empty nit repository (.numbers/) here or in DIRECTORY."""
    target = env.cwd / directory if directory else env.cwd
    target.mkdir(parents=True, exist_ok=True)
    repo = init_op.init(target, nested=nested)
    if as_json:
        env.json({"repository": str(repo.dir), "workdir": str(repo.workdir)})
        return
    env.line((f"Initialized empty nit repository in {repo.dir}", None))


def _terms(values: tuple[str, ...]) -> dict[str, str]:
    if not values:
        return {}  # without importing ops.manifest (a CSV reader) for every `nit add`
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not TERM=VALUE", param_hint="--terms")
        pairs[key.strip()] = value
    from numbers_cli.ops.manifest import usage_terms  # data stream (issue 15)

    return usage_terms(pairs)


def _custom(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--custom")
        out[key] = value
    return out


@click.command(
    epilog=examples(
        "nit add photo.jpg                        # stage one photo (a new asset)",
        "nit add shoot/ --license cc-by-4.0       # a whole directory, with a licence",
        "nit add photo.jpg -m 'Harbour at dawn'   # new facts about a committed file: an update",
        "nit add edit.jpg --parent photo.jpg      # a derived asset (parent: file or (short) Nid)",
        "nit add ai.png --generated-by sdxl --generated-through https://example.ai",
        "nit add photo.jpg --custom location=Oslo --json",
        "nit add shoot/ --terms aiTraining=notAllowed --terms commercialUse=allowed",
        "nit add --manifest shoot/manifest.csv --dry-run  # check every row, stage nothing",
        "nit add --manifest shoot/manifest.csv --skip-bad # stage the good rows, list the rest",
        "nit add --no-copy raw/                   # by reference: recorded, not copied",
        "curl -s URL | nit add - --name scan.png  # what standard input holds, as scan.png",
    )
)
@click.argument("paths", nargs=-1, metavar="PATHS...", type=click.Path(path_type=Path))
@click.option("-m", "--message", help="Description of the asset (abstract).")
@click.option(
    "--license",
    "license_",
    metavar="NAME|NAME=URL",
    help="Licence short name (cc-by-4.0, mit, ...) or a custom NAME=URL.",
)
@click.option("--creator", help="Creator's name (default: config user.name).")
@click.option(
    "--parent",
    metavar="NID|FILE",
    help="The asset this file was derived from (Nid, short id or tracked file).",
    shell_complete=complete_asset,
)
@click.option("--generated-by", metavar="MODEL", help="AI model that generated the content.")
@click.option("--generated-through", metavar="URL", help="AI service used.")
@click.option(
    "--source-type",
    metavar="TYPE",
    help="IPTC digitalSourceType (e.g. digitalCapture, trainedAlgorithmicMedia).",
)
@click.option("--custom", multiple=True, metavar="KEY=VALUE", help="Custom field (repeatable).")
@click.option("--integrity-cid", metavar="NID", help="Capture-time integrity proof.")
# data stream (issue 15): manifest files, usage terms, dry run
@click.option(
    "--terms",
    multiple=True,
    metavar="TERM=VALUE",
    help="Usage term (aiTraining, commercialUse, ...)=allowed|notAllowed|constrained.",
)
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or JSONL file giving each path's tree fields (see docs/cli.md).",
)
@click.option("--skip-bad", is_flag=True, help="With --manifest: stage the good rows only.")
@click.option("--dry-run", is_flag=True, help="Show what would be staged; write nothing.")
@click.option(
    "--no-copy/--copy",
    "no_copy",
    default=None,
    help="Record the file by reference (path, size, mtime, Nid) instead of copying it "
    "into .numbers/ (default: config add.reference, else copy).",
)
@click.option(
    "--name",
    metavar="NAME",
    help="With PATH '-': the file name to record for what standard input holds.",
)
@json_option
@pass_env
def add(
    env: Env,
    paths: tuple[Path, ...],
    message,
    license_,
    creator,
    parent,
    generated_by,
    generated_through,
    source_type,
    custom,
    integrity_cid,
    terms,
    manifest_file,
    skip_bad,
    dry_run,
    no_copy: bool | None,
    name: str | None,
    as_json: bool,
) -> None:  # type: ignore[no-untyped-def]
    """Stage files (and directories, recursively) as assets for the next commit.

    Below a directory, dangling symlinks, symlinks out of the repository, FIFOs
    and unreadable files are skipped with a warning. A tracked file whose size,
    mtime and inode did not change is not read again.
    """
    if not paths and not manifest_file:  # PATHS is required unless --manifest names them
        ctx = click.get_current_context()
        raise click.MissingParameter(
            ctx=ctx, param=next(p for p in ctx.command.params if p.name == "paths")
        )
    if paths and manifest_file:
        raise click.UsageError("give PATHS or --manifest FILE, not both")
    if skip_bad and not manifest_file:
        raise click.UsageError("--skip-bad goes with --manifest")
    stdin = [str(p) for p in paths] == ["-"]
    if "-" in [str(p) for p in paths] and (not stdin or not name):
        raise click.UsageError("'-' reads standard input: give it alone, with --name NAME")
    if name and not stdin:
        raise click.UsageError("--name names what standard input holds: use it with '-'")
    from numbers_cli.ops import add as add_op

    repo, config = open_repo(env.cwd)
    options = add_op.AddOptions(
        message=message,
        license=license_,
        creator=creator,
        parent=repo.resolve_asset(parent) if parent else None,
        generated_by=generated_by,
        generated_through=generated_through,
        source_type=source_type,
        custom=_custom(custom),
        integrity_cid=integrity_cid,
        usage_terms=_terms(terms),
        reference=no_copy,
    )
    progress = progress_to(env, bool(config.get("core.progress")))

    def warn(text: str) -> None:
        env.line(("warning: ", "yellow"), (text, None), err=True)

    skipped = []
    if stdin and name:
        results = [
            add_op.add_stream(
                repo, sys.stdin.buffer, name, options, config=config, progress=progress
            )
        ]
    elif manifest_file:
        from numbers_cli.ops import manifest as manifest_op  # data stream (issue 15)

        done = manifest_op.add_from_manifest(
            repo,
            env.cwd / manifest_file,
            options,
            skip_bad=skip_bad,
            dry_run=dry_run,
            config=config,
            progress=progress,
        )
        results, skipped = done.added, done.skipped
    else:
        results = add_op.add(
            repo,
            [env.cwd / p for p in paths],
            options,
            config=config,
            progress=progress,
            warn=warn,
            dry_run=dry_run,
        )
    for r in results:
        for warning in r.warnings:
            warn(warning)
    for bad in skipped:
        env.err.print(f"skipped {manifest_file.name} {bad}", markup=False, highlight=False)
    if as_json:
        listed = [
            {
                "path": json_path(r.path),
                "nid": r.nid,
                "kind": r.kind,
                "size": r.size,
                "parent": r.parent,
                "referenced": getattr(r, "referenced", False),
                "warnings": list(r.warnings),
            }
            for r in results
        ]
        if manifest_file:
            env.json(
                {"dryRun": dry_run, "added": listed, "skipped": [b.to_json() for b in skipped]}
            )
        else:
            env.json(listed)
        return
    # Env.line, not env.out: into a pipe or a file these lines are written without rich.
    if dry_run:
        said = " nothing was staged; this is what `nit add` would do"
        env.line(("dry run:", "bold"), (said, None))
    if len(results) > LIST_AT_MOST:
        counts = Counter(r.kind for r in results)
        total = sum(r.size for r in results)
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        summary = f"{plural(len(results), 'file')} ({size(total)}): {parts}"
        env.line((f"{summary}; `nit status` lists them", None))
        return
    for r in results:
        line = [kind_part(r.kind), (f"  {r.nid}  {quote_path(r.path)} ({size(r.size)})", "default")]
        if getattr(r, "referenced", False):
            line.append(("  by reference", "bright_black"))
        if r.parent:
            line.append((f"  derived from {r.parent}", "cyan"))
        env.line(*line)


def path_json(path: str | None) -> str | None:
    """A path for JSON (git-quoted only when its bytes are not UTF-8)."""
    return None if path is None else json_path(path)


@click.command(
    epilog=examples(
        "nit commit -m 'First shoot'                # sign and record every staged asset",
        "NIT_PASSPHRASE=... nit commit -m 'batch'   # no prompt (CI)",
        "nit commit --passphrase-stdin < pass.txt   # the passphrase from stdin",
    )
)
@click.option("-m", "--message", help="Commit message (abstract of each commit).")
@passphrase_stdin_option
@json_option
@pass_env
def commit(env: Env, message: str | None, as_json: bool) -> None:
    """Sign every staged AssetTree with your wallet and record the commits."""
    from numbers_cli.ops import commit as commit_op
    from numbers_cli.ops.identity import get_signer

    repo, config = open_repo(env.cwd)
    signer = get_signer(config, env.passphrase_source(), passphrase=env.stdin_passphrase())
    progress = progress_to(env, bool(config.get("core.progress")))
    results = commit_op.commit(repo, signer, message, config=config, progress=progress)
    if as_json:
        env.json(
            [
                {
                    "asset": r.asset,
                    "commit": r.commit,
                    "kind": r.kind,
                    "actionName": r.action_name,
                    "path": path_json(r.path),
                }
                for r in results
            ]
        )
        return
    if len(results) <= LIST_AT_MOST:
        from rich.markup import escape  # here: `nit add` and `nit init` print without rich

        for r in results:
            name = escape(quote_path(r.path)) if r.path else r.asset
            env.out.print(f"[green]committed[/] {r.commit}  {r.action_name}  {name}")
    env.out.print(f"{plural(len(results), 'commit')} signed by {signer.address}")


COMMANDS = [init, add, commit]
