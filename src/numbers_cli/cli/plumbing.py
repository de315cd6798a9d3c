"""hash, cat: plumbing for scripts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from numbers_cli.cli.completion import complete_object, complete_remote
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import quote_path
from numbers_cli.model.names import json_path
from numbers_cli.ops import objects as objects_op
from numbers_cli.ops.session import open_repo


@click.command(
    name="hash",
    epilog=examples(
        "nit hash photo.jpg              # its Nid, as `ipfs add --cid-version=1` gives it",
        "nit hash *.jpg --json           # several, for scripts",
        "curl -s https://... | nit hash -   # standard input",
    ),
)
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def hash_(env: Env, files: tuple[Path, ...], as_json: bool) -> None:
    """Print each file's Nid (its IPFS CIDv1); needs no repository.

    `-` reads standard input.
    """
    results = []
    for f in files:
        if str(f) == "-":
            nid = objects_op.hash_stream(click.get_binary_stream("stdin"))
        else:
            path = env.cwd / f
            progress = progress_for(env.err)
            progress.start(f"hashing {f}", path.stat().st_size if path.exists() else 0)
            try:
                nid = objects_op.hash_file(path, progress.advance)
            finally:
                progress.done()
        results.append({"path": json_path(str(f)), "nid": nid})
        if not as_json:
            click.echo(nid if len(files) == 1 else f"{nid}  {quote_path(str(f))}")
    if as_json:
        env.json(results)


@click.command(
    epilog=examples(
        "nit cat photo.jpg > copy.jpg     # the file, every block checked against its CID",
        "nit cat bafkrei... --block       # one raw block",
        "nit cat NID --gateway https://ipfs.io > file   # fetch what is missing, verified",
    )
)
@click.argument("cid", metavar="CID|FILE", shell_complete=complete_object)
@click.option("--block", is_flag=True, help="Print the raw block instead of the file it roots.")
@click.option(
    "--remote",
    "remote_name",
    metavar="NAME",
    shell_complete=complete_remote,
    help="Fetch what is missing locally from this remote (default: the default remote).",
)
@click.option(
    "--gateway",
    metavar="URL",
    help="Fetch what is missing locally from this HTTP gateway (/ipfs/<cid>?format=raw).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How long to wait for a remote's answer (default: the remote's, 60; gateway 30).",
)
@pass_env
def cat(
    env: Env,
    cid: str,
    block: bool,
    remote_name: str | None,
    gateway: str | None,
    timeout: float | None,
) -> None:
    """Write an object's verified bytes to stdout (a whole file for a file's Nid).

    What is not in the repository is fetched from the remote (or gateway),
    every block checked against its CID, and kept.
    """
    from numbers_cli.ops.blocks import source_for

    if remote_name and gateway:
        raise click.UsageError("--remote and --gateway are alternatives: give one")
    repo, config = open_repo(env.cwd)
    progress = progress_for(env.err, bool(config.get("core.progress")))
    source = source_for(
        repo, config, remote=remote_name, gateway=gateway, timeout=timeout, progress=progress
    )
    out = sys.stdout.buffer
    try:
        for piece in objects_op.cat(repo, cid, raw_block=block, source=source):
            out.write(piece)
    finally:
        if source is not None:
            source.close()
    out.flush()


COMMANDS = [hash_, cat]
