"""export, import: moving assets as CAR files (what IPFS tools exchange)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from numbers_cli.cli.completion import complete_object
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.progress import progress_for
from numbers_cli.cli.render import plural, size
from numbers_cli.errors import UsageError
from numbers_cli.ops import car_export, car_import
from numbers_cli.ops.session import open_repo

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _byte_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """`--max-size`: bytes, or a number with K, M, G or T (KiB, MiB, ...; `iB`/`B` optional)."""
    if value is None:
        return None
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = text.rstrip("KMGT"), text[len(text.rstrip("KMGT")) :]
    if not number.isdigit() or unit not in _UNITS:
        raise click.BadParameter(f"{value!r} is not a size (e.g. 500M, 2G, 1048576)")
    return int(number) * _UNITS[unit]


@click.command(
    name="export",
    epilog=examples(
        "nit export photo.jpg --car photo.car        # history and file, for `nit import`",
        "nit export NID --car - | ipfs dag import    # straight into an IPFS node",
        "nit export photo.jpg --car h.car --no-file  # the history only",
        "nit export photo.jpg --c2pa signed.jpg      # a copy with a C2PA manifest",
    ),
)
@click.argument("target", metavar="NID|COMMIT|FILE", shell_complete=complete_object)
@click.option(
    "--car",
    "out",
    metavar="OUT",
    help="CARv1 file to write ('-' for stdout).",
)
@click.option("--no-file", is_flag=True, help="Leave the file's blocks out: history only.")
# data stream (issue 15): a copy of the file with a signed C2PA manifest
@click.option(
    "--c2pa",
    "c2pa_out",
    metavar="OUT",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a copy of the file with a C2PA manifest naming its Nid, commit and tx.",
)
@click.option("--network", metavar="NAME", help="With --c2pa: whose transaction to name.")
@json_option
@pass_env
def export(
    env: Env,
    target: str,
    out: str | None,
    no_file: bool,
    c2pa_out: Path | None,
    network: str | None,
    as_json: bool,
) -> None:
    """Write an asset (its commits, trees and file) or a commit as a CARv1.

    The CAR's root is the asset's Nid (or the commit); `ipfs dag import` and
    `nit import` read it. With --c2pa instead: a copy of the asset's file
    carrying a C2PA manifest that names its Nid, latest commit and transaction,
    signed with the X.509 key and certificate of config c2pa.key / c2pa.cert.
    Outputs appear whole or not at all.
    """
    if (out is None) == (c2pa_out is None):
        raise UsageError("give one of --car OUT or --c2pa OUT")
    if c2pa_out is not None:
        from numbers_cli.cli import c2pa_cmd  # data stream (issue 15)

        c2pa_cmd.export_c2pa(env, target, c2pa_out, network, as_json)
        return
    assert out is not None
    if out == "-" and as_json:
        raise UsageError("--json needs --car FILE: stdout carries the CAR")
    if out == "-" and sys.stdout.isatty():
        raise UsageError("not writing a binary CAR to a terminal; redirect it or give --car FILE")
    repo, _ = open_repo(env.cwd)
    destination = click.get_binary_stream("stdout") if out == "-" else env.cwd / out
    report = car_export.export_car(
        repo,
        target,
        destination,
        include_file=not no_file,
        progress=progress_for(env.err),
    )
    if as_json:
        env.json(report.to_json())
    elif out != "-":
        env.out.print(
            f"wrote {out}: root {report.root} ({report.kind}), {plural(report.commits, 'commit')}, "
            f"{plural(report.blocks, 'block')}, {size(report.bytes)}"
            + ("" if report.file_included else ", without the file"),
            markup=False,
        )


@click.command(
    name="import",
    epilog=examples(
        "nit import photo.car            # histories and files from another repository",
        "ipfs dag export NID | nit import -",
        "nit import photo.car --json",
        "curl -s 'GATEWAY/ipfs/CID?format=car' | nit import - --max-size 2G",
    ),
)
@click.argument(
    "car_file",
    metavar="FILE.car",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
@click.option(
    "--max-size",
    metavar="SIZE",
    callback=_byte_size,
    help="Refuse a CAR larger than SIZE (e.g. 2G), keeping nothing: for CARs from a pipe.",
)
@json_option
@pass_env
@click.pass_context
def import_(
    ctx: click.Context, env: Env, car_file: Path, max_size: int | None, as_json: bool
) -> None:
    """Read a CARv1 ('-' for stdin) into this repository, every block verified.

    Histories in the CAR move the assets' refs forward; a diverged local
    history is kept and reported. Nothing is kept from a CAR that fails.
    A commit that is malformed or not signed by its committer joins no
    history (exit 14/12/13); one whose signer is not tied to its profile
    committer joins with a warning (exit 15).
    """
    repo, _ = open_repo(env.cwd)
    source = click.get_binary_stream("stdin") if str(car_file) == "-" else env.cwd / car_file
    report = car_import.import_car(repo, source, progress=progress_for(env.err), max_size=max_size)
    if as_json:
        env.json(report.to_json())
        ctx.exit(int(report.exit_code))
    env.out.print(
        f"imported {plural(report.imported, 'block')}, {report.present} already present, "
        f"from {report.source} ({size(report.bytes)})",
        markup=False,
    )
    for update in report.assets:
        line = Text(f"{update.asset} ", style="cyan")
        if update.added:
            line.append(f"{update.status}: +{plural(len(update.added), 'commit')}", style="green")
        elif update.status == "diverged":
            line.append(
                f"diverged: kept the local history (head {update.local_head}); "
                f"the CAR's ends at {update.car_head}",
                style="red",
            )
        elif update.status == "stored":
            line.append("commits stored; the CAR is not this asset's history", style="yellow")
        else:
            line.append(update.status, style="bright_black")
        env.out.print(line)
    for commit, reason in report.skipped:
        env.err.print(f"skipped commit {commit}: {reason}", markup=False)
    for commit, reason, _ in report.rejected:
        env.err.print(f"nit: warning: rejected commit {commit}: {reason}", markup=False)
    for commit, reason in report.untied:
        env.err.print(f"nit: warning: commit {commit}: {reason}", markup=False)
    ctx.exit(int(report.exit_code))


COMMANDS = [export, import_]
