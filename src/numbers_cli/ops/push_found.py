"""Which planned commits the chain already holds, before `nit push` sends anything.

Why a step of its own: a commit pushed from another clone, or whose
refs/remotes record was lost, or that an interrupted push got mined under a
transaction its journal does not name, must be recorded, never sent again.
Reading the histories only of assets whose on-chain count exceeds what
refs/remotes know keeps it to one batched count read in the common case.
"""

from __future__ import annotations

from numbers_cli.chain import ChainClient
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository


def found_on_chain(
    repo: Repository,
    client: ChainClient,
    plan: list[tuple[Nid, Nid]],
    counts: dict[str, int] | None = None,
) -> list[tuple[Nid, RemoteEntry]]:
    """Planned commits the chain already holds (pushed from elsewhere, or refs lost).

    `counts`: the chain's commit counts of the planned assets, if just read."""
    assets = list(dict.fromkeys(asset for asset, _ in plan))
    if not assets:
        return []
    if counts is None:
        counts = client.commit_counts(assets)
    network = client.network.name
    known = repo.refs.remote_histories(network)
    found: list[tuple[Nid, RemoteEntry]] = []
    for asset in assets:
        if counts[asset] <= len(known.get(asset, [])):
            continue
        on_chain = {
            Nid.of_bytes(record.commit_data.encode("utf-8")): record
            for record in client.history(asset)
        }
        for planned_asset, commit in plan:
            record = on_chain.get(commit)
            if planned_asset == asset and record is not None:
                found.append((asset, RemoteEntry(commit, record.tx_hash, record.block_number)))
    return found
