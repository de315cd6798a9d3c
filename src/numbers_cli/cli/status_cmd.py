"""nit status: what is staged, committed but not pushed, and changed on disk; with
--remote, where each asset stands on the chain."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural, quote_path
from numbers_cli.cli.repo_cmds import LIST_AT_MOST, json_option, path_json
from numbers_cli.model.names import json_path
from numbers_cli.ops import status as status_op
from numbers_cli.ops.session import open_repo


@click.command(
    epilog=examples(
        "nit status          # staged, unpushed and changed files",
        "nit status --json   # for scripts",
        "nit status --remote # also each asset against the chain (behind? diverged?)",
    )
)
@click.option(
    "--remote",
    is_flag=True,
    help="Also compare every asset with the chain: up to date, ahead, behind, diverged.",
)
@click.option("--network", metavar="NAME", help="With --remote: the chain (default: core.network).")
@click.option("--long", "long_", is_flag=True, help="List every entry, however many.")
@json_option
@pass_env
def status(env: Env, remote: bool, network: str | None, long_: bool, as_json: bool) -> None:
    """Show staged assets, commits not yet pushed, and tracked files changed on disk.

    Entries are sorted by path. A section of more than 50 entries is summarised
    by kind (--long lists it; --json always has every entry). With --remote,
    also where each asset stands on the chain; `behind` and `diverged` assets
    have commits there this repository never saw (`nit fetch` them before pushing).
    """
    repo, config = open_repo(env.cwd)
    st = status_op.status(repo)
    states = _remote_states(repo, config, network) if remote or network else None
    if as_json:
        value: dict[str, Any] = {
            "staged": [
                {"nid": s.nid, "kind": s.kind, "path": path_json(s.path)} for s in st.staged
            ],
            "unpushed": [
                {"nid": u.nid, "commits": u.commits, "path": path_json(u.path)} for u in st.unpushed
            ],
            "changed": [
                {"path": json_path(c.path), "nid": c.nid, "state": c.state} for c in st.changed
            ],
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
    summary = st.summary()
    if st.staged:
        env.out.print("[bold]Staged for commit:[/]")
        if len(st.staged) > LIST_AT_MOST and not long_:
            counts = ", ".join(f"{n} {kind}" for kind, n in summary["staged"].items())
            env.out.print(f"  {plural(len(st.staged), 'asset')}: {counts}")
        else:
            for s in st.staged:
                name = escape(quote_path(s.path)) if s.path else ""
                env.out.print(f"  [green]{s.kind:7}[/] {s.nid}  {name}")
    if st.unpushed:
        env.out.print("[bold]Committed, not pushed:[/]")
        if len(st.unpushed) > LIST_AT_MOST and not long_:
            env.out.print(
                f"  {plural(summary['unpushed']['commits'], 'commit')} of "
                f"{plural(summary['unpushed']['assets'], 'asset')}"
            )
        else:
            for u in st.unpushed:
                name = escape(quote_path(u.path)) if u.path else ""
                env.out.print(f"  [yellow]{plural(u.commits, 'commit'):9}[/] {u.nid}  {name}")
    if st.changed:
        env.out.print("[bold]Changed on disk since added:[/]")
        if len(st.changed) > LIST_AT_MOST and not long_:
            counts = ", ".join(f"{n} {state}" for state, n in summary["changed"].items())
            env.out.print(f"  {plural(len(st.changed), 'file')}: {counts}")
        else:
            for c in st.changed:
                env.out.print(f"  [red]{c.state:8}[/] {escape(quote_path(c.path))}  (was {c.nid})")
    if not long_ and max(len(st.staged), len(st.unpushed), len(st.changed)) > LIST_AT_MOST:
        env.out.print("(`nit status --long` lists every entry)")


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
        name = escape(quote_path(state.path)) if state.path else ""
        env.out.print(
            f"  [{style.get(state.state, 'bright_black')}]{state.state:12}[/] {state.asset}  "
            f"{name} ({state.local} local, {state.chain} on chain{extra})"
        )
    if any(state.unseen for state in states):
        env.out.print("  (`nit fetch NID` brings the unseen commits here before a push)")


COMMANDS = [status]
