"""Which network a re-made stamp record belongs to, settled by what the chain says.

`nit fsck --repair` re-makes a lost store's stamp records from the packs, but
the network a batch went to was only in the store (`ops/stamp/recover.py`).
Such a record anchors its artifacts all the same (`nit push` never registers
their commits on their own), and is read as registered wherever
`refs/remotes/<net>/<batch>` holds its commit. `nit stamp` on a network writes
the network down for each such record, from evidence only:
- `refs/remotes` hold its commit (recorded by a push, a fetch or a stamp that
  read the chain or its receipt);
- the network's push journal names it (a stamp that was interrupted signed its
  registration for this network: finishing it registers it exactly once);
- the chain itself: the batch's exact commit string among `getCommits(batch)`
  (one batched read of the counts, then the history of the batches it has);
  where it landed is recorded in `refs/remotes`, as `nit push` records what it
  finds, so its artifacts are then "already stamped" on this network.
A batch found nowhere stays unknown: `nit stamp` leaves it alone (it never
registers a batch on a network it was not meant for) and says how to settle it:
`nit push --network NAME` finds it on the chain it went to, or registers it there.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import UNKNOWN_NETWORK, BatchRecord, StampRecords

__all__ = ["held_back", "held_back_notes", "settle_networks", "settle_recorded", "unsettled_note"]


def _elsewhere(repo: Repository, network: str, named: Collection[Nid]) -> list[BatchRecord]:
    """Batches stamped for another network, not registered on `network`, not named."""
    return [
        record
        for record in StampRecords(repo.db).batches()
        if record.network not in (UNKNOWN_NETWORK, network)
        and record.batch not in named
        and not any(
            e.commit == record.commit for e in repo.refs.remote_history(network, record.batch)
        )
    ]


def held_back(repo: Repository, network: str, assets: Collection[Nid]) -> set[str]:
    """Commits `nit push --network NETWORK [ASSETS]` leaves alone: every stamped
    artifact's (its batch's commit anchors it), and the commit of a batch stamped
    for another network unless the push names that batch (a batch goes on a
    second network only when asked for)."""
    records = StampRecords(repo.db)
    held = records.stamped_commits(list(assets) if assets else None)
    return held | {str(record.commit) for record in _elsewhere(repo, network, assets)}


def held_back_notes(repo: Repository, network: str, assets: Collection[Nid]) -> list[str]:
    """What `nit push` says of each batch it held back for another network."""
    return [
        f"stamp batch {record.batch} is stamped for {record.network}: not registered on "
        f"{network} (`nit push --network {network} {record.batch}` registers it there too)"
        for record in _elsewhere(repo, network, assets)
        if not assets or record.batch in assets
    ]


def settle_recorded(repo: Repository) -> int:
    """Write down the network of every record of unknown network whose batch's
    commit `refs/remotes` now hold (after `nit push` or `nit fetch` recorded it
    there); returns how many were settled. No chain is asked."""
    records = StampRecords(repo.db)
    placed = [record for record in records.unsettled() if record.network]
    if placed:
        with repo.transaction():
            for record in placed:
                records.settle(str(record.batch), record.network)
    return len(placed)


def settle_networks(
    repo: Repository,
    network: Network,
    journalled: Collection[str],
    client_options: dict[str, Any] | None = None,
) -> list[BatchRecord]:
    """Write down the network of every record of unknown network that the refs, the
    journal or the chain of `network` place; returns those still unknown."""
    records = StampRecords(repo.db)
    unsettled = records.unsettled()
    if not unsettled:
        return []
    settled: dict[Nid, str] = {}
    found: list[tuple[str, RemoteEntry]] = []  # registrations read from the chain
    rest: list[BatchRecord] = []
    for record in unsettled:
        if record.network:  # refs/remotes hold its commit
            settled[record.batch] = record.network
        elif str(record.batch) in journalled:
            settled[record.batch] = network.name
        else:
            rest.append(record)
    if rest:
        with ChainClient(network, **(client_options or {})) as client:
            client.check()
            counts = client.commit_counts([record.batch for record in rest])
            for record in rest:
                if not counts.get(record.batch):
                    continue
                for event in client.history(record.batch):
                    if Nid.of_bytes(event.commit_data.encode("utf-8")) == record.commit:
                        settled[record.batch] = network.name
                        entry = RemoteEntry(record.commit, event.tx_hash, event.block_number)
                        found.append((str(record.batch), entry))
                        break
    if settled:
        with repo.transaction():
            for batch, name in settled.items():
                records.settle(batch, name)
            if found:  # as `nit push` records what it finds on chain
                repo.refs.record_remote(network.name, found)
    return [record for record in rest if record.batch not in settled]


def unsettled_note(record: BatchRecord, network: Network) -> str:
    """What `nit stamp` says of a batch it could not place."""
    return (
        f"batch {record.batch} (re-made by `nit fsck --repair`) is not registered on "
        f"{network.name}, and which network it went to is unknown: `nit push --network NAME` "
        "finds it on that chain, or registers it there"
    )
