"""A network's RPC URL with credentials in it: kept in a 0600 file, never in config.toml.

Hosted nodes put their API key in the URL (`https://mainnet.infura.io/v3/KEY`,
`https://user:pw@host`, `?apikey=KEY`). `config.toml` is rewritten 0644 by every
`nit config set`, so such a URL would not stay private there. `nit network add`
therefore stores the URL masked in `[networks.NAME] rpc` (`.../v3/****`, what
every listing shows anyway) and the whole URL in a credentials file created
0600 from its first byte, as IPFS remotes keep their secrets:

    <user config dir>/networks/NAME.credentials     (user scope)
    .numbers/networks/NAME.credentials              (--repo)

The file records the masked URL it belongs to, and is used only for an entry
whose `rpc` is exactly that masked URL: editing the entry by hand to point
elsewhere never sends the old key to a new host.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from numbers_cli.chain.network import MASK, mask_rpc_url
from numbers_cli.config import REPO_DIR_NAME, Config, Scope, user_config_dir
from numbers_cli.errors import ConfigError
from numbers_cli.fsio import atomic_write, make_dirs

__all__ = ["credentials_path", "forget", "public_entry", "with_secret"]

_SUFFIX = ".credentials"


def credentials_path(
    scope: Scope, name: str, repo_dir: Path | None, env: Mapping[str, str] | None = None
) -> Path:
    """The credentials file of network `name` in `scope` (it need not exist)."""
    if scope == "repo":
        if repo_dir is None:
            raise ConfigError("repository networks need a repository")
        return Path(repo_dir) / REPO_DIR_NAME / "networks" / f"{name}{_SUFFIX}"
    return user_config_dir(env) / "networks" / f"{name}{_SUFFIX}"


def public_entry(
    scope: Scope,
    name: str,
    entry: dict[str, Any],
    repo_dir: Path | None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The entry to write to config.toml: `rpc` masked, its secret saved 0600 beside.

    A URL without credentials is returned unchanged (and an old credentials
    file of that name removed, so no stale secret is left behind).
    """
    url = str(entry["rpc"])
    masked = mask_rpc_url(url)
    path = credentials_path(scope, name, repo_dir, env)
    if masked == url:
        path.unlink(missing_ok=True)
        return entry
    import tomli_w  # TOML only where a secret is: `nit push` of a plain URL reads none

    make_dirs(path.parent, 0o700)
    document = {"masked": masked, "rpc": url}
    atomic_write(path, tomli_w.dumps(document).encode("utf-8"), 0o600)
    return {**entry, "rpc": masked}


def forget(
    scope: Scope, name: str, repo_dir: Path | None, env: Mapping[str, str] | None = None
) -> None:
    """Delete the credentials file of network `name` in `scope`, if any."""
    credentials_path(scope, name, repo_dir, env).unlink(missing_ok=True)


def with_secret(config: Config, name: str, entry: Any) -> Any:
    """`entry` with its masked `rpc` replaced by the full URL from its credentials file.

    Entries without a mask in their URL are returned as they are. ConfigError
    when the mask is there but no credentials file belongs to it.
    """
    if not isinstance(entry, dict) or MASK not in str(entry.get("rpc", "")):
        return entry
    import tomli

    candidates = []
    if config.repo_path is not None:
        candidates.append(config.repo_path.parent / "networks" / f"{name}{_SUFFIX}")
    candidates.append(config.user_path.parent / "networks" / f"{name}{_SUFFIX}")
    for path in candidates:
        try:
            document = tomli.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read credentials {path}: {exc}") from None
        if document.get("masked") == entry["rpc"] and isinstance(document.get("rpc"), str):
            return {**entry, "rpc": document["rpc"]}
    raise ConfigError(
        f"network {name}: its RPC URL {entry['rpc']} needs the credentials file that "
        "`nit network add` wrote, and there is none for it",
        hint=f"`nit network add {name} --rpc URL` again with the full URL",
    )
