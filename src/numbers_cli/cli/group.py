"""The `nit` click group: global options, and commands loaded from the command table on demand.

`LazyGroup` is click's documented lazy-loading pattern: `list_commands` and
`get_command` answer from `commands.TABLE` (name → module, group, summary),
and import a command's module only when that command is resolved. So
`nit add` imports the `add` module and nothing of `push`, `devnet` or web3,
and `nit --help` (formatted from the table by `overview`) imports none.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from numbers_cli import __version__
from numbers_cli.cli import overview
from numbers_cli.cli.commands import TABLE
from numbers_cli.cli.env import Env


class NitGroup(click.Group):
    """A click group whose command list shows whole summaries (click cuts them at 45 columns)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(NitGroup):
    """The top-level group: commands come from `TABLE`, their modules imported on first use.

    `eager_modules` are command modules not (yet) in the table: they are
    imported whenever the full command list is needed, and their commands are
    listed under "other". Moving them into the table makes them lazy.
    """

    def __init__(self, *args, eager_modules: tuple[str, ...] = (), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.table = TABLE
        self.eager_modules = eager_modules
        self._eager_loaded = False

    def _load_module(self, module_name: str) -> None:
        module = importlib.import_module(f"numbers_cli.cli.{module_name}")
        for command in module.COMMANDS:
            if command.name not in self.commands:
                self.add_command(command)

    def _load_eager(self) -> None:
        if not self._eager_loaded:
            self._eager_loaded = True
            for module_name in self.eager_modules:
                self._load_module(module_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_eager()
        return list(dict.fromkeys([*self.table, *self.commands]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.table.get(cmd_name)
        if entry is not None:
            self._load_module(entry[0])
            if cmd_name not in self.commands:
                raise LookupError(f"numbers_cli.cli.{entry[0]} exports no command {cmd_name!r}")
            return self.commands[cmd_name]
        self._load_eager()
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # click suggests from the commands loaded so far; suggest from all of them.
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def extra_commands(self, ctx: click.Context) -> dict[str, tuple[str, str]]:
        """Commands of `eager_modules` that the table does not list: name → (group, summary)."""
        self._load_eager()
        return {
            name: ("other", command.get_short_help_str(limit=1000))
            for name, command in self.commands.items()
            if name not in self.table and not command.hidden
        }

    def get_help(self, ctx: click.Context) -> str:
        from numbers_cli.cli.main import EXIT_CODES_HELP

        return overview.render(EXIT_CODES_HELP, self.extra_commands(ctx)).rstrip("\n")

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list:  # type: ignore[type-arg]
        """Command names (with their summaries) from the table, without importing any."""
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=summary)
            for name, (_, _, summary) in self.table.items()
            if name.startswith(incomplete)
        ]
        items.extend(click.Command.shell_complete(self, ctx, incomplete))
        return items


def _eager_modules() -> tuple[str, ...]:
    from numbers_cli.cli.main import _COMMAND_MODULES

    return tuple(_COMMAND_MODULES)


@click.group(
    cls=LazyGroup,
    eager_modules=_eager_modules(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="nit", message=overview.version_text())
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.option(
    "-C",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run as if nit was started in DIR.",
)
@click.option("--no-pager", is_flag=True, help="Never page long output (log, show, diff).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, directory: Path | None, no_pager: bool) -> None:
    """nit: git for digital-media provenance (Numbers Protocol)."""
    if directory is not None:
        # Like `git -C`: relative FILE arguments (verify, show, log ...) are taken from there too.
        os.chdir(directory)
    ctx.obj = Env(cwd=Path.cwd().resolve(), verbose=verbose, pager=not no_pager)
