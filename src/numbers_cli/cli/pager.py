"""Paging long output (`log`, `show`, `diff`) on a terminal, the way git does.

The pager is `NIT_PAGER`, else config `core.pager` (the environment wins over
the config files, as for every setting), else `$PAGER`, else `less` when it is
installed. An empty value or `cat` means no pager. It runs through the shell
(so `less -S` works), with `LESS=FRX` unless `LESS` is set: less then exits at
once when the output fits on one screen, keeps colours, and leaves the text on
the screen. Nothing is paged when stdout is not a terminal, for `--json`, or
with `--no-pager`.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import click

from numbers_cli.cli.console import NitConsole
from numbers_cli.cli.env import Env

DEFAULT_PAGER = "less"


def pager_command(configured: str | None) -> str | None:
    """The shell command to page with, or None for no pager.

    `configured` is `core.pager` as resolved (NIT_PAGER already applied over
    the files); empty means "not set": fall back to $PAGER, then less.
    """
    for value in (configured, os.environ.get("PAGER")):
        if value is not None and value.strip():
            command = value.strip()
            return None if command == "cat" else command
    return DEFAULT_PAGER if shutil.which(DEFAULT_PAGER) else None


@contextlib.contextmanager
def paged(env: Env, configured: str | None, *, enabled: bool = True) -> Iterator[None]:
    """Send `env.out` through the pager for the duration of the block (when it applies).

    A reader who quits the pager early is not an error: the rest of the
    output is dropped and the command ends normally.
    """
    command = pager_command(configured) if enabled and env.pager else None
    if command is None or not sys.stdout.isatty():
        yield
        return
    child_env = dict(os.environ)
    child_env.setdefault("LESS", "FRX")
    child_env.setdefault("LV", "-c")
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=child_env)
    except OSError:
        yield  # the pager cannot start: print directly
        return
    assert process.stdin is not None
    stream = io.TextIOWrapper(process.stdin, encoding="utf-8", errors="replace")
    screen = env.out
    env.out = NitConsole(
        file=stream,
        force_terminal=screen.is_terminal,
        color_system=screen.color_system,  # type: ignore[arg-type]
        no_color=screen.no_color,
        width=screen.width,
        soft_wrap=True,
        highlight=False,
    )
    try:
        yield
    except BrokenPipeError:
        pass  # the reader quit the pager before the end
    finally:
        env.out = screen
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            stream.close()
        while True:
            try:
                process.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
                continue


def _no_pager(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, Env):
        ctx.obj.pager = False


#: `--no-pager` on a paging command (same as `nit --no-pager COMMAND`).
no_pager_option = click.option(
    "--no-pager",
    is_flag=True,
    expose_value=False,
    callback=_no_pager,
    help="Print straight to the terminal, without the pager.",
)
