"""nit config: settings in TOML, user file < repo file < NIT_* environment."""

from __future__ import annotations

import click

from numbers_cli.cli.completion import complete_config_key
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.group import NitGroup
from numbers_cli.ops import settings

scope_option = click.option(
    "--user", "scope", flag_value="user", help="Write the user file (default outside a repository)."
)
repo_option = click.option(
    "--repo", "scope", flag_value="repo", help="Write this repository's .numbers/config.toml."
)


def _scope(env: Env, scope: str | None) -> str:
    if scope:
        return scope
    _, repo_dir = settings.load(env.cwd)
    return "repo" if repo_dir is not None else "user"


@click.group(
    cls=NitGroup,
    epilog=examples(
        "nit config list                       # every key, its value and where it comes from",
        "nit config set user.name 'Ada Lovelace' --user",
        "nit config set add.license cc-by-4.0  # checked now: a bad value is refused",
        "nit config get core.network --json",
    ),
)
def config() -> None:
    """Get and set settings (`nit config list` shows every key)."""


@config.command(epilog=examples("nit config get user.wallet", "nit config get core.network --json"))
@click.argument("key", shell_complete=complete_config_key)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def get(env: Env, key: str, as_json: bool) -> None:
    """Print the effective value of KEY."""
    cfg, _ = settings.load(env.cwd)
    value = cfg.get(key)
    if as_json:
        env.json({"key": key, "value": value, "origin": cfg.origin(key)})
    else:
        click.echo(str(value).lower() if isinstance(value, bool) else value)


@config.command(
    name="set",
    epilog=examples(
        "nit config set add.license cc-by-sa-4.0     # this repository's default licence",
        "nit config set add.license 'Mine=https://example.org/licence' --user",
        "nit config set core.pager 'less -S'",
    ),
)
@click.argument("key", shell_complete=complete_config_key)
@click.argument("value")
@scope_option
@repo_option
@pass_env
def set_(env: Env, key: str, value: str, scope: str | None) -> None:
    """Set KEY to VALUE (in the repository's file inside a repository)."""
    where = _scope(env, scope)
    settings.set_(env.cwd, where, key, value)  # type: ignore[arg-type]
    env.out.print(f"{key} = {value} ({where})", markup=False)


@config.command(
    epilog=examples("nit config unset add.license", "nit config unset user.name --user")
)
@click.argument("key", shell_complete=complete_config_key)
@scope_option
@repo_option
@pass_env
def unset(env: Env, key: str, scope: str | None) -> None:
    """Remove KEY from the user or repository file."""
    settings.unset(env.cwd, _scope(env, scope), key)  # type: ignore[arg-type]


@config.command(name="list", epilog=examples("nit config list", "nit config list --json"))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """Every known key with its value and where the value comes from."""
    cfg, _ = settings.load(env.cwd)
    items = cfg.items()
    if as_json:
        env.json(
            [
                {"key": k, "value": v, "origin": o, "description": settings.describe(k)}
                for k, v, o in items
            ]
        )
        return
    for k, v, o in items:
        shown = str(v).lower() if isinstance(v, bool) else v
        env.out.print(f"{k:16} = {shown!s:24} [dim]({o}) {settings.describe(k)}[/]")


COMMANDS = [config]
