"""nit remote: the IPFS remotes push uploads to and cat fetches from."""

from __future__ import annotations

import sys

import click

from numbers_cli.cli.completion import complete_remote
from numbers_cli.cli.env import Env, pass_env
from numbers_cli.cli.examples import examples
from numbers_cli.cli.group import NitGroup
from numbers_cli.ops import remotes as remotes_op
from numbers_cli.ops.settings import load as load_settings

global_option = click.option(
    "--global",
    "is_global",
    is_flag=True,
    help="Use the user config (every repository) instead of this repository's.",
)


def _scope(is_global: bool) -> str:
    return "user" if is_global else "repo"


def _read_secret(env: Env, what: str) -> str:
    """A secret from a hidden prompt on a terminal, else one line of stdin (never echoed)."""
    if env.interactive:
        return str(click.prompt(what.capitalize(), hide_input=True, err=True))
    return sys.stdin.readline().strip()


def _auth(env: Env, text: str | None) -> remotes_op.Auth | None:
    if text is None:
        return None
    return remotes_op.auth_from_option(text, lambda what: _read_secret(env, what))


@click.group(
    cls=NitGroup,
    epilog=examples(
        "nit remote add local http://127.0.0.1:5001         # a local IPFS daemon (Kubo RPC)",
        "nit remote add pinata https://api.pinata.cloud --auth bearer < token.txt",
        "nit remote list",
        "nit remote default local",
    ),
)
def remote() -> None:
    """IPFS remotes: Kubo RPC nodes and pinning services, gateways, the Numbers service."""


@remote.command(
    epilog=examples(
        "nit remote add local http://127.0.0.1:5001",
        "nit remote add pinata https://api.pinata.cloud --auth bearer   # asks for the token",
        "NIT_REMOTE_TOKEN=... nit remote add svc https://x.example --auth bearer",
        "nit remote add infura https://ipfs.infura.io:5001 --auth basic:PROJECT_ID < secret",
        "nit remote add capture --kind numbers --auth token < capture-token",
        "nit remote add gw https://ipfs.io --kind gateway --global",
    )
)
@click.argument("name")
@click.argument("url", required=False)
@click.option(
    "--kind",
    type=click.Choice(remotes_op.KINDS),
    default="kubo",
    show_default=True,
    help="kubo: Kubo RPC API (/api/v0); numbers: Numbers IPFS service; gateway: read-only.",
)
@click.option(
    "--auth",
    metavar="SCHEME",
    help="bearer, token, or basic:ID. The secret is asked for (or read from stdin, or "
    "NIT_REMOTE_TOKEN / NIT_REMOTE_PASSWORD), never taken from the command line; "
    "kept 0600, outside config.toml.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How long to wait for an answer (default 60).",
)
@global_option
@pass_env
def add(
    env: Env,
    name: str,
    url: str | None,
    kind: str,
    auth: str | None,
    timeout: float | None,
    is_global: bool,
) -> None:
    """Add remote NAME at URL (URL may be left out for --kind numbers)."""
    if not url and kind != "numbers":
        raise click.UsageError("URL is needed (only --kind numbers has a default)")
    added = remotes_op.add_remote(
        env.cwd,
        name,
        url or "",
        kind,
        _auth(env, auth),
        scope=_scope(is_global),  # type: ignore[arg-type]
        timeout=timeout,
    )
    shown = added.auth.masked() if added.auth else "no auth"
    env.out.print(f"remote {added.name}: {added.kind} {added.url} ({shown}, {_scope(is_global)})")


@remote.command(name="list", epilog=examples("nit remote list", "nit remote list --json"))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """Remotes, `*` on the default one; secrets are never shown."""
    config, _ = load_settings(env.cwd)
    infos = remotes_op.list_remotes(config)
    if as_json:
        env.json(
            [
                {"name": i.name, "kind": i.kind, "url": i.url, "auth": i.auth, "default": i.default}
                for i in infos
            ]
        )
        return
    for info in infos:
        mark = "*" if info.default else " "
        env.out.print(f"{mark} {info.name:12} {info.kind:8} {info.url}  [dim]{info.auth}[/]")


@remote.command(epilog=examples("nit remote remove pinata", "nit remote remove gw --global"))
@click.argument("name", shell_complete=complete_remote)
@global_option
@pass_env
def remove(env: Env, name: str, is_global: bool) -> None:
    """Forget remote NAME, its credentials and what was recorded as uploaded to it."""
    remotes_op.remove_remote(env.cwd, name, scope=_scope(is_global))  # type: ignore[arg-type]


@remote.command(epilog=examples("nit remote default local", "nit remote default gw --global"))
@click.argument("name", shell_complete=complete_remote)
@global_option
@pass_env
def default(env: Env, name: str, is_global: bool) -> None:
    """Make NAME the default remote (config `core.remote`)."""
    remotes_op.set_default_remote(env.cwd, name, scope=_scope(is_global))  # type: ignore[arg-type]
    env.out.print(f"default remote: {name} ({_scope(is_global)})")


COMMANDS = [remote]
