"""What a command needs from its surroundings, passed in rather than read from
globals (httpie's Environment): consoles, the starting directory, verbosity,
and whether a person is there to answer a prompt."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console


@dataclass
class Env:
    cwd: Path = field(default_factory=Path.cwd)
    verbose: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=True, highlight=False))
    err: Console = field(
        default_factory=lambda: Console(stderr=True, soft_wrap=True, highlight=False)
    )

    @property
    def interactive(self) -> bool:
        """Prompts only when a person can answer them (never in CI or pipes)."""
        return sys.stdin.isatty() and os.environ.get("CI") is None

    def json(self, value: Any) -> None:
        """Machine output: plain JSON on stdout, never styled or wrapped."""
        from numbers_cli.model import jsjson

        click.echo(jsjson.stringify(value, indent=2))

    def ask_passphrase(self, wallet: str) -> str:
        return str(click.prompt(f"Passphrase for wallet '{wallet}'", hide_input=True, err=True))

    def passphrase_source(self):  # type: ignore[no-untyped-def]
        return self.ask_passphrase if self.interactive else None


pass_env = click.make_pass_decorator(Env)
