"""A remote's secret: where it is kept, how it is read, how `--auth` asks for it.

Apart from `ops.remotes` (the `[remotes.NAME]` entries) because the secret
follows rules of its own. It is never written into a config file: those are
rewritten 0644 by every `nit config set`. It goes to a credentials file
created 0600 from the first byte (`fsio.atomic_write`):
`.numbers/remotes/NAME/credentials` for a repo remote,
`<config dir>/remotes/NAME.credentials` for a user remote. The file records
the URL it is for and is used only for that URL, so a secret never travels to
a server it was not given for. In CI, `NIT_REMOTE_TOKEN` (or
`NIT_REMOTE_USER` + `NIT_REMOTE_PASSWORD`) give it instead, and win over the
file. It is never taken from argv, where `ps` and shell history keep it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import tomli
import tomli_w

from numbers_cli.config import Config, Scope, user_config_dir
from numbers_cli.errors import ConfigError, UsageError
from numbers_cli.fsio import atomic_write, make_dirs
from numbers_cli.ipfs.remote import SCHEMES, Auth, Kind, check_remote_name
from numbers_cli.repo.repository import DIRNAME

__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_USER",
    "auth_from_option",
    "credential_candidates",
    "credentials_path",
    "env_auth",
    "read_credentials",
    "remote_state_dir",
    "write_credentials",
]

ENV_TOKEN = "NIT_REMOTE_TOKEN"
ENV_USER = "NIT_REMOTE_USER"
ENV_PASSWORD = "NIT_REMOTE_PASSWORD"

_CREDENTIALS = "credentials"


def remote_state_dir(repo_dir: Path, name: str) -> Path:
    """`.numbers/remotes/NAME/`: what this repository knows about one remote."""
    return Path(repo_dir) / DIRNAME / "remotes" / check_remote_name(name)


def credentials_path(
    scope: Scope, name: str, repo_dir: Path | None, env: Mapping[str, str] | None
) -> Path:
    """Where `nit remote add` writes the secret of a remote of that scope."""
    if scope == "repo":
        if repo_dir is None:
            raise ConfigError("repository remotes need a repository")
        return remote_state_dir(repo_dir, name) / _CREDENTIALS
    return user_config_dir(env) / "remotes" / f"{check_remote_name(name)}.{_CREDENTIALS}"


def read_credentials(path: Path, url: str) -> Auth | None:
    """The Auth stored for `url` in a credentials file, or None (absent, or for another URL)."""
    try:
        document = tomli.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"cannot read credentials {path}: {exc}") from None
    if document.get("url") != url:
        return None
    scheme = document.get("scheme")
    if scheme not in SCHEMES:
        raise ConfigError(f"{path}: unknown auth scheme {scheme!r}")
    return Auth(scheme, str(document.get("user", "")), str(document.get("secret", "")))


def write_credentials(path: Path, url: str, auth: Auth) -> None:
    """Store `auth` for `url` alone, 0600 from the first byte in a 0700 folder."""
    make_dirs(path.parent, 0o700)
    document = {"url": url, "scheme": auth.scheme, "user": auth.user, "secret": auth.secret}
    atomic_write(path, tomli_w.dumps(document).encode("utf-8"), 0o600)


def env_auth(env: Mapping[str, str], scheme: str | None, kind: Kind) -> Auth | None:
    """The secret CI gives in `NIT_REMOTE_*`, shaped for the entry's scheme, or None."""
    token, user = env.get(ENV_TOKEN), env.get(ENV_USER)
    if user and scheme in (None, "basic"):
        return Auth("basic", user, env.get(ENV_PASSWORD, ""))
    if token:
        if scheme in ("bearer", "token"):
            return Auth(scheme, "", token)  # type: ignore[arg-type]
        return Auth("token" if kind == "numbers" else "bearer", "", token)
    return None


def credential_candidates(config: Config, name: str) -> list[Path]:
    """The credentials files that may hold `name`'s secret: the repository's, then the user's."""
    paths = []
    if config.repo_path is not None:
        paths.append(remote_state_dir(config.repo_path.parent.parent, name) / _CREDENTIALS)
    paths.append(config.user_path.parent / "remotes" / f"{name}.{_CREDENTIALS}")
    return paths


def _secret_on_command_line(scheme: str) -> UsageError:
    shown = "basic:ID" if scheme == "basic" else scheme
    env_name = ENV_PASSWORD if scheme == "basic" else ENV_TOKEN
    return UsageError(
        f"--auth {scheme}:... puts the secret on the command line, where `ps` and the "
        "shell's history keep it",
        hint=f"give `--auth {shown}` and the secret on stdin, at the prompt, or in {env_name}",
    )


def auth_from_option(
    text: str, read_secret: Callable[[str], str], env: Mapping[str, str] | None = None
) -> Auth:
    """The Auth that `nit remote add --auth TEXT` asks for, its secret never from TEXT.

    TEXT is `bearer`, `token` or `basic:ID` (a trailing `:-` is accepted too):
    the scheme, and for Basic the id, which is not secret. The secret comes
    from the environment (`NIT_REMOTE_TOKEN`; `NIT_REMOTE_PASSWORD` for Basic,
    where `NIT_REMOTE_USER` may give the id), else from `read_secret(what)`
    (a hidden prompt, or one line of stdin). A secret written into TEXT is
    refused (UsageError): command lines are visible in `ps` and kept in shell
    history. An empty secret is refused too.
    """
    env = os.environ if env is None else env
    scheme, _, rest = text.partition(":")
    if scheme not in SCHEMES:
        raise ConfigError(
            f"unknown auth {scheme!r}: use --auth bearer, --auth token or --auth basic:ID"
        )
    rest = rest.removesuffix(":-") if scheme == "basic" else rest.removesuffix("-")
    user = ""
    if scheme == "basic":
        user, sep, _ = rest.partition(":")
        if sep:
            raise _secret_on_command_line(scheme)
        user = user or env.get(ENV_USER, "")
        if not user:
            raise UsageError("--auth basic needs the id: --auth basic:ID (the secret is asked for)")
        secret = env.get(ENV_PASSWORD) or read_secret(f"secret for {user}")
    else:
        if rest:
            raise _secret_on_command_line(scheme)
        secret = env.get(ENV_TOKEN) or read_secret(f"{scheme} token")
    if not secret:
        raise UsageError(
            f"no secret was given for --auth {scheme}",
            hint=f"type it at the prompt, pipe it on stdin, or set "
            f"{ENV_PASSWORD if scheme == 'basic' else ENV_TOKEN}",
        )
    return Auth(scheme, user, secret)  # type: ignore[arg-type]
