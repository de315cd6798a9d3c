"""log, show, diff: reading history."""

from __future__ import annotations

import click
from rich.text import Text

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.render import when
from numbers_cli.model import jsjson
from numbers_cli.model.nid import short
from numbers_cli.ops import history as history_op
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.command()
@click.argument("asset", required=False, metavar="[NID|FILE]")
@click.option("--oneline", is_flag=True, help="One line per commit.")
@json_option
@pass_env
def log(env: Env, asset: str | None, oneline: bool, as_json: bool) -> None:
    """Show local commits, newest first: of one asset, or of all."""
    repo, _ = open_repo(env.cwd)
    entries = history_op.log(repo, asset)
    if as_json:
        env.json([e.to_json() for e in entries])
        return
    if not entries:
        env.out.print("no commits yet")
        return
    for e in entries:
        c = e.commit
        if oneline:
            line = Text(short(e.commit_nid, 14), style="yellow")
            line.append(f" {short(e.asset, 14)} #{e.index} ", style="cyan")
            line.append(f"{c.get('actionName', '')}: {c.get('abstract', '')}", style="default")
            env.out.print(line)
            continue
        env.out.print(Text(f"commit {e.commit_nid}", style="yellow"))
        env.out.print(f"asset:     {e.asset}  (#{e.index})")
        env.out.print(f"action:    {c.get('actionName', '')}")
        env.out.print(f"committer: {c.get('committer')}")
        if c.get("author") != c.get("committer"):
            env.out.print(f"author:    {c.get('author')}")
        env.out.print(f"date:      {when(c.get('timestampCreated'))}")
        env.out.print(f"tree:      {c.get('assetTreeCid')}")
        env.out.print(f"\n    {c.get('abstract', '')}\n")


@click.command()
@click.argument("target", metavar="COMMIT|NID|FILE")
@json_option
@pass_env
def show(env: Env, target: str, as_json: bool) -> None:
    """Show a commit and its AssetTree (an asset shows its latest commit)."""
    repo, _ = open_repo(env.cwd)
    shown = history_op.show(repo, target)
    if as_json:
        env.json(shown.to_json())
        return
    if shown.commit_nid:
        env.out.print(Text(f"commit {shown.commit_nid}", style="yellow"))
    if shown.commit:
        env.out.print(jsjson.stringify(shown.commit.as_dict(), indent=2), markup=False)
    if shown.tree:
        env.out.print(
            Text(
                f"\nassetTree {shown.commit.get('assetTreeCid') if shown.commit else shown.nid}",
                style="yellow",
            )
        )
        env.out.print(jsjson.stringify(shown.tree.as_dict(), indent=2), markup=False)


def _print_parts(env: Env, parts: list[history_op.DiffPart]) -> None:
    for part in parts:
        style = "green" if part.added else "red" if part.removed else "bright_black"
        env.out.print(Text(part.value.rstrip("\n"), style=style))


@click.command()
@click.argument("asset", metavar="NID|FILE")
@click.argument("a", required=False)
@click.argument("b", required=False)
@json_option
@pass_env
def diff(env: Env, asset: str, a: str | None, b: str | None, as_json: bool) -> None:
    """Show how an asset's commit and tree changed.

    A and B are commit indexes (0 = first, -1 = latest), commit Nids or 'staged'.
    Without them: latest commit vs staged, or else the last two commits.
    """
    repo, _ = open_repo(env.cwd)
    result = history_op.diff(repo, asset, a, b)
    if as_json:
        env.json(result.to_json())
        return
    env.out.print(
        Text(f"asset {result.asset}: {result.from_label} → {result.to_label}", style="bold")
    )
    env.out.print(Text("commit:", style="bold"))
    _print_parts(env, result.commit_diff)
    env.out.print(Text("assetTree:", style="bold"))
    _print_parts(env, result.tree_diff)


COMMANDS = [log, show, diff]
