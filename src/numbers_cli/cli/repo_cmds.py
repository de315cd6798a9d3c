"""init, add, status, commit: making and recording assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import kind_text, size
from numbers_cli.ops import add as add_op
from numbers_cli.ops import commit as commit_op
from numbers_cli.ops import init as init_op
from numbers_cli.ops import status as status_op
from numbers_cli.ops.identity import get_signer
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


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
    repo, config = open_repo(env.cwd)
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
    )
    progress = progress_for(env.err, bool(config.get("core.progress")))
    results = add_op.add(
        repo, [env.cwd / p for p in paths], options, config=config, progress=progress
    )
    for r in results:
        for warning in r.warnings:
            env.err.print(f"[yellow]warning:[/] {warning}")
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
        line.append(f"  {r.nid}  {r.path} ({size(r.size)})", style="default")
        if r.parent:
            line.append(f"  derived from {r.parent}", style="cyan")
        env.out.print(line)


@click.command()
@click.option(
    "--remote",
    is_flag=True,
    help="Also compare every asset with the chain: up to date, ahead, behind, diverged.",
)
@click.option("--network", metavar="NAME", help="With --remote: the chain (default: core.network).")
@json_option
@pass_env
def status(env: Env, remote: bool, network: str | None, as_json: bool) -> None:
    """Show staged assets, commits not yet pushed, and tracked files changed on disk.

    With --remote, also where each asset stands on the chain; `behind` and
    `diverged` assets have commits there this repository never saw (`nit fetch`
    them before pushing).
    """
    repo, config = open_repo(env.cwd)
    st = status_op.status(repo)
    states = _remote_states(repo, config, network) if remote or network else None
    if as_json:
        value = {
            "staged": [{"nid": s.nid, "kind": s.kind, "path": s.path} for s in st.staged],
            "unpushed": [{"nid": u.nid, "commits": u.commits, "path": u.path} for u in st.unpushed],
            "changed": [{"path": c.path, "nid": c.nid, "state": c.state} for c in st.changed],
        }
        if states is not None:
            value["remote"] = {"network": states[0], "assets": [a.to_json() for a in states[1]]}
        env.json(value)
        return
    if states is not None:
        _print_remote_states(env, *states)
    if st.clean:
        env.out.print("nothing to commit, everything pushed, working files unchanged")
        return
    if st.staged:
        env.out.print("[bold]Staged for commit:[/]")
        for s in st.staged:
            env.out.print(f"  [green]{s.kind:7}[/] {s.nid}  {s.path or ''}")
    if st.unpushed:
        env.out.print("[bold]Committed, not pushed:[/]")
        for u in st.unpushed:
            env.out.print(f"  [yellow]{u.commits} commit(s)[/] {u.nid}  {u.path or ''}")
    if st.changed:
        env.out.print("[bold]Changed on disk since added:[/]")
        for c in st.changed:
            env.out.print(f"  [red]{c.state:8}[/] {c.path}  (was {c.nid})")


def _remote_states(repo: Any, config: Any, network: str | None) -> tuple[str, list[Any]]:
    """(network name, ops.conflicts.AssetState of every asset): trace stream, issue 11."""
    from numbers_cli.ops.conflicts import compare
    from numbers_cli.ops.remote_history import connect

    with connect(config, network) as client:
        return client.network.name, compare(repo, client)


def _print_remote_states(env: Env, network: str, states: list[Any]) -> None:
    style = {"up to date": "green", "ahead": "yellow", "behind": "red", "diverged": "bold red"}
    env.out.print(f"[bold]On {network}:[/]")
    for state in states:
        extra = f", {len(state.unseen)} never seen here" if state.unseen else ""
        env.out.print(
            f"  [{style.get(state.state, 'bright_black')}]{state.state:12}[/] {state.asset}  "
            f"{state.path or ''} ({state.local} local, {state.chain} on chain{extra})"
        )
    if any(state.unseen for state in states):
        env.out.print("  (`nit fetch NID` brings the unseen commits here before a push)")


@click.command()
@click.option("-m", "--message", help="Commit message (abstract of each commit).")
@json_option
@pass_env
def commit(env: Env, message: str | None, as_json: bool) -> None:
    """Sign every staged AssetTree with your wallet and record the commits."""
    repo, config = open_repo(env.cwd)
    signer = get_signer(config, env.passphrase_source())
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
        env.out.print(f"[green]committed[/] {r.commit}  {r.action_name}  {r.path or r.asset}")
    env.out.print(f"{len(results)} commit(s) signed by {signer.address}")


COMMANDS = [init, add, status, commit]
