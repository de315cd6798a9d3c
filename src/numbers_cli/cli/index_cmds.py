"""restore, rm: changing what is staged and tracked (the index), as git does."""

from __future__ import annotations

import click
from rich.markup import escape

from numbers_cli.cli.completion import complete_asset
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural, quote_path
from numbers_cli.errors import UsageError
from numbers_cli.ops import tracking
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

_TRACKING = {
    "untracked": "no longer tracked",
    "tracked": "still tracked",
    "parent": "tracked as its parent again (modified)",
}


@click.command(
    epilog=examples(
        "nit restore --staged photo.jpg     # undo `nit add photo.jpg`",
        "nit restore --staged bafkre…x7q2   # the same, by (short) Nid",
        "nit restore --staged .             # unstage everything below here",
    )
)
@click.argument(
    "targets", nargs=-1, required=True, metavar="PATH|NID...", shell_complete=complete_asset
)
@click.option("--staged", is_flag=True, help="Unstage (the only kind of restore nit has).")
@json_option
@pass_env
def restore(env: Env, targets: tuple[str, ...], staged: bool, as_json: bool) -> None:
    """Unstage what `nit add` staged for a file (--staged); the file itself is kept.

    A new file becomes untracked again, an update of a committed asset is
    dropped, and an edited file is tracked as the asset it came from (and
    shows as modified). Commits are never touched.
    """
    if not staged:
        raise UsageError("nit restore needs --staged: it unstages; working files are never touched")
    repo, _ = open_repo(env.cwd)
    results = tracking.restore_staged(repo, env.cwd, list(targets))
    if as_json:
        env.json([r.to_json() for r in results])
        return
    if not results:
        env.out.print("nothing is staged there")
    for r in results:
        name = quote_path(r.path) if r.path else r.nid
        env.out.print(escape(f"unstaged {r.kind} {name}: {_TRACKING[r.tracking]}"))


@click.command(
    epilog=examples(
        "nit rm old.jpg            # untrack it and delete the file (its commits stay)",
        "nit rm --cached old.jpg   # untrack it, keep the file",
        "nit rm -f edited.jpg      # delete even with changes that were not added",
    )
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path())
@click.option("--cached", is_flag=True, help="Only untrack: keep the file on disk.")
@click.option(
    "-f", "--force", is_flag=True, help="Delete the file even if its bytes would be lost."
)
@json_option
@pass_env
def rm(env: Env, paths: tuple[str, ...], cached: bool, force: bool, as_json: bool) -> None:
    """Stop tracking a file, and delete it unless --cached; its history stays.

    What is staged for the file is dropped too. The file is deleted only when
    its bytes are those of its asset and stored here (`nit cat NID` gives them
    back); otherwise nothing changes and nit says why (--force deletes anyway).
    """
    repo, _ = open_repo(env.cwd)
    results = tracking.remove(repo, env.cwd, list(paths), cached=cached, force=force)
    if as_json:
        env.json([r.to_json() for r in results])
        return
    for r in results:
        stay = "stays" if r.commits == 1 else "stay"
        kept = f"; its {plural(r.commits, 'commit')} {stay} in the history" if r.commits else ""
        what = "rm" if r.deleted else "untracked"
        env.out.print(escape(f"{what} {quote_path(r.path)}{kept}"))


COMMANDS = [restore, rm]
