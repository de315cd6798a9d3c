"""Entry point: the `nit` group, and the one place errors become exit codes.

`main` holds all error handling (httpie's raw_main); commands hold none.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from pathlib import Path

import click

from numbers_cli import __version__
from numbers_cli.cli.env import Env
from numbers_cli.errors import ExitCode, NitError

EXIT_CODES_HELP = """\b
Exit codes:
  0   success            1  error            2  usage
  3   not a repository   4  not found        5  corrupt object
  6   wallet             7  repository busy  8  config
  9   network           10  verify: content  11  verify: tree
  12  verify: signature 13  verify: signer   70 internal error
  24  already stamped   25  verify: stamp (leaf, proof, root, anchor)
  130 interrupted
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="nit")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run as if nit was started in this directory.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, directory: Path | None) -> None:
    """nit: git for digital-media provenance (Numbers Protocol)."""
    if directory is not None:
        # Like `git -C`: relative FILE arguments (verify, show, log ...) are taken from there too.
        os.chdir(directory)
    ctx.obj = Env(cwd=Path.cwd().resolve(), verbose=verbose)


#: Command modules under numbers_cli.cli, in the order `nit --help` lists them.
_COMMAND_MODULES = (
    "repo_cmds",
    "history",
    "checks",
    "push_cmd",
    "fetch_cmd",
    "network_cmd",
    "devnet_cmd",
    "car_cmd",
    "remote_cmd",
    "plumbing",
    "wallet_cmd",
    "config_cmd",
    "stamp_cmd",
)


def _register() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"numbers_cli.cli.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def _fail(message: str, code: int, verbose: bool) -> int:
    if verbose:
        traceback.print_exc()
    click.echo(f"nit: {message}", err=True)
    return code


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    sys.exit(run(args))


def run(args: list[str], verbose: bool = False) -> int:
    verbose = verbose or any(a in ("-v", "--verbose") for a in args)
    try:
        # make_context + invoke rather than cli.main: main turns Ctrl-C into a
        # bare Abort after printing a blank line; nit reports it in one line below.
        with cli.make_context("nit", list(args)) as ctx:
            result = cli.invoke(ctx)
        return int(result or 0)
    except NitError as exc:
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return _fail(f"error: {message}", int(exc.exit_code), verbose)
    except click.exceptions.Abort:
        return _fail("interrupted", int(ExitCode.INTERRUPTED), False)
    except KeyboardInterrupt:
        return _fail(
            "interrupted; nothing half-written was kept, run the command again",
            int(ExitCode.INTERRUPTED),
            verbose,
        )
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except BrokenPipeError:
        return 0  # `nit log | head`: the reader left, nothing is wrong
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            return _fail(
                "error: no space left on device; nothing was committed half-way", 1, verbose
            )
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(f"error:{where}: {exc.strerror or exc}", 1, verbose)
    except Exception as exc:
        hint = "" if verbose else " (run with -v for the traceback)"
        return _fail(
            f"internal error: {type(exc).__name__}: {exc}{hint}", int(ExitCode.INTERNAL), verbose
        )
