"""help, completion: finding one's way around nit."""

from __future__ import annotations

import click

from numbers_cli.cli.completion import SHELLS, completion_script
from numbers_cli.cli.examples import examples
from numbers_cli.errors import UsageError


def _command_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:  # type: ignore[type-arg]
    """`nit help wallet cr<TAB>`: the commands, then subcommands, the names typed lead to."""
    current = ctx.find_root()
    command: click.Command | None = current.command
    for name in ctx.params.get("names") or ():
        if not isinstance(command, click.Group):
            return []
        command = command.get_command(current, name)
        if command is None:
            return []
        current = click.Context(command, info_name=name, parent=current)
    if not isinstance(command, click.Group):
        return []
    return [item for item in command.shell_complete(current, incomplete) if item.value[:1] != "-"]


@click.command(
    name="help",
    epilog=examples(
        "nit help                # every command, grouped",
        "nit help add            # the options of `nit add`",
        "nit help wallet create  # a subcommand's help",
    ),
)
@click.argument("names", nargs=-1, metavar="[COMMAND]...", shell_complete=_command_names)
@click.pass_context
def help_(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Show help for nit or for a command (`nit help wallet create`)."""
    current = ctx.find_root()
    command: click.Command = current.command
    path = "nit"
    for name in names:
        if not isinstance(command, click.Group):
            raise UsageError(f"`{path}` has no subcommands (no `{path} {name}`)")
        sub = command.get_command(current, name)
        if sub is None:
            raise UsageError(f"no command `{path} {name}`", hint=f"`{path} --help` lists them")
        current = click.Context(sub, info_name=name, parent=current)
        command = sub
        path = f"{path} {name}"
    click.echo(command.get_help(current))


@click.command(
    epilog=examples(
        'eval "$(nit completion bash)"    # in ~/.bashrc',
        "nit completion bash > ~/.local/share/bash-completion/completions/nit",
        'eval "$(nit completion zsh)"     # in ~/.zshrc (after compinit)',
        "nit completion fish > ~/.config/fish/completions/nit.fish",
    )
)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Commands, options, asset and commit Nids (and short ids) of the repository
    you are in, file names, and network, remote and wallet names complete with
    TAB. Install: see the examples, or docs/cli.md (Shell completion).
    """
    click.echo(completion_script(shell))


COMMANDS = [help_, completion]
