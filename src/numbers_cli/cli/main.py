"""Entry point: the one place errors become messages and exit codes.

`main` holds all error handling (httpie's raw_main); commands hold none.
The click group itself is `cli.group.cli` (commands loaded on demand from
`cli.commands.TABLE`); this module imports neither click nor the group until
a command actually runs, so `nit --version` and `nit --help` cost little more
than starting Python.
"""

from __future__ import annotations

import sys

#: The exit codes, as `nit --help` lists them (docs/cli.md has the long form).
EXIT_CODES_HELP = """\
Exit codes:
  0   success            1  error            2  usage
  3   not a repository   4  not found        5  corrupt object
  6   wallet             7  repository busy  8  config
  9   network           10  verify: content  11  verify: tree
  12  verify: signature 13  verify: signer   14 verify: malformed commit
  15  verify: signer not tied to the committer   16 verify: policy
  17  lineage: cycle or bad parent        18 proof bundle fails
  19  chain has commits not seen here (fetch first)
  20  not holder/governor/registrant      21 refused by contract rules
  22  not licensed (license check)        23 no market contracts on network
  24  stamp: every artifact stamped before 25 verify: stamp (leaf, proof, root, anchor)
  26  bad manifest file, C2PA data or C2PA credentials
  27  dataset verify: changed, missing or unregistered entries
  28  monitor: nothing indexed            29 monitor: not an image or video
  30  repository format: run `nit upgrade` (older) or use a newer nit
  31  a file added by reference (--no-copy) changed or is gone
  70  internal error    130 interrupted
"""

#: Command modules under numbers_cli.cli that are not (yet) in `cli.commands.TABLE`.
#: They are imported whenever the command list is needed, which slows `nit --help`
#: down: add a line to the table instead (name → module, group, summary).
_COMMAND_MODULES: tuple[str, ...] = ()


def __getattr__(name: str) -> object:
    """`numbers_cli.cli.main.cli` still names the click group (imported on first use)."""
    if name == "cli":
        from numbers_cli.cli.group import cli

        return cli
    raise AttributeError(name)


def _fast_path(args: list[str]) -> int | None:
    """Answer `nit`, `nit --help`, `nit help` and `nit --version` from the table alone."""
    if _COMMAND_MODULES or len(args) > 1:
        return None
    arg = args[0] if args else None
    if arg == "--version":
        sys.stdout.write(_overview().version_text() + "\n")
        return 0
    if arg in ("--help", "-h", "help"):
        sys.stdout.write(_overview().render(EXIT_CODES_HELP))
        return 0
    if arg is None:  # like click's no_args_is_help: the overview, as a usage error
        sys.stderr.write(_overview().render(EXIT_CODES_HELP))
        return 2
    return None


def _overview():  # type: ignore[no-untyped-def]
    from numbers_cli.cli import overview

    return overview


def main(argv: list[str] | None = None) -> None:
    import os

    if "_NIT_COMPLETE" in os.environ:  # the shell asks for completions (cli.completion)
        from numbers_cli.cli.completion import complete_from_environment

        sys.exit(complete_from_environment())
    args = sys.argv[1:] if argv is None else argv
    fast = _fast_path(list(args))
    if fast is not None:
        sys.exit(_flush(fast))
    sys.exit(_flush(run(args)))


def _flush(code: int) -> int:
    """Flush stdout now, so a reader that left (`nit log | head -1`) is not an error at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except OSError:
        return code
    return code


def _quiet_stdout() -> None:
    """Point stdout at /dev/null: Python's own flush at exit must not fail on the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run(args: list[str], verbose: bool = False) -> int:
    """Run one command in-process; every error becomes one `nit: ...` line and an exit code."""
    import errno

    import click

    from numbers_cli.cli.group import cli
    from numbers_cli.errors import ExitCode, NitError

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
    except click.exceptions.NoArgsIsHelpError as exc:  # `nit wallet`: its help, as usage
        click.echo(exc.ctx.get_help(), err=True)
        return exc.exit_code
    except click.UsageError as exc:
        return _fail(f"error: {_usage_message(exc)}", exc.exit_code, verbose)
    except click.ClickException as exc:
        return _fail(f"error: {_sentence(exc.format_message())}", exc.exit_code, verbose)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except BrokenPipeError:
        _quiet_stdout()
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


def _fail(message: str, code: int, verbose: bool) -> int:
    import click

    if verbose:
        import traceback

        traceback.print_exc()
    click.echo(f"nit: {message}", err=True)
    return code


def _sentence(message: str) -> str:
    """click's messages in nit's style: lower-case start (unless a name), no final full stop."""
    text = " ".join(message.split())
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def _usage_message(exc) -> str:  # type: ignore[no-untyped-def]
    """A click usage error as one line: the problem, then the command's usage and help hint."""
    text = _sentence(exc.format_message())
    ctx = exc.ctx
    if ctx is None:
        return text
    pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
    return f"{text} (usage: {ctx.command_path} {pieces}; `{ctx.command_path} --help` for more)"
