"""Shell completion (bash, zsh, fish) through click's own machinery.

`nit completion SHELL` prints the script a shell sources (`cli.completion_scripts`:
click's protocol, with scripts fixed for what the real shells do); the script
calls `nit` back with `_NIT_COMPLETE=<shell>_complete` set, which `cli.main.main`
hands to click here. Command names come from the command table (no module
imported); arguments complete with the callbacks below: Nids and short ids of
this repository's assets and commits (with their file names as help), file
names, network, remote and wallet names. A callback never fails: a broken
repository or config just completes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click
from click.shell_completion import CompletionItem

COMPLETE_VAR = "_NIT_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The script that makes `shell` complete nit's commands."""
    from numbers_cli.cli.completion_scripts import SHELL_CLASSES
    from numbers_cli.cli.group import cli

    cls = SHELL_CLASSES.get(shell)
    if cls is None:
        raise click.BadParameter(f"no completion for {shell!r}; use one of {', '.join(SHELLS)}")
    return cls(cli, {}, "nit", COMPLETE_VAR).source()


def complete_from_environment() -> int:
    """Answer the shell's completion request (`_NIT_COMPLETE=<shell>_complete`, set by the script).

    Exit 1, printing nothing, for a shell or an instruction nit does not know.
    """
    from numbers_cli.cli.completion_scripts import SHELL_CLASSES
    from numbers_cli.cli.group import cli

    shell, _, instruction = os.environ[COMPLETE_VAR].partition("_")
    cls = SHELL_CLASSES.get(shell)
    if cls is None or instruction not in ("complete", "source"):
        return 1
    comp = cls(cli, {}, "nit", COMPLETE_VAR)
    text = comp.complete() + "\n" if instruction == "complete" else comp.source()
    click.echo(text.encode(), nl=False)  # bytes: no CRLF on Windows, as click does
    return 0


def _start(ctx: click.Context) -> Path:
    """Where the command would run: `nit -C DIR` is honoured while completing too."""
    directory = ctx.find_root().params.get("directory")
    return (Path.cwd() / directory) if directory else Path.cwd()


def _quiet(
    fn: Callable[[click.Context, str], list[CompletionItem]],
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        try:
            return fn(ctx, incomplete)
        except Exception:  # completion must never print a traceback into a prompt
            return []

    return complete


def _ids(ctx: click.Context, incomplete: str, kinds: tuple[str, ...]) -> list[CompletionItem]:
    """The known Nids of `kinds` that `incomplete` begins, or abbreviates as a short id does."""
    from numbers_cli.repo.repository import Repository
    from numbers_cli.repo.shortid import known_ids, matcher

    short = matcher(incomplete)  # `5wa3wmf4`, `bafkre…5wa3wmf4`: TAB expands them
    repo = Repository(Path(_root(ctx)))
    return [
        CompletionItem(known.nid, help=f"{known.kind} {known.label}".strip())
        for known in known_ids(repo)
        if known.kind in kinds
        and (known.nid.startswith(incomplete) or (short is not None and short(known.nid)))
    ]


def _root(ctx: click.Context) -> Path:
    from numbers_cli.repo.repository import find_enclosing

    root = find_enclosing(_start(ctx).resolve())
    if root is None:
        raise LookupError("not in a repository")
    return root


def _files(incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(incomplete, type="file")]


def _ids_or_files(
    ctx: click.Context, incomplete: str, kinds: tuple[str, ...]
) -> list[CompletionItem]:
    """Nids (a Nid starts with `b`; a short id is base32) and file names, both."""
    from numbers_cli.repo.shortid import matcher

    may_be_id = incomplete.startswith("b") or matcher(incomplete) is not None
    if may_be_id and "/" not in incomplete:
        try:
            return _ids(ctx, incomplete, kinds) + _files(incomplete)
        except LookupError:
            pass
    return _files(incomplete)


@_quiet
def _asset_or_file(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    return _ids_or_files(ctx, incomplete, ("asset", "staged", "tracked"))


@_quiet
def _any_id_or_file(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    return _ids_or_files(ctx, incomplete, ("asset", "commit", "staged", "tracked"))


@_quiet
def _network(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    from numbers_cli.ops import networks as networks_op
    from numbers_cli.ops import settings

    config, _ = settings.load(_start(ctx))
    return [
        CompletionItem(info.name, help=f"chain {info.network.chain_id}" if info.network else "")
        for info in networks_op.list_networks(config)
        if info.name.startswith(incomplete)
    ]


@_quiet
def _remote(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    from numbers_cli.ops import remotes as remotes_op
    from numbers_cli.ops import settings

    config, _ = settings.load(_start(ctx))
    return [
        CompletionItem(name)
        for name in sorted(config.table(remotes_op.REMOTES_TABLE))
        if name.startswith(incomplete)
    ]


@_quiet
def _wallet(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    from numbers_cli.ops import wallet as wallet_op

    return [
        CompletionItem(w.name, help=w.address or "")
        for w in wallet_op.listing()
        if w.name.startswith(incomplete)
    ]


@_quiet
def _config_key(ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    from numbers_cli.config import KEYS

    return [
        CompletionItem(key, help=spec.description)
        for key, spec in KEYS.items()
        if key.startswith(incomplete)
    ]


#: `shell_complete=` callbacks for click parameters.
complete_asset = _asset_or_file  # an asset: Nid, short id or tracked file
complete_object = _any_id_or_file  # an asset or a commit
complete_network = _network
complete_remote = _remote
complete_wallet = _wallet
complete_config_key = _config_key
