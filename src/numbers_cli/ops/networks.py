"""Which chain a command talks to: presets, `[networks.NAME]` config entries, the devnet.

A `[networks.NAME]` entry (written by `nit network add` or `nit devnet up`)
overrides the preset of the same name field by field, so a user can point
`jade` at their own RPC provider and keep its chain id and contract.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain.client import ChainClient
from numbers_cli.chain.network import PRESETS, Network
from numbers_cli.config import Config, Scope, _read_toml, config_file
from numbers_cli.config_writer import remove_table_entry, set_table_entry
from numbers_cli.errors import ConfigError, NetworkError, NotFound, UsageError
from numbers_cli.ops import network_secrets

__all__ = [
    "NETWORKS_TABLE",
    "AddedNetwork",
    "NetworkCheck",
    "NetworkInfo",
    "add_network",
    "check_name",
    "check_network",
    "describe_network",
    "list_networks",
    "network_from_entry",
    "remove_network",
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


@dataclass
class NetworkCheck:
    """What the node of a network says: chain id, register code, latest block.

    `reachable` False: it did not answer eth_chainId (`problem` says why).
    `contract_ok` None: not checked (no address configured, or wrong chain).
    """

    reachable: bool
    chain_id: int | None = None
    chain_ok: bool = False
    contract_ok: bool | None = None
    block_number: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.reachable and self.chain_ok and self.contract_ok is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reachable": self.reachable,
            "chainId": self.chain_id,
            "chainOk": self.chain_ok,
            "contractOk": self.contract_ok,
            "blockNumber": self.block_number,
            "problem": self.problem,
        }


def check_network(network: Network, *, timeout: float = CHECK_TIMEOUT) -> NetworkCheck:
    """Ask the network's node for its chain id, the register's code and its latest block."""
    with ChainClient(network, timeout=timeout) as client:
        try:
            actual = client.chain_id()
        except NetworkError as exc:
            return NetworkCheck(reachable=False, problem=exc.message)
        report = NetworkCheck(reachable=True, chain_id=actual, chain_ok=actual == network.chain_id)
        if not report.chain_ok:
            report.problem = (
                f"the node serves chain id {actual}, but {network.name} is chain id "
                f"{network.chain_id}"
            )
            return report
        try:
            report.block_number = client.block_number()
            if network.contract:
                client.check()
                report.contract_ok = True
        except (NetworkError, ConfigError) as exc:
            report.problem = exc.message
            if network.contract and report.block_number is not None:
                report.contract_ok = False
        return report


@dataclass
class AddedNetwork:
    """The outcome of `add_network`: what is stored where, and what could not be checked."""

    network: Network
    scope: Scope
    path: Path
    replaced: bool  # an entry of that name was already in that file
    node_chain_id: int | None  # None: the node did not answer, nothing was checked
    contract_checked: bool
    warnings: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.network.name,
            "scope": self.scope,
            "config": str(self.path),
            "replaced": self.replaced,
            "chainId": self.network.chain_id,
            "rpc": self.network.rpc_display,
            "contract": self.network.contract,
            "confirmations": self.network.confirmations,
            "currency": self.network.currency,
            "explorer": self.network.explorer_tx_url,
            "reachable": self.node_chain_id is not None,
            "contractChecked": self.contract_checked,
            "warnings": self.warnings,
        }


def _check_explorer(template: str) -> None:
    if not template.startswith(("http://", "https://")) or "{tx_hash}" not in template:
        raise UsageError(
            f"--explorer {template!r}: expected an http(s) URL with {{tx_hash}} where the "
            "transaction hash goes"
        )
    try:
        template.format(tx_hash="0x")
    except (KeyError, IndexError, ValueError):
        raise UsageError(
            f"--explorer {template!r}: only {{tx_hash}} may appear in braces"
        ) from None


def add_network(
    config: Config,
    name: str,
    *,
    rpc: str,
    contract: str | None = None,
    chain_id: int | None = None,
    confirmations: int | None = None,
    currency: str | None = None,
    explorer: str | None = None,
    scope: Scope = "user",
    repo_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = CHECK_TIMEOUT,
) -> AddedNetwork:
    """Store `[networks.NAME]` after checking it against its node.

    The node is asked for its chain id: it must match `chain_id` (or the
    preset's, when NAME is a preset whose RPC is being overridden), else
    NetworkError and nothing is stored. A node that does not answer is only
    accepted when the chain id is known otherwise (given, or the preset's),
    with a warning. `contract`, when given and the node answers, must hold code.

    For a preset only the given fields are stored, so `jade` with your own RPC
    keeps the preset's chain id and contract (and gets later fixes to them);
    for a custom network the chain id is always stored.
    """
    check_name(name)
    if chain_id is not None and chain_id <= 0:
        raise UsageError(f"--chain-id must be positive, not {chain_id}")
    if confirmations is not None and confirmations < 1:
        raise UsageError(f"--confirmations must be at least 1, not {confirmations}")
    if explorer is not None:
        _check_explorer(explorer)
    base = PRESETS.get(name)
    expected = chain_id if chain_id is not None else base.chain_id if base else None
    entry: dict[str, Any] = {"rpc": rpc}
    for key, value in (
        ("confirmations", confirmations),
        ("currency", currency),
        ("explorer", explorer),
    ):
        if value is not None:
            entry[key] = value
    # Validates the RPC URL (and the rest) before any request goes out.
    probe = network_from_entry(name, {**entry, "chain_id": expected or 1}, where="nit network add")
    if contract is not None:
        with ChainClient(dataclasses.replace(probe, contract=contract)) as client:
            contract = client.contract_address()  # checksummed; ConfigError if not an address
        entry["contract"] = contract

    warnings: list[str] = []
    contract_checked = False
    with ChainClient(probe, timeout=timeout) as client:
        try:
            node_chain_id: int | None = client.chain_id()
        except NetworkError as exc:
            if expected is None:
                raise NetworkError(
                    exc.message,
                    hint="check the URL, or give --chain-id to add the network unchecked",
                ) from None
            node_chain_id = None
            warnings.append(f"{exc.message}: chain id {expected} stored unchecked")
    if node_chain_id is not None and expected is not None and node_chain_id != expected:
        given = "--chain-id" if chain_id is not None else f"the {name} preset"
        raise NetworkError(
            f"RPC node at {probe.rpc_display} serves chain id {node_chain_id}, "
            f"not {expected} ({given})"
        )
    final_chain_id = expected if expected is not None else node_chain_id
    assert final_chain_id is not None
    if base is None or chain_id is not None:
        entry["chain_id"] = final_chain_id
    network = network_from_entry(name, entry, where="nit network add")

    if contract is not None and node_chain_id is not None:
        with ChainClient(network, timeout=timeout) as client:
            client.check()  # NetworkError "no contract at ..." when there is no code
        contract_checked = True
    elif contract is not None:
        warnings.append(f"contract {contract} not checked (the node did not answer)")
    if network.contract is None:
        warnings.append(
            f"no --contract: pushing to {name} needs the address of an IntegrityRegister"
        )

    path = config_file(scope, repo_dir, env=env)
    existing = _read_toml(path).get(NETWORKS_TABLE, {})
    replaced = isinstance(existing, dict) and name in existing
    stored = network_secrets.public_entry(scope, name, entry, repo_dir, env)
    set_table_entry(scope, NETWORKS_TABLE, name, stored, repo_dir, env=env)
    return AddedNetwork(network, scope, path, replaced, node_chain_id, contract_checked, warnings)


def remove_network(
    name: str,
    *,
    scope: Scope | None = None,
    repo_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Scope, Path]:
    """Delete `[networks.NAME]`; returns the scope and file it was removed from.

    Without `scope`: from the user file, else from the repository's. NotFound
    when the entry is not there (a preset without an entry has nothing to remove).
    """
    scopes: list[Scope] = [scope] if scope else ["user", "repo"]
    for candidate in scopes:
        if candidate == "repo" and repo_dir is None and scope is None:
            continue
        path = config_file(candidate, repo_dir, env=env)
        if remove_table_entry(candidate, NETWORKS_TABLE, name, repo_dir, env=env):
            network_secrets.forget(candidate, name, repo_dir, env)
            return candidate, path
    where = f"the {scope} config" if scope else "the user or repository config"
    hint = f"{name} is a preset, which is built in" if name in PRESETS else "`nit network list`"
    raise NotFound(f"no [networks.{name}] entry in {where}", hint=hint)
