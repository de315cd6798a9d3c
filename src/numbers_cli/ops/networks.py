"""Which chain a command talks to: presets, `[networks.NAME]` config entries, the devnet.

A `[networks.NAME]` entry (written by `nit network add` or `nit devnet up`)
overrides the preset of the same name field by field, so a user can point
`jade` at their own RPC provider and keep its chain id and contract.
"""

from __future__ import annotations

from typing import Any

from numbers_cli.chain.network import PRESETS, Network
from numbers_cli.config import Config
from numbers_cli.errors import ConfigError

__all__ = ["NETWORKS_TABLE", "network_from_entry", "resolve_network"]

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
        return network_from_entry(name, entry)
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
