"""What every market operation starts from: a network with nit's market contracts,
the asset it acts on, who acts, and one way to send (or only price) its calls.

`MarketSession` opens the chain client, checks the network's Custody and
Licenses (configured and deployed, else NoMarketContracts saying how to deploy
them) and binds them. `MarketSession.execute` is the single path from planned
calls to the chain: a dry run prices them (every check the real run makes,
reverts and funds included, nothing signed for most actions); otherwise the
wallet is unlocked and the calls go through the client's pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from numbers_cli.chain import ChainClient, Network, Receipt
from numbers_cli.chain.abi import checksum_address
from numbers_cli.chain.calls import Call, CostEstimate
from numbers_cli.chain.custody import CustodyContract, CustodyRules, token_id
from numbers_cli.chain.licenses import LicensesContract
from numbers_cli.chain.pipeline import Explain
from numbers_cli.chain.transactions import OnJournal
from numbers_cli.config import Config
from numbers_cli.errors import (
    ConfigError,
    InvalidFormat,
    NoMarketContracts,
    NotAllowed,
    NotARepository,
    NotFound,
    UsageError,
    WalletError,
)
from numbers_cli.model.nid import Nid
from numbers_cli.ops import wallet as wallet_op
from numbers_cli.ops.networks import resolve_network
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer

__all__ = [
    "GetSigner",
    "MarketSession",
    "Outcome",
    "check_address",
    "open_market",
    "resolve_target",
]

#: Unlocks the wallet; called only when something is to be signed.
GetSigner = Callable[[], Signer]


def check_address(text: str, what: str = "address") -> str:
    """A checksummed address from user input; UsageError for anything else or the zero address."""
    address = checksum_address(text, what)
    if int(address, 16) == 0:
        raise UsageError(f"{what} is the zero address")
    return address


def resolve_target(cwd: Path, text: str) -> tuple[Nid, Repository | None]:
    """The asset named by a Nid or a tracked file, and the repository around `cwd` (if any).

    Outside a repository only a Nid will do: a buyer or a checker need not
    hold the asset's history.
    """
    try:
        repo: Repository | None = Repository.find(cwd)
    except NotARepository:
        repo = None
    if repo is not None:
        return repo.resolve_asset(text), repo
    try:
        return Nid.parse(text), None
    except InvalidFormat:
        raise UsageError(
            f"{text}: not a Nid (and there is no nit repository here to look a file up in)"
        ) from None


@dataclass
class Outcome:
    """The chain side of a sending operation: what was planned, priced or sent."""

    network: Network
    calls: list[Call]
    dry_run: bool = False
    calldata_only: bool = False
    estimate: CostEstimate | None = None
    receipts: list[Receipt] = field(default_factory=list)
    #: The receipts are an interrupted run's, finished now: nothing was sent this time.
    recovered: bool = False
    #: The receipts were found on the chain alone (no journal of them left): the action
    #: was mined earlier, from here or elsewhere, and only its record was missing.
    from_chain: bool = False
    #: Other interrupted actions finished (or left waiting) before this one
    #: (ops.market.recovery): {action, asset, state, tx, commit | note}; in a dry run,
    #: what the real run would finish first (state "pending", and `sameRequest`).
    finished: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tx_hash(self) -> str | None:
        return self.receipts[-1].tx_hash if self.receipts else None

    def to_json(self) -> dict[str, Any]:
        currency = self.network.currency
        return {
            "network": self.network.name,
            "chainId": self.network.chain_id,
            "dryRun": self.dry_run,
            "calldataOnly": self.calldata_only,
            "calls": [
                {
                    "to": call["to"],
                    "data": "0x" + bytes(call["data"]).hex(),
                    "valueWei": str(call.get("value", 0)),
                }
                for call in self.calls
            ],
            "estimate": self.estimate.to_json(currency) if self.estimate else None,
            "transactions": [
                {
                    "hash": r.tx_hash,
                    "block": r.block_number,
                    "gasUsed": r.gas_used,
                    "url": self.network.tx_url(r.tx_hash),
                }
                for r in self.receipts
            ],
            "recovered": self.recovered,
            "fromChain": self.from_chain,
            "finished": self.finished,
        }


class MarketSession:
    """A network's node and market contracts, and who acts on them; a context manager."""

    def __init__(
        self,
        config: Config,
        network: Network,
        *,
        env: Mapping[str, str] | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.network = network
        self.env = os.environ if env is None else env
        if not network.custody or not network.licenses:
            raise NoMarketContracts(
                f"network {network.name} has no Custody/Licenses contracts of nit",
                hint=_deploy_hint(network.name),
            )
        addresses = {}
        for label, raw in (("custody", network.custody), ("licenses", network.licenses)):
            try:
                addresses[label] = checksum_address(raw)
            except UsageError:
                raise ConfigError(
                    f"network {network.name}: {label} {raw!r} is not a contract address"
                ) from None
        self.client = ChainClient(network, **dict(client_options or {}))
        try:
            self.client._ensure_chain()  # reachable and on the right chain, before anything else
            for label, address in addresses.items():
                if not self.client.has_code(address):
                    raise NoMarketContracts(
                        f"no {label.capitalize()} contract at {address} on {network.name}",
                        hint=_deploy_hint(network.name),
                    )
        except BaseException:
            self.client.close()
            raise
        self.custody = CustodyContract(self.client, addresses["custody"])
        self.licenses = LicensesContract(self.client, addresses["licenses"])
        self._signer: Signer | None = None

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- who acts -----------------------------------------------------------------

    def actor(self) -> str:
        """The address that would sign, without unlocking the wallet."""
        try:
            return wallet_op.active_address(self.config, env=self.env)[1]
        except WalletError as exc:
            raise WalletError(
                exc.message, hint=exc.hint or "or set NIT_PRIVATE_KEY in CI"
            ) from None

    def signer(self, get_signer: GetSigner | None = None) -> Signer:
        """The unlocked wallet (unlocked once per session, through `get_signer`)."""
        if self._signer is None:
            if get_signer is None:
                raise WalletError("this operation needs a wallet to sign with")
            self._signer = get_signer()
        return self._signer

    # -- the asset ----------------------------------------------------------------

    def rules(self, nid: str) -> CustodyRules:
        """The asset's custody rules; NotFound (saying how to mint) when it has no token."""
        try:
            return self.custody.rules(token_id(nid))
        except NotFound:
            raise NotFound(
                f"{nid} has no custody token on {self.network.name}",
                hint=f"mint it with `nit mint {nid} --network {self.network.name}`",
            ) from None

    def require_controller(self, nid: str, who: str) -> CustodyRules:
        """The rules, after checking `who` may change them (holder, or the appointed governor)."""
        rules = self.rules(nid)
        if rules.controller.lower() != who.lower():
            role = "governor" if rules.governor else "custody holder"
            raise NotAllowed(
                f"{who} may not change the rules of {nid}: its {role} {rules.controller} does",
                hint="use --calldata to print the transaction for the controller to send"
                if rules.governor
                else None,
            )
        return rules

    # -- sending ------------------------------------------------------------------

    def execute(
        self,
        calls: Sequence[Call],
        *,
        what: str,
        explain: Explain,
        get_signer: GetSigner | None,
        dry_run: bool = False,
        calldata_only: bool = False,
        sender: str | None = None,
        on_journal: OnJournal | None = None,
    ) -> Outcome:
        """Send `calls` in order, or only price them (`dry_run`), or only return them
        (`calldata_only`: for a governor such as a DAO or a Safe to execute).

        `on_journal` receives the signed transactions before they are broadcast
        (ops.market.recovery journals them, so a crash loses nothing)."""
        outcome = Outcome(self.network, list(calls), dry_run=dry_run, calldata_only=calldata_only)
        if calldata_only:
            return outcome
        if dry_run:
            outcome.estimate = self.client.estimate_calls(
                calls, sender or self.actor(), what=what, explain=explain
            )
            return outcome
        signer = self.signer(get_signer)
        outcome.receipts = self.client.send_calls(
            calls, signer, what=what, explain=explain, on_journal=on_journal
        )
        return outcome


def _deploy_hint(name: str) -> str:
    if name == "devnet":
        return "`nit devnet up` deploys them"
    return f"deploy them with `nit contracts deploy --network {name}`"


def open_market(
    config: Config,
    network: str | Network | None = None,
    *,
    env: Mapping[str, str] | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> MarketSession:
    """A MarketSession on `network` (a name, a Network, or None for `core.network`)."""
    resolved = network if isinstance(network, Network) else resolve_network(config, network)
    return MarketSession(config, resolved, env=env, client_options=client_options)
