"""What a command needs from its surroundings, passed in rather than read from
globals (httpie's Environment): consoles, the starting directory, verbosity,
and whether a person is there to answer a prompt.

The consoles are rich Consoles made on first use: `rich.console` costs about
15 ms to import, and a command that prints only JSON (`nit push --json`) or
nothing never needs it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from numbers_cli.cli import plain

if TYPE_CHECKING:
    from rich.console import Console


def __getattr__(name: str) -> Any:
    """`cli.env.NitConsole` still names the console class (it lives in `cli.console`)."""
    if name == "NitConsole":
        from numbers_cli.cli.console import NitConsole

        return NitConsole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _console(stderr: bool = False) -> Console:
    from numbers_cli.cli.console import NitConsole

    return NitConsole(stderr=stderr, soft_wrap=True, highlight=False)


@dataclass
class Env:
    cwd: Path = field(default_factory=Path.cwd)
    verbose: bool = False
    #: False with `nit --no-pager` (or a command's --no-pager): long output is never paged.
    pager: bool = True
    #: The consoles, when given or once made (`out` and `err` make them on first use).
    _out: Console | None = field(default=None, repr=False)
    _err: Console | None = field(default=None, repr=False)

    @property
    def out(self) -> Console:
        """Standard output for people (rich markup, styles); made on first use."""
        if self._out is None:
            self._out = _console()
        return self._out

    @out.setter
    def out(self, console: Console) -> None:
        self._out = console

    @property
    def err(self) -> Console:
        """Standard error for people: notes, warnings, progress bars; made on first use."""
        if self._err is None:
            self._err = _console(stderr=True)
        return self._err

    @err.setter
    def err(self, console: Console) -> None:
        self._err = console

    @property
    def interactive(self) -> bool:
        """Prompts only when a person can answer them (never in CI or pipes)."""
        return sys.stdin.isatty() and os.environ.get("CI") is None

    def is_terminal(self, err: bool = False) -> bool:
        """Whether stdout (stderr with `err`) is a terminal, as its rich console would say;
        without making the console (and importing rich) when it is not made yet."""
        console = self._err if err else self._out
        if console is not None:
            return console.is_terminal
        return plain.is_terminal(sys.stderr if err else sys.stdout)

    def line(self, *parts: tuple[str, str | None], err: bool = False) -> None:
        """One line for people, made of (text, rich style) parts, on stdout (stderr with `err`).

        Where no styles can show and rich would change no character (`cli.plain`),
        the text is written as it is, and rich is not imported; else it is a rich
        Text printed by the console. The bytes a script reads are the same.
        """
        text = "".join(piece for piece, _ in parts)
        if not self.is_terminal(err) and plain.unchanged_by_rich(text):
            stream = sys.stderr if err else sys.stdout
            stream.write(text + "\n")
            stream.flush()  # as rich does after each print: stdout and stderr stay in order
            return
        from rich.text import Text

        styled = Text()
        for piece, style in parts:
            styled.append(piece, style=style)
        (self.err if err else self.out).print(styled)

    def json(self, value: Any) -> None:
        """Machine output: plain JSON on stdout, never styled or wrapped."""
        from numbers_cli.model import jsjson

        click.echo(jsjson.stringify(value, indent=2))

    #: True with --passphrase-stdin: the passphrase is the next line of standard input.
    passphrase_stdin: bool = False
    _stdin_line: str | None = field(default=None, repr=False)
    _asked: int = field(default=0, repr=False)

    def stdin_passphrase(self) -> str | None:
        """The passphrase read from stdin with --passphrase-stdin (read once), else None."""
        if not self.passphrase_stdin:
            return None
        if self._stdin_line is None:
            self._stdin_line = sys.stdin.readline().rstrip("\r\n")
        return self._stdin_line

    def ask_passphrase(self, wallet: str) -> str:
        """The unlock prompt; from the second call on it says the last answer was wrong."""
        self._asked += 1
        if self._asked > 1:
            click.echo("wrong passphrase; try again", err=True)
        return str(click.prompt(f"Passphrase for wallet '{wallet}'", hide_input=True, err=True))

    def passphrase_source(self):  # type: ignore[no-untyped-def]
        return self.ask_passphrase if self.interactive else None

    def new_passphrase(self) -> str:
        """The passphrase a new keystore is encrypted with: --passphrase-stdin, NIT_PASSPHRASE,
        else asked twice on a terminal (three tries). Never empty (ops.wallet says why)."""
        from numbers_cli.errors import WalletError
        from numbers_cli.ops.wallet import require_passphrase

        given = self.stdin_passphrase()
        if given is not None:
            return require_passphrase(given, "the passphrase read from stdin")
        env_value = os.environ.get("NIT_PASSPHRASE")
        if env_value is not None:
            return require_passphrase(env_value, "NIT_PASSPHRASE")
        if not self.interactive:
            raise WalletError(
                "a passphrase is needed: set NIT_PASSPHRASE, use --passphrase-stdin, "
                "or run in a terminal"
            )
        for _ in range(3):
            first = str(
                click.prompt(
                    "New passphrase", hide_input=True, default="", show_default=False, err=True
                )
            )
            if not first:
                click.echo(
                    "the passphrase must not be empty: it is what protects the key if the "
                    "keystore file is ever copied",
                    err=True,
                )
                continue
            again = str(
                click.prompt(
                    "Repeat the passphrase",
                    hide_input=True,
                    default="",
                    show_default=False,
                    err=True,
                )
            )
            if again == first:
                return first
            click.echo("the two passphrases differ; again", err=True)
        raise WalletError("no passphrase was set after 3 attempts; nothing was created")


def _passphrase_stdin(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, Env):
        ctx.obj.passphrase_stdin = True


#: `--passphrase-stdin` on the commands that need a wallet's passphrase.
passphrase_stdin_option = click.option(
    "--passphrase-stdin",
    is_flag=True,
    expose_value=False,
    callback=_passphrase_stdin,
    help="Read the wallet's passphrase from the first line of standard input.",
)


pass_env = click.make_pass_decorator(Env)
