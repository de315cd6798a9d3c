"""Stamp records damaged in place, read without trusting them: for `nit fsck`.

A damaged page's salvage or a hand edit can leave, in `store.db`:
- a batch row with a value `nit stamp` never writes (a batch or commit that is
  not a Nid, a root that is not one, a leaf count below one, a network that
  cannot be a network's name): `repo.stamps.batch_row_problem`;
- a batch row whose leaf rows are not exactly 0..n-1 (lost, or moved under
  another batch's id), or hold a value that is not a Nid;
- leaf rows whose batch row is gone (orphans).

Each damaged batch is reported once, by its Nid, and re-made whole from the
packs by `ops/stamp/recover.py` under the same trust rules as a lost record. A
row whose batch column is garbage cannot say which batch it was: it is tied to
the batch the packs re-make by its commit, when that column still reads. A
damaged row's network is kept when it is still a network's name; else it is
read from `refs/remotes` (where the batch's commit was recorded), else unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from numbers_cli.errors import NitError
from numbers_cli.model.nid import Nid
from numbers_cli.repo.stamp_rows import batch_row_problem, is_network_name
from numbers_cli.repo.stamps import UNKNOWN_NETWORK, StampRecords
from numbers_cli.repo.store import Store

__all__ = ["RecordDamage", "RowDamage", "find_damage"]

_COLUMNS = "id, batch, network, root, commit_nid, content, leaves"


@dataclass(frozen=True)
class RowDamage:
    """One damaged batch row and what can still be read of it."""

    row_id: int
    batch: str  # as stored; a Nid when `readable`
    commit: str  # as stored
    network: str  # the stored network if it is a network's name, else UNKNOWN_NETWORK
    problem: str
    readable: bool  # the batch column names a batch


@dataclass
class RecordDamage:
    rows: list[RowDamage] = field(default_factory=list)
    #: batch row id → leaf rows under an id no batch row has
    orphans: dict[int, int] = field(default_factory=dict)

    @property
    def by_batch(self) -> dict[str, RowDamage]:
        return {row.batch: row for row in self.rows if row.readable}

    @property
    def by_commit(self) -> dict[str, RowDamage]:
        """Rows that cannot say their batch, by the commit they still name."""
        return {row.commit: row for row in self.rows if not row.readable}

    @property
    def row_ids(self) -> set[int]:
        return {row.row_id for row in self.rows}


def _is_nid(value: object) -> bool:
    try:
        Nid.parse(str(value))
    except NitError:
        return False
    return True


def _network(row: Sequence[object]) -> str:
    return str(row[2]) if is_network_name(row[2]) else UNKNOWN_NETWORK


def find_damage(store: Store) -> RecordDamage:
    """Every damaged batch row and orphaned leaf row (a few whole-table queries)."""
    damage = RecordDamage()
    if not StampRecords(store).batch_nids() and not _has_leaves(store):
        return damage
    rows = store.all(f"SELECT {_COLUMNS} FROM stamp_batches ORDER BY id")
    shape = {
        batch_id: (count, low, high)
        for batch_id, count, low, high in store.all(
            "SELECT batch, count(*), min(leaf), max(leaf) FROM stamps GROUP BY batch"
        )
    }
    garbled = {
        batch_id
        for batch_id, *values in store.all("SELECT batch, asset, commit_nid, proof FROM stamps")
        if not all(_is_nid(value) for value in values)
    }
    for row in rows:
        batch_id, batch, _network_value, _root, commit, _content, leaves = row
        problem = batch_row_problem(row)
        if problem is None:
            count, low, high = shape.get(batch_id, (0, None, None))
            if (count, low, high) != (leaves, 0, int(leaves) - 1):  # type: ignore[call-overload]
                problem = f"{count} leaf rows on record, not leaves 0 to {int(leaves) - 1}"  # type: ignore[call-overload]
            elif batch_id in garbled:
                problem = "a leaf row holds a value that is not a Nid"
        if problem is not None:
            damage.rows.append(
                RowDamage(
                    int(batch_id),
                    str(batch),
                    str(commit),
                    _network(row),
                    problem,
                    _is_nid(batch),
                )
            )
    known = {int(row[0]) for row in rows}
    for batch_id, (count, _low, _high) in shape.items():
        if batch_id not in known:
            damage.orphans[int(batch_id)] = int(count)
    return damage


def _has_leaves(store: Store) -> bool:
    try:
        return store.one("SELECT 1 FROM stamps LIMIT 1") is not None
    except NitError:
        return False
