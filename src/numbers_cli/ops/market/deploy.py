"""`nit contracts deploy`: nit's market contracts (Custody, then Licenses bound to it) on
a network, recorded as `custody` / `licenses` in its `[networks.NAME]` entry.

`nit devnet up` calls `deploy_market` too. Deploying is idempotent: a network
whose recorded contracts have code keeps them unless `force` asks for new ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.calls import CostEstimate
from numbers_cli.chain.transactions import PrivateKey
from numbers_cli.config import Config, Scope, _read_toml, config_file
from numbers_cli.config_writer import set_table_entry
from numbers_cli.ops.market.session import GetSigner
from numbers_cli.ops.networks import NETWORKS_TABLE, resolve_network

__all__ = [
    "Deployment",
    "deploy_contracts",
    "deploy_market",
    "market_deployed",
    "record_addresses",
]


def market_deployed(client: ChainClient) -> bool:
    """Whether the client's network records both market contracts and they have code."""
    network = client.network
    if not network.custody or not network.licenses:
        return False
    try:
        return client.has_code(network.custody) and client.has_code(network.licenses)
    except Exception:  # a malformed address in the config: not deployed, redeploy
        return False


def deploy_market(client: ChainClient, key: PrivateKey) -> tuple[str, str]:
    """Deploy Custody, then Licenses bound to it; their (checksummed) addresses."""
    custody = client.deploy_contract(
        contract_abi("Custody").creation_code(), key, what="Custody deployment"
    ).contract_address
    assert custody is not None
    licenses = client.deploy_contract(
        contract_abi("Licenses").creation_code(custody), key, what="Licenses deployment"
    ).contract_address
    assert licenses is not None
    return custody, licenses


@dataclass
class Deployment:
    network: Network
    deployed: bool  # False: already there (or a dry run)
    dry_run: bool
    config_path: Path | None
    estimate: CostEstimate | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network.name,
            "chainId": self.network.chain_id,
            "custody": self.network.custody,
            "licenses": self.network.licenses,
            "deployed": self.deployed,
            "dryRun": self.dry_run,
            "config": str(self.config_path) if self.config_path else None,
            "estimate": self.estimate.to_json(self.network.currency) if self.estimate else None,
        }


def deploy_contracts(
    config: Config,
    network: str | None,
    *,
    get_signer: GetSigner,
    sender: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
) -> Deployment:
    """Deploy the market contracts on `network` and record them in the user config.

    A dry run prices both deployments from `sender` (no wallet unlocked).
    """
    resolved = resolve_network(config, network)
    with ChainClient(resolved) as client:
        client._ensure_chain()
        if market_deployed(client) and not force:
            return Deployment(resolved, deployed=False, dry_run=dry_run, config_path=None)
        if dry_run:
            custody_code = contract_abi("Custody").creation_code()
            # Licenses' cost does not depend on which Custody it is bound to.
            licenses_code = contract_abi("Licenses").creation_code("0x" + "11" * 20)
            estimate = client.estimate_calls(
                [{"to": None, "data": custody_code}, {"to": None, "data": licenses_code}],
                sender or get_signer().address,
                what="deployment",
            )
            return Deployment(resolved, False, True, None, estimate)
        custody, licenses = deploy_market(client, get_signer())
    deployed = dataclasses.replace(resolved, custody=custody, licenses=licenses)
    return Deployment(deployed, True, False, record_addresses(config, deployed, env=env))


def record_addresses(
    config: Config, network: Network, *, env: Mapping[str, str] | None = None
) -> Path:
    """Store the network's market addresses in its `[networks.NAME]` entry: in the
    repository's config when the entry lives there (it wins over the user's), else
    in the user's (a preset gets an entry holding just these two fields)."""
    in_repo = config.repo_path is not None and network.name in _table(config.repo_path)
    scope: Scope = "repo" if in_repo else "user"
    repo_dir = config.repo_path.parent.parent if in_repo and config.repo_path else None
    path = config_file(scope, repo_dir, env=env)
    entry = _table(path).get(network.name)
    new_entry = {
        **(entry if isinstance(entry, dict) else {}),
        "custody": network.custody,
        "licenses": network.licenses,
    }
    set_table_entry(scope, NETWORKS_TABLE, network.name, new_entry, repo_dir, env=env)
    return path


def _table(path: Path) -> dict[str, Any]:
    found = _read_toml(path).get(NETWORKS_TABLE, {})
    return found if isinstance(found, dict) else {}
