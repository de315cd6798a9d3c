"""Which chain a command talks to: presets, `[networks.NAME]` config entries, the devnet.

A `[networks.NAME]` entry (written by `nit network add` or `nit devnet up`)
overrides the preset of the same name field by field, so a user can point
`jade` at their own RPC provider and keep its chain id and contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain.network import PRESETS, Network
from numbers_cli.config import Config, _read_toml
from numbers_cli.errors import ConfigError, NotFound, UsageError
from numbers_cli.ops import network_secrets

__all__ = [
    "NETWORKS_TABLE",
    "NetworkInfo",
    "check_name",
    "describe_network",
    "list_networks",
    "network_from_entry",
    "resolve_network",
]

#: The config table holding named networks: `[networks.devnet]`, `[networks.mine]`...
NETWORKS_TABLE = "networks"

#: Fields of a `[networks.NAME]` entry, with the Network attribute each fills.
_FIELDS = {
    "rpc": "rpc_url",
    "chain_id": "chain_id",
    "contract": "contract",
    "confirmations": "confirmations",
    "currency": "currency",
    "explorer": "explorer_tx_url",
    "custody": "custody",
    "licenses": "licenses",
}


def network_from_entry(name: str, entry: dict[str, Any], where: str = "config") -> Network:
    """A Network from a config entry, filled in from the preset of that name if any."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: [networks.{name}] must be a table")
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: [networks.{name}] has unknown field {unknown[0]!r} "
            f"(known: {', '.join(_FIELDS)})"
        )
    base = PRESETS.get(name)
    values: dict[str, Any] = {
        "name": name,
        "chain_id": base.chain_id if base else None,
        "rpc_url": base.rpc_url if base else None,
        "contract": base.contract if base else None,
        "explorer_tx_url": base.explorer_tx_url if base else None,
        "confirmations": base.confirmations if base else 1,
        "currency": base.currency if base else "ETH",
        "custody": base.custody if base else None,
        "licenses": base.licenses if base else None,
    }
    for field, attribute in _FIELDS.items():
        if field in entry:
            values[attribute] = entry[field]
    for required, field in (("rpc_url", "rpc"), ("chain_id", "chain_id")):
        if values[required] is None:
            raise ConfigError(f"{where}: [networks.{name}] needs `{field}`")
    if not isinstance(values["chain_id"], int) or not isinstance(values["confirmations"], int):
        raise ConfigError(f"{where}: [networks.{name}] chain_id and confirmations must be integers")
    return Network(**values)


def resolve_network(config: Config, name: str | None = None) -> Network:
    """The network `name` (default: `core.network`), from config entries or presets."""
    name = name or str(config.get("core.network"))
    entry = config.table(NETWORKS_TABLE).get(name)
    if entry is not None:
        return network_from_entry(name, network_secrets.with_secret(config, name, entry))
    if name in PRESETS:
        return PRESETS[name]
    if name == "devnet":
        raise ConfigError(
            "network devnet is not set up yet", hint="run `nit devnet up`, or pick --network"
        )
    known = ", ".join(sorted({*PRESETS, *config.table(NETWORKS_TABLE)}))
    raise ConfigError(
        f"unknown network {name!r} (known: {known})", hint="add one with `nit network add`"
    )


# -- nit network: add, list, show, remove ------------------------------------------

#: Network names: they become `refs/remotes/<name>/` directories and TOML keys.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

#: How long `add` and `show --check` wait for a node: a person is waiting.
CHECK_TIMEOUT = 5.0

#: The devnet's name; `nit devnet up` records it.
_DEVNET = "devnet"


def check_name(name: str) -> str:
    """`name` if it can name a network (it becomes a directory under refs/remotes/)."""
    if not _NAME_RE.fullmatch(name):
        raise UsageError(
            f"{name!r} cannot name a network: use 1-64 of A-Z a-z 0-9 _ -, "
            "starting with a letter or digit"
        )
    return name


def _file_tables(config: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """`[networks]` of the user file and of the repo file, each on its own."""

    def table(path: Path | None) -> dict[str, Any]:
        if path is None:
            return {}
        found = _read_toml(path).get(NETWORKS_TABLE, {})
        return found if isinstance(found, dict) else {}

    return table(config.user_path), table(config.repo_path)


@dataclass(frozen=True)
class NetworkInfo:
    """A network as `nit network list/show` present it.

    `source` is where its settings come from: "preset", "user" or "repo" (the
    config file holding its `[networks.NAME]` entry, which overrides a preset of
    the same name), or "none" for a devnet not set up yet. `network` is None and
    `problem` says why when the entry cannot be used.
    """

    name: str
    source: str
    preset: bool
    default: bool
    network: Network | None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        network = self.network
        return {
            "name": self.name,
            "default": self.default,
            "source": self.source,
            "preset": self.preset,
            "chainId": network.chain_id if network else None,
            "rpc": network.rpc_display if network else None,
            "contract": network.contract if network else None,
            "confirmations": network.confirmations if network else None,
            "currency": network.currency if network else None,
            "explorer": network.explorer_tx_url if network else None,
            "custody": network.custody if network else None,
            "licenses": network.licenses if network else None,
            "problem": self.problem,
        }


def _info(
    config: Config, name: str, user: Mapping[str, Any], repo: Mapping[str, Any]
) -> NetworkInfo:
    source = "repo" if name in repo else "user" if name in user else "preset"
    if source == "preset" and name not in PRESETS:
        source = "none"
    default = name == str(config.get("core.network"))
    try:
        network: Network | None = resolve_network(config, name)
        problem = None
    except ConfigError as exc:
        network, problem = None, exc.message + (f" ({exc.hint})" if exc.hint else "")
    return NetworkInfo(name, source, name in PRESETS, default, network, problem)


def list_networks(config: Config) -> list[NetworkInfo]:
    """Presets, the devnet and every configured network, each resolved as a push would.

    An entry that cannot be used is listed with its problem rather than
    failing the whole listing: the listing is where one goes to find it.
    """
    user, repo = _file_tables(config)
    names = [*PRESETS]
    extra = {*user, *repo, _DEVNET, str(config.get("core.network"))} - set(names)
    names += sorted(extra, key=lambda name: (name != _DEVNET, name))
    return [_info(config, name, user, repo) for name in names]


def describe_network(config: Config, name: str) -> NetworkInfo:
    """One network (NotFound if nothing defines it; its problem if its entry is unusable)."""
    user, repo = _file_tables(config)
    if name not in PRESETS and name not in user and name not in repo and name != _DEVNET:
        known = ", ".join(sorted({*PRESETS, *user, *repo}))
        raise NotFound(f"no network {name!r} (known: {known})", hint="`nit network add`")
    return _info(config, name, user, repo)
