"""`nit remote`: named IPFS remotes in `[remotes.NAME]`, their secrets, the default one.

A remote's public part (URL, kind, auth scheme, timeout) is a config table
entry, written with `config_writer.set_table_entry` into the repo file (or the
user file with `--global`). Its secret is **not** written there: config files
are rewritten with mode 0644 by every `nit config set`, so a secret in them
would not stay private. It goes to a credentials file of its own, created
0600 from the first byte (`fsio.atomic_write`): `.numbers/remotes/NAME/credentials`
for a repo remote, `<config dir>/remotes/NAME.credentials` for a user remote.
The file also records the URL it is for, and is used only for that URL, so a
secret never travels to a server it was not given for.

In CI, `NIT_REMOTE_TOKEN` (or `NIT_REMOTE_USER` + `NIT_REMOTE_PASSWORD`) give
the secret instead, and win over the file. How secrets are kept, read and
asked for is `ops.remote_secrets`; its public names are importable from here.

The default remote is `core.remote`; when it is empty and exactly one remote
exists, that one is the default.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import tomli

from numbers_cli.config import Config, Scope
from numbers_cli.config_writer import remove_table_entry, set_table_entry, set_value
from numbers_cli.errors import ConfigError, NotFound
from numbers_cli.ipfs.remote import (
    DEFAULT_TIMEOUT,
    KINDS,
    SCHEMES,
    Auth,
    Kind,
    Remote,
    Scheme,
    check_remote_name,
    normalize_url,
)
from numbers_cli.ops.remote_secrets import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    auth_from_option,
    credential_candidates,
    credentials_path,
    env_auth,
    read_credentials,
    remote_state_dir,
    write_credentials,
)
from numbers_cli.repo.repository import DIRNAME, find_enclosing

if TYPE_CHECKING:
    from numbers_cli.ipfs import Adapter

__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_USER",
    "KINDS",
    "REMOTES_TABLE",
    "Auth",
    "RemoteInfo",
    "add_remote",
    "auth_from_option",
    "list_remotes",
    "open_remote",
    "remote_state_dir",
    "remove_remote",
    "resolve_remote",
    "set_default_remote",
]

#: The config table of named remotes: `[remotes.origin]`, `[remotes.pinata]`...
REMOTES_TABLE = "remotes"
DEFAULT_KEY = "core.remote"

_FIELDS = frozenset({"url", "kind", "auth", "timeout"})


@dataclass(frozen=True)
class RemoteInfo:
    """A remote as `nit remote list` shows it: never its secret."""

    name: str
    kind: str
    url: str
    auth: str  # "none", or the scheme with the secret masked, and where it comes from
    default: bool


# --------------------------------------------------------------------------
# Reading


def _entry(name: str, entry: Any) -> tuple[str, Kind, Scheme | None, float]:
    where = f"[{REMOTES_TABLE}.{name}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise ConfigError(
            f"{where} has unknown field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})"
        )
    url = entry.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError(f"{where} needs `url`")
    kind = entry.get("kind", "kubo")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    scheme = entry.get("auth")
    if scheme is not None and scheme not in SCHEMES:
        raise ConfigError(f"{where}: auth {scheme!r} is not one of {', '.join(SCHEMES)}")
    timeout = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{where}: timeout must be a number of seconds > 0")
    return url, kind, scheme, float(timeout)


def _build(
    config: Config, name: str, entry: Any, env: Mapping[str, str]
) -> tuple[Remote, Scheme | None]:
    """The remote with its credentials, and the auth scheme its entry asks for."""
    url, kind, scheme, timeout = _entry(name, entry)
    auth = env_auth(env, scheme, kind)
    source = "environment" if auth is not None else ""
    if auth is None:
        for path in credential_candidates(config, name):
            auth = read_credentials(path, url)
            if auth is not None:
                source = "credentials file"
                break
    return Remote(name, url, kind, auth, timeout, source), scheme


def _default_name(config: Config, table: Mapping[str, Any]) -> str | None:
    name = str(config.get(DEFAULT_KEY))
    if name:
        return name
    if len(table) == 1:
        return next(iter(table))
    return None


def resolve_remote(
    config: Config, name: str | None = None, env: Mapping[str, str] | None = None
) -> Remote | None:
    """The remote `name`, else the default one; None when none is configured at all.

    ConfigError for an unknown name, or for several remotes and no default.
    """
    env = os.environ if env is None else env
    table = config.table(REMOTES_TABLE)
    if name is None:
        if not table:
            return None
        name = _default_name(config, table)
        if name is None:
            raise ConfigError(
                f"several remotes ({', '.join(sorted(table))}) and no default",
                hint="pick one with `nit remote default NAME`, or pass --remote",
            )
    check_remote_name(name)
    if name not in table:
        known = f" (known: {', '.join(sorted(table))})" if table else ""
        raise ConfigError(f"no remote named {name!r}{known}", hint="add it with `nit remote add`")
    remote, scheme = _build(config, name, table[name], env)
    if scheme is not None and remote.auth is None:
        raise ConfigError(
            f"{remote.label} needs {scheme} credentials and none were found",
            hint=f"`nit remote add` it again with --auth, or set {ENV_TOKEN}"
            + (f" / {ENV_USER} + {ENV_PASSWORD}" if scheme == "basic" else ""),
        )
    return remote


def open_remote(remote: Remote) -> Adapter:
    """The adapter that speaks the remote's protocol (KuboRemote, GatewaySource, NumbersRemote)."""
    from numbers_cli.ipfs import connect  # requests is imported only when a remote is used

    return connect(remote)


def list_remotes(config: Config, env: Mapping[str, str] | None = None) -> list[RemoteInfo]:
    """Every configured remote, secrets masked, the default one marked."""
    env = os.environ if env is None else env
    table = config.table(REMOTES_TABLE)
    default = _default_name(config, table)
    infos = []
    for name in sorted(table):
        remote, scheme = _build(config, name, table[name], env)
        if remote.auth is not None:
            auth = f"{remote.auth.masked()} from {remote.auth_source}"
        elif scheme is not None:
            auth = f"{scheme} (missing)"
        else:
            auth = "none"
        infos.append(RemoteInfo(name, remote.kind, remote.url, auth, name == default))
    return infos


# --------------------------------------------------------------------------
# Writing


def _repo_dir(cwd: Path) -> Path | None:
    return find_enclosing(Path(cwd).resolve())


def add_remote(
    cwd: Path,
    name: str,
    url: str,
    kind: str = "kubo",
    auth: Auth | None = None,
    *,
    scope: Scope = "repo",
    timeout: float | None = None,
) -> Remote:
    """Record a new remote (refusing to replace one of the same name in that scope)."""
    check_remote_name(name)
    if kind not in get_args(Kind):
        raise ConfigError(f"unknown remote kind {kind!r} (known: {', '.join(KINDS)})")
    if kind == "numbers" and not url:
        from numbers_cli.ipfs.numbers import NUMBERS_ADD_URL

        url = NUMBERS_ADD_URL
    clean, url_auth = normalize_url(url)
    auth = auth or url_auth
    if kind == "numbers" and auth is not None and auth.scheme == "basic":
        raise ConfigError("the Numbers IPFS service takes a Capture token: --auth token:TOKEN")
    repo_dir = _repo_dir(cwd)
    if name in _scope_table(scope, repo_dir):
        raise ConfigError(
            f"remote {name!r} already exists", hint=f"`nit remote remove {name}` first"
        )
    entry: dict[str, Any] = {"url": clean, "kind": kind}
    if auth is not None:
        entry["auth"] = auth.scheme
    if timeout is not None:
        entry["timeout"] = timeout
    set_table_entry(scope, REMOTES_TABLE, name, entry, repo_dir)
    if auth is not None:
        write_credentials(credentials_path(scope, name, repo_dir, None), clean, auth)
    if scope == "repo" and repo_dir is not None:
        _reset_state(repo_dir, name)
    return Remote(name, clean, kind, auth, timeout or DEFAULT_TIMEOUT)  # type: ignore[arg-type]


def _scope_table(scope: Scope, repo_dir: Path | None) -> dict[str, Any]:
    """The remotes of one file alone (a repo remote shadows a user one of the same name)."""
    if scope == "user":
        return Config.load(None).table(REMOTES_TABLE)
    if repo_dir is None:
        return {}
    path = repo_dir / DIRNAME / "config.toml"
    try:
        document = tomli.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    table = document.get(REMOTES_TABLE, {})
    return table if isinstance(table, dict) else {}


def _reset_state(repo_dir: Path, name: str) -> None:
    """Forget what was uploaded to an earlier remote of this name (keep its credentials)."""
    state = remote_state_dir(repo_dir, name)
    (state / "pinned").unlink(missing_ok=True)
    (state / "url").unlink(missing_ok=True)
    shutil.rmtree(state / "uploads", ignore_errors=True)


def remove_remote(cwd: Path, name: str, *, scope: Scope = "repo") -> None:
    """Delete the remote, its credentials and (repo scope) what we recorded about it."""
    check_remote_name(name)
    repo_dir = _repo_dir(cwd)
    if not remove_table_entry(scope, REMOTES_TABLE, name, repo_dir):
        hint = None
        if scope == "repo" and name in _scope_table("user", None):
            hint = "it is in the user config: use --global"
        elif scope == "user" and name in _scope_table("repo", repo_dir):
            hint = "it is in this repository's config: drop --global"
        raise NotFound(f"no remote named {name!r} in the {scope} config", hint=hint)
    credentials_path(scope, name, repo_dir, None).unlink(missing_ok=True)
    if scope == "repo" and repo_dir is not None:
        shutil.rmtree(remote_state_dir(repo_dir, name), ignore_errors=True)


def set_default_remote(cwd: Path, name: str, *, scope: Scope = "repo") -> None:
    """Make `name` the default remote (`core.remote`); it must exist."""
    check_remote_name(name)
    repo_dir = _repo_dir(cwd)
    if name not in Config.load(repo_dir).table(REMOTES_TABLE):
        raise ConfigError(f"no remote named {name!r}", hint="add it with `nit remote add`")
    set_value(scope, DEFAULT_KEY, name, repo_dir)
