"""trace: an asset's whole provenance (history, ancestors, descendants) as a graph."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import plural
from numbers_cli.errors import UsageError

#: Versions listed per asset in the terminal unless --all-versions (bad ones always show).
SHOWN_VERSIONS = 12


@click.command(
    epilog=examples(
        "nit trace photo.jpg                                   # the lineage, every verdict",
        "nit trace bafkrei… --remote --json > trace.json       # with the chain, for scripts",
        "nit trace photo.jpg --remote --scan-chain --html t.html  # one page, all descendants",
        "nit trace photo.jpg --dot | dot -Tsvg > lineage.svg   # a graph for Graphviz",
        "nit trace photo.jpg --all-versions                    # every version, not the last 12",
    )
)
@click.argument("target", metavar="NID|FILE|COMMIT")
@click.option("--remote", is_flag=True, help="Also read every asset's commits from the chain.")
@click.option("--network", metavar="NAME", help="The chain to read (implies --remote).")
@click.option(
    "--scan-chain",
    is_flag=True,
    help="Find descendants among all the register's commits (cached in .numbers/, resumable).",
)
@click.option(
    "--from-block", type=int, metavar="N", help="With --scan-chain: start the scan at block N."
)
@click.option(
    "--all-versions",
    is_flag=True,
    help=f"List every version in the terminal (default: the last {SHOWN_VERSIONS} and bad ones).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schemaVersion 1) for scripts.")
@click.option(
    "--dot",
    "as_dot",
    is_flag=True,
    help="Print the lineage as Graphviz DOT (edges: the versions naming each parent).",
)
@click.option(
    "--mermaid",
    "as_mermaid",
    is_flag=True,
    help="Print the lineage as Mermaid (edges: the versions naming each parent).",
)
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write one self-contained HTML page (graph, timeline, thumbnails, verdicts).",
)
@pass_env
@click.pass_context
def trace(
    ctx: click.Context,
    env: Env,
    target: str,
    remote: bool,
    network: str | None,
    scan_chain: bool,
    from_block: int | None,
    all_versions: bool,
    as_json: bool,
    as_dot: bool,
    as_mermaid: bool,
    html: Path | None,
) -> None:
    """Show where an asset came from, what was derived from it, and whether every link holds.

    Gathers the asset's versions (local commits; with --remote or --network
    its on-chain commits too, each signature checked as `log --remote` does),
    its ancestors by parentAssetCid up to the root, and its descendants: in
    this repository, and with --scan-chain among every commit of the register.
    Every version's tree counts, and each parent is shown with the versions
    that name it. The terminal lists each asset's last 12 versions and every
    bad one (--all-versions: all of them; --json always has them all).
    Trees missing here are read from the IPFS remote. Anything that cannot be
    found is shown as missing. Exits 11 if a tree does not match its commit,
    12/13 if a signature is bad, 17 if the lineage has a cycle or a parent
    that is not a Nid.
    """
    from numbers_cli.ops import trace as trace_op
    from numbers_cli.ops.remote_history import connect, open_optional_repo

    if sum((as_json, as_dot, as_mermaid)) > 1:
        raise UsageError("choose one of --json, --dot and --mermaid")
    if from_block is not None and not scan_chain:
        raise UsageError("--from-block only applies with --scan-chain")
    if from_block is not None and from_block < 0:
        raise UsageError("--from-block must be a block number (0 or more)")
    use_chain = remote or network is not None or scan_chain
    repo, config = open_optional_repo(env.cwd)
    if scan_chain and repo is None:
        raise UsageError("--scan-chain keeps its cache in a repository: run inside one, or -C DIR")
    with contextlib.ExitStack() as stack:
        source = None
        if repo is not None:
            from numbers_cli.ops.blocks import source_for

            source = source_for(repo, config)
            if source is not None:
                stack.callback(source.close)
        client = stack.enter_context(connect(config, network)) if use_chain else None
        finder, scanned = None, None
        if scan_chain:
            from numbers_cli.repo.chain_scan import ScanIndex

            assert repo is not None and client is not None
            index = stack.enter_context(ScanIndex.open(repo.dir, client.network.name))
            if index.rebuilt is not None:
                env.err.print(
                    f"nit: warning: the chain-scan cache {index.path} was damaged "
                    f"({index.rebuilt}): scanning afresh",
                    markup=False,
                )
            report = trace_op.scan_chain(
                repo,
                client,
                index,
                source=source,
                from_block=from_block,
                progress=progress_for(env.err, not as_json),
            )
            finder, scanned = trace_op.ScanFinder(index), report.to_json()
        result = trace_op.trace(
            repo, target, client=client, source=source, finder=finder, scanned=scanned
        )
    if html is not None:
        from numbers_cli.cli.views.html import write_html

        write_html(result, html, _content_reader(repo))
    if as_json:  # plain data: json.dumps writes what env.json would, much faster
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif as_dot:
        from numbers_cli.cli.views.graphs import to_dot

        click.echo(to_dot(result), nl=False)
    elif as_mermaid:
        from numbers_cli.cli.views.graphs import to_mermaid

        click.echo(to_mermaid(result), nl=False)
    else:
        from numbers_cli.cli.views.tree import render_tree

        console = env.out
        if not console.is_terminal:  # piped: whole lines, not cut at 80 columns
            from rich.console import Console

            console = Console(width=1000, highlight=False, color_system=None)
        console.print(render_tree(result, limit=None if all_versions else SHOWN_VERSIONS))
        if html is not None:
            env.out.print(f"wrote {html}")
    if result.bad_versions:
        env.err.print(
            Text(
                f"nit: warning: {plural(len(result.bad_versions), 'version')} fail their checks",
                style="red",
            )
        )
    ctx.exit(int(result.exit_code))


def _content_reader(repo: Any) -> Any:
    """bytes of an asset's file from the store (for thumbnails), or None."""
    if repo is None:
        return None
    from numbers_cli.cli.views.html import MAX_THUMB_SOURCE
    from numbers_cli.ops.trees import iter_file

    def read(nid: str) -> bytes | None:
        from numbers_cli.model.nid import Nid

        chunks: list[bytes] = []
        size = 0
        try:
            for piece in iter_file(repo, Nid(nid)):
                size += len(piece)
                if size > MAX_THUMB_SOURCE:
                    return None
                chunks.append(piece)
        except Exception:  # a missing or damaged file just has no thumbnail
            return None
        return b"".join(chunks)

    return read


COMMANDS = [trace]
