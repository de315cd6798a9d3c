"""upgrade: convert a repository made by an older nit to this nit's format."""

from __future__ import annotations

import click

from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.render import plural
from numbers_cli.ops import upgrade as upgrade_op


@click.command(
    epilog=examples(
        "nit upgrade          # once, for a repository made by nit 0.1",
        "nit upgrade --json   # what was converted, for scripts",
    )
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def upgrade(env: Env, as_json: bool) -> None:
    """Convert this repository, in place, to the format this nit uses.

    Needed once for a repository made by nit 0.1 (format 1): other commands
    refuse it with exit 30 until then. Restartable: if it is interrupted, run
    it again. Running it on an up-to-date repository changes nothing.
    """
    result = upgrade_op.upgrade(env.cwd)
    if as_json:
        env.json(result.to_json())
        return
    if result.already:
        env.out.print(f"already format {result.to_json()['toFormat']}: nothing to convert")
        return
    env.out.print(
        f"converted format {result.from_format} to {result.to_json()['toFormat']}: "
        f"{plural(result.objects, 'object')}, {plural(result.packs, 'pack')}, "
        f"{plural(result.refs, 'ref')}, {result.staged} staged, {result.tracked} tracked"
    )
    if result.skipped:
        env.err.print(
            f"[yellow]warning:[/] {plural(result.skipped, 'object')} no longer matched "
            "their CID and were left out; `nit fsck` says what they belonged to"
        )


COMMANDS = [upgrade]
