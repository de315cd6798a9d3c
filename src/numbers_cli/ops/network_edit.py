"""Changing and checking networks: `nit network add`, `remove` and `show --check`.

Kept apart from `ops.networks` (which chain a command talks to), which every
chain command imports: adding a network asks its node and writes config, and
only the `nit network` commands need that.
"""

from __future__ import annotations

import dataclasses
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
from numbers_cli.ops.networks import (
    CHECK_TIMEOUT,
    NETWORKS_TABLE,
    check_name,
    network_from_entry,
)

__all__ = ["AddedNetwork", "NetworkCheck", "add_network", "check_network", "remove_network"]


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
    market_checked: bool = False  # --custody/--licenses: code there, the pair bound together

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
            "custody": self.network.custody,
            "licenses": self.network.licenses,
            "marketChecked": self.market_checked,
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
    custody: str | None = None,
    licenses: str | None = None,
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
    with a warning. `contract`, when given and the node answers, must hold code;
    so must `custody` and `licenses` (nit's market contracts), and a Licenses
    given with a Custody must be the one bound to it.

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
    for key, value in (("custody", custody), ("licenses", licenses)):
        if value is not None:
            from numbers_cli.chain.abi import checksum_address

            entry[key] = checksum_address(value, f"--{key}")
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
    market_checked = False
    if (custody or licenses) and node_chain_id is not None:
        from numbers_cli.ops.market.deploy import check_market_contracts

        with ChainClient(network, timeout=timeout) as client:
            check_market_contracts(client, network.custody, network.licenses)
        market_checked = True
    elif custody or licenses:
        warnings.append("--custody/--licenses not checked (the node did not answer)")

    path = config_file(scope, repo_dir, env=env)
    existing = _read_toml(path).get(NETWORKS_TABLE, {})
    replaced = isinstance(existing, dict) and name in existing
    if replaced and isinstance(existing[name], dict):
        dropped = [
            f"{k} {existing[name][k]}"
            for k in ("custody", "licenses")
            if existing[name].get(k) and k not in entry
        ]
        if dropped:
            warnings.append(
                f"the replaced entry's {' and '.join(dropped)} are not kept: give "
                "--custody and --licenses to keep nit's market contracts"
            )
    stored = network_secrets.public_entry(scope, name, entry, repo_dir, env)
    set_table_entry(scope, NETWORKS_TABLE, name, stored, repo_dir, env=env)
    return AddedNetwork(
        network,
        scope,
        path,
        replaced,
        node_chain_id,
        contract_checked,
        warnings,
        market_checked=market_checked,
    )


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
