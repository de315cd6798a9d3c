"""log, show, diff: reading history."""

from __future__ import annotations

import click
from rich.text import Text

from numbers_cli.cli.completion import complete_asset, complete_network, complete_object
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.pager import no_pager_option, paged
from numbers_cli.cli.render import plural, quote_path, when
from numbers_cli.errors import UsageError
from numbers_cli.model import jsjson
from numbers_cli.model.nid import short
from numbers_cli.ops import history as history_op
from numbers_cli.ops import remote_history as remote_op
from numbers_cli.ops.profiles import open_profiles
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
remote_option = click.option(
    "--remote",
    is_flag=True,
    help="Read the asset's history from the chain (getCommits, then its Commit events).",
)
network_option = click.option(
    "--network",
    metavar="NAME",
    help="With --remote: the chain to read (default: core.network).",
    shell_complete=complete_network,
)
from_index_option = click.option(
    "--from-index",
    type=int,
    metavar="A",
    help="With --remote: start at on-chain commit A (0 = first; negative: from the end).",
)
to_index_option = click.option(
    "--to-index",
    type=int,
    metavar="B",
    help="With --remote: stop before commit B (one not after A means: to the end).",
)


def _needs_remote(remote: bool, **options: object) -> None:
    """Options that only mean something for the chain's history are refused without --remote."""
    given = [name for name, value in options.items() if value not in (None, False)]
    if given and not remote:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise UsageError(f"{flags} only apply with --remote")


@click.command(
    epilog=examples(
        "nit log                          # every asset's commits, newest first",
        "nit log photo.jpg --oneline      # one line per commit of one asset",
        "nit log bafkre…x7q2              # by (short) Nid, as --oneline prints it",
        "nit log photo.jpg --remote       # its history on the default network",
        "nit log NID --remote --network snow --from-index -5",
        "nit log --json | jq '.[0]'       # for scripts",
    )
)
@click.argument("asset", required=False, metavar="[NID|FILE]", shell_complete=complete_asset)
@click.option("--oneline", is_flag=True, help="One line per commit: ids, index, file, action.")
@remote_option
@network_option
@click.option(
    "--blocks", is_flag=True, help="With --remote: only each commit's index and block number."
)
@from_index_option
@to_index_option
@json_option
@no_pager_option
@pass_env
@click.pass_context
def log(
    ctx: click.Context,
    env: Env,
    asset: str | None,
    oneline: bool,
    remote: bool,
    network: str | None,
    blocks: bool,
    from_index: int | None,
    to_index: int | None,
    as_json: bool,
) -> None:
    """Show local commits, newest first: of one asset, or of all.

    With --remote, the asset's commits on the chain instead, oldest first, each
    signature checked and commits also in this repository marked `local`. The
    list is printed in full either way; the exit code is then 12 if a listed
    commit is unreadable or its signature unrecoverable, 13 if one is signed by
    someone other than its committer.
    """
    _needs_remote(remote, network=network, blocks=blocks, from_index=from_index, to_index=to_index)
    if remote:
        if asset is None:
            raise UsageError("log --remote needs the asset: nit log NID|FILE --remote")
        ctx.exit(_remote_log(env, asset, network, blocks, from_index, to_index, oneline, as_json))
    repo, config = open_repo(env.cwd)
    entries = history_op.log(repo, asset)
    if as_json:
        env.json([e.to_json() for e in entries])
        return
    if not entries:
        env.out.print("no commits yet")
        return
    with paged(env, str(config.get("core.pager"))):
        for e in entries:
            _print_entry(env, e, oneline)


def _print_entry(env: Env, e: history_op.LogEntry, oneline: bool) -> None:
    c = e.commit
    if oneline:
        line = Text(short(e.commit_nid, 14), style="yellow")
        line.append(f" {short(e.asset, 14)} #{e.index} ", style="cyan")
        if e.path:
            line.append(f"{quote_path(e.path)} ", style="bold")
        line.append(f"{c.get('actionName', '')}: {c.get('abstract', '')}", style="default")
        env.out.print(line)
        return
    env.out.print(Text(f"commit {e.commit_nid}", style="yellow"))
    env.out.print(Text(f"asset:     {e.asset}  (#{e.index})"))
    if e.path:
        env.out.print(Text(f"file:      {quote_path(e.path)}"))
    env.out.print(Text(f"action:    {c.get('actionName', '')}"))
    env.out.print(Text(f"committer: {c.get('committer')}"))
    if c.get("author") != c.get("committer"):
        env.out.print(Text(f"author:    {c.get('author')}"))
    env.out.print(f"date:      {when(c.get('timestampCreated'))}")
    env.out.print(Text(f"tree:      {c.get('assetTreeCid')}"))
    env.out.print(Text(f"\n    {c.get('abstract', '')}\n"))


def _remote_log(
    env: Env,
    target: str,
    network: str | None,
    blocks: bool,
    from_index: int | None,
    to_index: int | None,
    oneline: bool,
    as_json: bool,
) -> int:
    repo, config = remote_op.open_optional_repo(env.cwd)
    asset = remote_op.remote_asset(repo, target)
    with remote_op.connect(config, network) as client:
        if blocks:
            found = remote_op.remote_blocks(client, asset, from_index, to_index)
            if as_json:
                env.json(found.to_json())
                return 0
            env.out.print(
                Text(
                    f"asset {asset} on {found.network}: {plural(found.total, 'commit')}",
                    style="bold",
                )
            )
            for index, block in found.blocks:
                env.out.print(f"#{index}  block {block}")
            return 0
        with open_profiles(repo, config) as profiles:
            result = remote_op.remote_log(
                client, asset, from_index, to_index, repo=repo, profiles=profiles
            )
    if as_json:
        env.json(result.to_json())
    else:
        with paged(env, str(config.get("core.pager"))):
            _print_remote_log(env, result, oneline)
    if result.failed:
        env.err.print(
            Text(
                f"nit: warning: {len(result.failed)} of "
                f"{plural(len(result.commits), 'listed commit')} "
                f"{'fails' if len(result.failed) == 1 else 'fail'} the signature check",
                style="red",
            )
        )
    return int(result.exit_code)


def _print_remote_log(env: Env, result: remote_op.RemoteLog, oneline: bool) -> None:
    shown = (
        f" (showing #{result.commits[0].index}..#{result.commits[-1].index})"
        if result.commits and len(result.commits) != result.total
        else ""
    )
    env.out.print(
        Text(
            f"asset {result.asset} on {result.network}: {plural(result.total, 'commit')}{shown}",
            "bold",
        )
    )
    for e in result.commits:
        c = e.commit.as_dict() if e.commit else {}
        mark = Text("✓", style="green") if e.signature.ok else Text("✗", style="red")
        if oneline:
            line = Text(f"#{e.index} ", style="cyan")
            line.append(f"block {e.record.block_number} ")
            line.append(short(e.commit_nid, 14), style="yellow")
            line.append(" ")
            line.append(mark)
            line.append(" local" if e.local else "", style="cyan")
            what = f"{c.get('actionName', '')}: {c.get('abstract', '')}" if c else "(not a commit)"
            line.append(f" {what}", style="default")
            env.out.print(line)
            continue
        head = Text(f"commit {e.commit_nid}", style="yellow")
        if e.local:
            head.append("  (local)", style="cyan")
        env.out.print(head)
        env.out.print(
            f"index:     #{e.index}  block {e.record.block_number}  tx {e.record.tx_hash}"
        )
        env.out.print(f"recorder:  {e.record.recorder}")
        if e.commit is None:
            env.out.print(Text(f"data:      {e.record.commit_data[:200]}"))
        else:
            env.out.print(f"action:    {c.get('actionName', '')}")
            env.out.print(f"committer: {c.get('committer')}")
            env.out.print(f"date:      {when(c.get('timestampCreated'))}")
        line = Text("signature: ")
        line.append(mark)
        line.append(f" {e.signature.detail}", style="default" if e.signature.ok else "red")
        env.out.print(line)
        if e.commit is not None:
            env.out.print(Text(f"\n    {c.get('abstract', '')}\n"))
        else:
            env.out.print()


@click.command(
    epilog=examples(
        "nit show photo.jpg        # the asset's latest commit and its AssetTree",
        "nit show bafkre…x7q2      # a commit or asset by (short) Nid",
        "nit show NID --json       # for scripts",
    )
)
@click.argument("target", metavar="COMMIT|NID|FILE", shell_complete=complete_object)
@json_option
@no_pager_option
@pass_env
def show(env: Env, target: str, as_json: bool) -> None:
    """Show a commit and its AssetTree (an asset shows its latest commit)."""
    repo, config = open_repo(env.cwd)
    shown = history_op.show(repo, target)
    if as_json:
        env.json(shown.to_json())
        return
    with paged(env, str(config.get("core.pager"))):
        _print_shown(env, shown)


def _print_shown(env: Env, shown: history_op.Shown) -> None:
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
    """Unified-diff style: `-` removed, `+` added, ` ` kept, coloured on a terminal."""
    for part in parts:
        mark, style = ("+", "green") if part.added else ("-", "red") if part.removed else (" ", "")
        for line in part.value.rstrip("\n").split("\n"):
            env.out.print(Text(f"{mark}{line}", style=style or "bright_black"))


@click.command(
    # `nit diff photo.jpg 0 -1`: a negative commit index is an argument, not an
    # option; what is left over and not an index is refused in `_index_or_option`.
    context_settings={"ignore_unknown_options": True},
    epilog=examples(
        "nit diff photo.jpg              # last commit → staged (or the last two commits)",
        "nit diff photo.jpg 0 -1         # first commit → latest",
        "nit diff photo.jpg -1 staged    # latest commit → what is staged",
        "nit diff NID --remote           # the last two commits on chain",
        "NO_COLOR=1 nit diff photo.jpg   # plain -/+ lines",
    ),
)
@click.argument("asset", metavar="NID|FILE", shell_complete=complete_asset)
@click.argument("a", required=False)
@click.argument("b", required=False)
@remote_option
@network_option
@from_index_option
@to_index_option
@json_option
@no_pager_option
@pass_env
def diff(
    env: Env,
    asset: str,
    a: str | None,
    b: str | None,
    remote: bool,
    network: str | None,
    from_index: int | None,
    to_index: int | None,
    as_json: bool,
) -> None:
    """Show how an asset's commit and tree changed.

    A and B are commit indexes (0 = first, -1 = latest), commit Nids or 'staged'.
    Without them: latest commit vs staged, or else the last two commits.

    With --remote, two of the asset's commits on the chain: the first and the
    last of --from-index A --to-index B (B exclusive, as in `log --remote`);
    by default the last two. Their trees must be in this repository or a remote.
    """
    a, b = _index_or_option(a), _index_or_option(b)
    _needs_remote(remote, network=network, from_index=from_index, to_index=to_index)
    if remote:
        if a is not None or b is not None:
            raise UsageError("diff --remote picks commits with --from-index/--to-index")
        from numbers_cli.ops.blocks import source_for

        repo, config = open_repo(env.cwd)
        target = repo.resolve_asset(asset)
        source = source_for(repo, config)
        try:
            with remote_op.connect(config, network) as client:
                remote_result = remote_op.remote_diff(
                    repo, client, target, from_index, to_index, source=source
                )
        finally:
            if source is not None:
                source.close()
        if as_json:
            env.json(remote_result.to_json())
            return
        with paged(env, str(config.get("core.pager"))):
            _print_remote_heading(env, remote_result)
            _print_diff(env, remote_result.diff)
        return
    repo, config = open_repo(env.cwd)
    result = history_op.diff(repo, asset, a, b)
    if as_json:
        env.json(result.to_json())
        return
    with paged(env, str(config.get("core.pager"))):
        env.out.print(
            Text(f"asset {result.asset}: {result.from_label} → {result.to_label}", style="bold")
        )
        _print_diff(env, result)


def _print_remote_heading(env: Env, remote_result: remote_op.RemoteDiff) -> None:
    env.out.print(Text(f"asset {remote_result.diff.asset} on {remote_result.network}", "bold"))
    for side, c in (("from", remote_result.old), ("  to", remote_result.new)):
        if c is None:
            env.out.print(f"{side}: -")
            continue
        line = Text(f"{side}: #{c.index}, block {c.record.block_number}, tx {c.record.tx_hash}")
        if not c.signature.ok:
            line.append(f"  ✗ {c.signature.detail}", style="red")
        env.out.print(line)


def _index_or_option(value: str | None) -> str | None:
    """A/B as given, or click's own "no such option" for a word like `--jsno`
    that reached them because diff lets unknown options through for `-1`."""
    if value is not None and value.startswith("-") and not value[1:].isdigit():
        raise click.NoSuchOption(value.split("=", 1)[0], ctx=click.get_current_context())
    return value


def _print_diff(env: Env, result: history_op.Diff) -> None:
    env.out.print(Text("commit:", style="bold"))
    _print_parts(env, result.commit_diff)
    env.out.print(Text("assetTree:", style="bold"))
    _print_parts(env, result.tree_diff)


COMMANDS = [log, show, diff]
