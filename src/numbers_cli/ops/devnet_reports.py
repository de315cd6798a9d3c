"""What `nit devnet up | status | down` report (ops.devnet decides what to do).

Kept apart so the operation module holds the decisions and these hold the
outcomes a command renders as text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.chain import Network, anvil


@dataclass(frozen=True)
class WalletFunding:
    """The user's wallet on the devnet: which one, its balance, what `up` sent it."""

    source: str  # wallet name, or NIT_PRIVATE_KEY
    address: str
    balance_wei: int
    funded_wei: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "wallet": self.source,
            "address": self.address,
            "balanceWei": str(self.balance_wei),
            "fundedWei": str(self.funded_wei),
        }


@dataclass
class DevnetUp:
    """What `up` found and did."""

    started: bool  # False: it was already running
    process: anvil.AnvilProcess
    network: Network
    deployed: bool  # a new IntegrityRegister was deployed
    config_written: bool  # [networks.devnet] changed in the user config
    config_path: Path
    wallet: WalletFunding | None
    paths: anvil.DevnetPaths
    notes: list[str] = field(default_factory=list)
    market_deployed: bool = False  # new Custody and Licenses contracts were deployed

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "pid": self.process.pid,
            "port": self.process.port,
            "rpc": self.network.rpc_url,
            "chainId": self.network.chain_id,
            "contract": self.network.contract,
            "custody": self.network.custody,
            "licenses": self.network.licenses,
            "deployed": self.deployed,
            "marketDeployed": self.market_deployed,
            "anvilVersion": self.process.version,
            "anvil": self.process.binary,
            "config": str(self.config_path),
            "state": str(self.paths.state),
            "log": str(self.paths.log),
            "wallet": self.wallet.to_json() if self.wallet else None,
            "notes": self.notes,
        }


@dataclass
class DevnetStatus:
    """The devnet as `status` sees it. `ok`: running and answering on chain 31337
    (a missing register is only a note: `up` deploys one)."""

    running: bool
    paths: anvil.DevnetPaths
    process: anvil.AnvilProcess | None = None
    chain_id: int | None = None
    block_number: int | None = None
    contract: str | None = None
    contract_deployed: bool | None = None
    wallet: WalletFunding | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.running and self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "ok": self.ok,
            "pid": self.process.pid if self.process else None,
            "port": self.process.port if self.process else None,
            "rpc": self.process.rpc_url if self.process else None,
            "chainId": self.chain_id,
            "blockNumber": self.block_number,
            "contract": self.contract,
            "contractDeployed": self.contract_deployed,
            "wallet": self.wallet.to_json() if self.wallet else None,
            "anvilVersion": self.process.version if self.process else None,
            "state": str(self.paths.state),
            "log": str(self.paths.log),
            "problem": self.problem,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class DevnetDown:
    """What `down` did: `stopped` the pid, or nothing (with a note why)."""

    stopped: bool
    pid: int | None = None
    killed: bool = False  # it ignored SIGTERM and was SIGKILLed
    reset: bool = False  # the saved chain was deleted
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stopped": self.stopped,
            "pid": self.pid,
            "killed": self.killed,
            "reset": self.reset,
            "note": self.note,
        }
