"""init, add, status, commit: making and recording assets."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from numbers_cli.cli.completion import complete_asset
from numbers_cli.cli.env import Env, pass_env, passphrase_stdin_option
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import kind_text, plural, quote_path, size
from numbers_cli.ops import init as init_op
from numbers_cli.ops import status as status_op
from numbers_cli.ops.session import open_repo

# ops.add (Exif reading) and ops.commit / ops.identity (signing) are imported by
# the commands that use them, so `nit status` and `nit init` do not load them.

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


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
    env.out.print(Text(f"Initialized empty nit repository in {repo.dir}"))


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
    )
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
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
    as_json: bool,
) -> None:  # type: ignore[no-untyped-def]
    """Stage files (and directories, recursively) as assets for the next commit."""
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
    )
    progress = progress_for(env.err, bool(config.get("core.progress")))
    results = add_op.add(
        repo, [env.cwd / p for p in paths], options, config=config, progress=progress
    )
    for r in results:
        for warning in r.warnings:
            env.err.print(Text("warning: ", style="yellow") + Text(warning))
    if as_json:
        env.json(
            [
                {
                    "path": r.path,
                    "nid": r.nid,
                    "kind": r.kind,
                    "size": r.size,
                    "parent": r.parent,
                    "warnings": list(r.warnings),
                }
                for r in results
            ]
        )
        return
    for r in results:
        line = kind_text(r.kind)
        line.append(f"  {r.nid}  {quote_path(r.path)} ({size(r.size)})", style="default")
        if r.parent:
            line.append(f"  derived from {r.parent}", style="cyan")
        env.out.print(line)


@click.command(
    epilog=examples(
        "nit status          # staged, unpushed and changed files",
        "nit status --json   # for scripts",
    )
)
@json_option
@pass_env
def status(env: Env, as_json: bool) -> None:
    """Show staged assets, commits not yet pushed, and tracked files changed on disk."""
    repo, _ = open_repo(env.cwd)
    st = status_op.status(repo)
    if as_json:
        env.json(
            {
                "staged": [{"nid": s.nid, "kind": s.kind, "path": s.path} for s in st.staged],
                "unpushed": [
                    {"nid": u.nid, "commits": u.commits, "path": u.path} for u in st.unpushed
                ],
                "changed": [{"path": c.path, "nid": c.nid, "state": c.state} for c in st.changed],
            }
        )
        return
    if st.clean:
        env.out.print("nothing to commit, everything pushed, working files unchanged")
        return
    if st.staged:
        env.out.print("[bold]Staged for commit:[/]")
        for s in st.staged:
            name = escape(quote_path(s.path)) if s.path else ""
            env.out.print(f"  [green]{s.kind:7}[/] {s.nid}  {name}")
    if st.unpushed:
        env.out.print("[bold]Committed, not pushed:[/]")
        for u in st.unpushed:
            name = escape(quote_path(u.path)) if u.path else ""
            env.out.print(f"  [yellow]{plural(u.commits, 'commit'):9}[/] {u.nid}  {name}")
    if st.changed:
        env.out.print("[bold]Changed on disk since added:[/]")
        for c in st.changed:
            env.out.print(f"  [red]{c.state:8}[/] {escape(quote_path(c.path))}  (was {c.nid})")


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
    results = commit_op.commit(repo, signer, message, config=config)
    if as_json:
        env.json(
            [
                {
                    "asset": r.asset,
                    "commit": r.commit,
                    "kind": r.kind,
                    "actionName": r.action_name,
                    "path": r.path,
                }
                for r in results
            ]
        )
        return
    for r in results:
        name = escape(quote_path(r.path)) if r.path else r.asset
        env.out.print(f"[green]committed[/] {r.commit}  {r.action_name}  {name}")
    env.out.print(f"{plural(len(results), 'commit')} signed by {signer.address}")


COMMANDS = [init, add, status, commit]
