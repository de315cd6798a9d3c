"""Where each asset's local history stands against the chain's: the push conflict rule.

The chain's history of an asset is every commit registered under its Nid, in
chain order; the local one is refs/heads. When the chain holds commits this
repository has never seen (another clone moved the head), pushing more would
interleave two histories blindly, so `nit push` leaves such an asset alone
(unless `--force`) and says to `nit fetch` it first. `nit status --remote` and
`nit verify --remote` show the same comparison:

- `up to date`: the same commits;
- `ahead`: local commits the chain does not have yet, nothing unseen;
- `behind`: the chain has commits this repository never saw, none of ours missing;
- `diverged`: both;
- `not on chain`: no commit of the asset is registered.

Reading costs one batched getCommits for all assets, and a history read only
for assets whose on-chain count differs from what refs/remotes records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from numbers_cli.chain import ChainClient
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository

if TYPE_CHECKING:
    from numbers_cli.repo.refs import RemoteEntry

__all__ = ["AssetState", "compare", "conflicts"]


@dataclass(frozen=True)
class AssetState:
    asset: Nid
    state: str  # up to date | ahead | behind | diverged | not on chain
    local: int  # local commits
    chain: int  # on-chain commits
    unseen: list[Nid] = field(default_factory=list)  # on chain, never seen here
    unpushed: int = 0  # local, not on chain
    path: str | None = None

    @property
    def conflict(self) -> bool:
        return bool(self.unseen)

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "path": self.path,
            "state": self.state,
            "localCommits": self.local,
            "chainCommits": self.chain,
            "unseen": list(self.unseen),
            "unpushed": self.unpushed,
        }


def _state(unseen: int, unpushed: int, on_chain: int) -> str:
    if on_chain == 0:
        return "not on chain"
    if unseen and unpushed:
        return "diverged"
    if unseen:
        return "behind"
    if unpushed:
        return "ahead"
    return "up to date"


def compare(
    repo: Repository,
    client: ChainClient,
    assets: Sequence[Nid] | None = None,
    counts: Mapping[str, int] | None = None,
    *,
    histories: Mapping[Nid, list[Nid]] | None = None,
    remote: Mapping[str, list[RemoteEntry]] | None = None,
) -> list[AssetState]:
    """The state of each asset (default: every local one) against `client`'s chain.

    `counts` are the chain's commit counts of these assets if the caller has
    just read them (`nit push` uses them again to find commits already there);
    `histories` and `remote` the local and `refs/remotes` histories, if it has
    just read them too (a push of 1,000 assets: 2,000 refs not parsed twice).
    """
    chosen = list(assets if assets is not None else repo.refs.assets())
    if not chosen:
        return []
    if counts is None:
        counts = client.commit_counts(chosen)
    network = client.network.name
    paths = repo.index().paths_by_nid()  # one pass, not one scan of the index per asset
    if histories is None:
        histories = repo.refs.histories()  # one query each, not two per asset
    if remote is None:
        remote = repo.refs.remote_histories(network)
    states: list[AssetState] = []
    for asset in chosen:
        local = histories.get(asset, [])
        known = {entry.commit for entry in remote.get(asset, [])}
        total = counts[asset]
        if total == len(known) and known <= set(local):
            on_chain = known  # what refs/remotes records is the whole chain history
        else:
            on_chain = {
                Nid.of_bytes(record.commit_data.encode("utf-8")) for record in client.history(asset)
            }
        seen = set(local)
        unseen = [cid for cid in on_chain if cid not in seen]
        unpushed = sum(1 for cid in local if cid not in on_chain)
        states.append(
            AssetState(
                asset,
                _state(len(unseen), unpushed, total),
                len(local),
                total,
                sorted(unseen),
                unpushed,
                paths.get(asset),
            )
        )
    return states


def conflicts(
    repo: Repository,
    client: ChainClient,
    assets: Sequence[Nid],
    counts: Mapping[str, int] | None = None,
    *,
    histories: Mapping[Nid, list[Nid]] | None = None,
    remote: Mapping[str, list[RemoteEntry]] | None = None,
) -> list[AssetState]:
    """The assets among `assets` whose chain history holds commits never seen here."""
    states = compare(repo, client, assets, counts, histories=histories, remote=remote)
    return [state for state in states if state.conflict]
