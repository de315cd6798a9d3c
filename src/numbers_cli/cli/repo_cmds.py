"""init, add, status, commit: making and recording assets."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import kind_text, size
from numbers_cli.model.names import quote_path
from numbers_cli.ops import add as add_op
from numbers_cli.ops import commit as commit_op
from numbers_cli.ops import init as init_op
from numbers_cli.ops import status as status_op
from numbers_cli.ops.identity import get_signer
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

#: Longer lists of files are summarised by kind for people (`--json` has them all).
LIST_AT_MOST = 50


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--nested", is_flag=True, help="Allow a repository inside another one.")
@pass_env
def init(env: Env, directory: Path | None, nested: bool) -> None:
    """Create an empty nit repository (.numbers/) here or in DIRECTORY."""
    target = env.cwd / directory if directory else env.cwd
    target.mkdir(parents=True, exist_ok=True)
    repo = init_op.init(target, nested=nested)
    env.out.print(f"Initialized empty nit repository in {repo.dir}")


def _custom(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--custom")
        out[key] = value
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-m", "--message", help="Description of the asset (abstract).")
@click.option(
    "--license",
    "license_",
    metavar="NAME|NAME=URL",
    help="Licence short name (cc-by-4.0, mit, ...) or a custom NAME=URL.",
)
@click.option("--creator", help="Creator's name (default: config user.name).")
@click.option("--parent", metavar="NID", help="The asset this file was derived from.")
@click.option("--generated-by", metavar="MODEL", help="AI model that generated the content.")
@click.option("--generated-through", metavar="URL", help="AI service used.")
@click.option(
    "--source-type",
    metavar="TYPE",
    help="IPTC digitalSourceType (e.g. digitalCapture, trainedAlgorithmicMedia).",
)
@click.option("--custom", multiple=True, metavar="KEY=VALUE", help="Custom field (repeatable).")
@click.option("--integrity-cid", metavar="NID", help="Capture-time integrity proof.")
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
    no_copy: bool | None,
    name: str | None,
    as_json: bool,
) -> None:  # type: ignore[no-untyped-def]
    """Stage files (and directories, recursively) as assets for the next commit.

    Below a directory, dangling symlinks, symlinks out of the repository, FIFOs
    and unreadable files are skipped with a warning. A tracked file whose size,
    mtime and inode did not change is not read again.

    \b
    Examples:
      nit add photo.jpg --license cc-by-4.0
      nit add album/                       # every file below, recursively
      nit add --no-copy /library/raw       # record, do not copy (big libraries)
      curl -s URL | nit add - --name scan.png
    """
    repo, config = open_repo(env.cwd)
    if "-" in [str(p) for p in paths] and (len(paths) > 1 or not name):
        raise click.UsageError("'-' reads standard input: give it alone, with --name NAME")
    if name and [str(p) for p in paths] != ["-"]:
        raise click.UsageError("--name names what standard input holds: use it with '-'")
    options = add_op.AddOptions(
        message=message,
        license=license_,
        creator=creator,
        parent=parent,
        generated_by=generated_by,
        generated_through=generated_through,
        source_type=source_type,
        custom=_custom(custom),
        integrity_cid=integrity_cid,
        reference=no_copy,
    )
    progress = progress_for(env.err, bool(config.get("core.progress")))

    def warn(message: str) -> None:
        env.err.print(f"[yellow]warning:[/] {escape(message)}")

    if name:
        results = [
            add_op.add_stream(
                repo, sys.stdin.buffer, name, options, config=config, progress=progress
            )
        ]
    else:
        results = add_op.add(
            repo,
            [env.cwd / p for p in paths],
            options,
            config=config,
            progress=progress,
            warn=warn,
        )
    for r in results:
        for warning in r.warnings:
            warn(warning)
    if as_json:
        env.json(
            [
                {
                    "path": quote_path(r.path),
                    "nid": r.nid,
                    "kind": r.kind,
                    "size": r.size,
                    "parent": r.parent,
                    "referenced": r.referenced,
                    "warnings": list(r.warnings),
                }
                for r in results
            ]
        )
        return
    if len(results) > LIST_AT_MOST:
        counts = Counter(r.kind for r in results)
        total = sum(r.size for r in results)
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        env.out.print(f"{len(results)} files ({size(total)}): {parts}; `nit status` lists them")
        return
    for r in results:
        line = kind_text(r.kind)
        line.append(f"  {r.nid}  {quote_path(r.path)} ({size(r.size)})", style="default")
        if r.referenced:
            line.append("  by reference", style="bright_black")
        if r.parent:
            line.append(f"  derived from {r.parent}", style="cyan")
        env.out.print(line)


@click.command()
@click.option("--long", "long_", is_flag=True, help="List every entry, however many.")
@json_option
@pass_env
def status(env: Env, long_: bool, as_json: bool) -> None:
    """Show staged assets, commits not yet pushed, and tracked files changed on disk.

    Entries are sorted by path. A section of more than 50 entries is summarised
    by kind (--long lists it; --json always has every entry).
    """
    repo, _ = open_repo(env.cwd)
    st = status_op.status(repo)
    if as_json:
        env.json(
            {
                "staged": [
                    {"nid": s.nid, "kind": s.kind, "path": _quoted(s.path)} for s in st.staged
                ],
                "unpushed": [
                    {"nid": u.nid, "commits": u.commits, "path": _quoted(u.path)}
                    for u in st.unpushed
                ],
                "changed": [
                    {"path": quote_path(c.path), "nid": c.nid, "state": c.state} for c in st.changed
                ],
            }
        )
        return
    if st.clean:
        env.out.print("nothing to commit, everything pushed, working files unchanged")
        return
    summary = st.summary()
    if st.staged:
        env.out.print("[bold]Staged for commit:[/]")
        if len(st.staged) > LIST_AT_MOST and not long_:
            counts = ", ".join(f"{n} {kind}" for kind, n in summary["staged"].items())
            env.out.print(f"  {len(st.staged)} assets: {counts}")
        else:
            for s in st.staged:
                env.out.print(f"  [green]{s.kind:7}[/] {s.nid}  {escape(_quoted(s.path) or '')}")
    if st.unpushed:
        env.out.print("[bold]Committed, not pushed:[/]")
        if len(st.unpushed) > LIST_AT_MOST and not long_:
            env.out.print(
                f"  {summary['unpushed']['commits']} commits of "
                f"{summary['unpushed']['assets']} assets"
            )
        else:
            for u in st.unpushed:
                env.out.print(
                    f"  [yellow]{u.commits} commit(s)[/] {u.nid}  {escape(_quoted(u.path) or '')}"
                )
    if st.changed:
        env.out.print("[bold]Changed on disk since added:[/]")
        if len(st.changed) > LIST_AT_MOST and not long_:
            counts = ", ".join(f"{n} {state}" for state, n in summary["changed"].items())
            env.out.print(f"  {len(st.changed)} files: {counts}")
        else:
            for c in st.changed:
                env.out.print(f"  [red]{c.state:8}[/] {escape(quote_path(c.path))}  (was {c.nid})")
    if not long_ and max(len(st.staged), len(st.unpushed), len(st.changed)) > LIST_AT_MOST:
        env.out.print("(`nit status --long` lists every entry)")


def _quoted(path: str | None) -> str | None:
    return None if path is None else quote_path(path)


@click.command()
@click.option("-m", "--message", help="Commit message (abstract of each commit).")
@json_option
@pass_env
def commit(env: Env, message: str | None, as_json: bool) -> None:
    """Sign every staged AssetTree with your wallet and record the commits."""
    repo, config = open_repo(env.cwd)
    signer = get_signer(config, env.passphrase_source())
    progress = progress_for(env.err, bool(config.get("core.progress")))
    results = commit_op.commit(repo, signer, message, config=config, progress=progress)
    if as_json:
        env.json(
            [
                {
                    "asset": r.asset,
                    "commit": r.commit,
                    "kind": r.kind,
                    "actionName": r.action_name,
                    "path": _quoted(r.path),
                }
                for r in results
            ]
        )
        return
    if len(results) <= LIST_AT_MOST:
        for r in results:
            what = escape(quote_path(r.path)) if r.path else r.asset
            env.out.print(f"[green]committed[/] {r.commit}  {r.action_name}  {what}")
    env.out.print(f"{len(results)} commit(s) signed by {signer.address}")


COMMANDS = [init, add, status, commit]
