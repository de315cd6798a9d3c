"""Stamp records: which artifacts a stamp batch holds, and where each one's
inclusion proof is; two tables of `store.db`.

    stamp_batches  one row per batch: its Nid (the manifest, an asset), the network
                   it is registered on, the Merkle root, the batch's commit, whether
                   the artifacts' bytes were kept (`content`), the number of leaves
    stamps         one row per leaf: batch, leaf index, the artifact's asset Nid,
                   its stamped commit, its proof object; indexed by asset and commit

They are written in the stamp's one store transaction, with the batch pack
that holds the objects and the artifacts' and the batch's `refs/heads/`, so a
batch is recorded whole or not at all. Rows rather than one text per batch:
finding the stamps of one artifact among 100,000 is an index lookup, and
`nit push` and `nit status` ask "which of these commits are stamped" in one
query. Where the batch's commit landed on chain is `refs/remotes/<net>/<batch>`,
as for any pushed commit.

The tables are part of the store's schema (`repo.store.STAMP_SCHEMA`); a format-2
store made before them gets them on its first stamp (`ensure_tables`), and
reads of a store without them find no stamps.

A batch's network may be unknown (`UNKNOWN_NETWORK`, the empty string): a record
that `nit fsck --repair` re-made from the packs after `store.db` was lost, since
which chain a batch went to was only in the store. Such a record is read as
registered on the network whose `refs/remotes/<net>/<batch>` holds its commit,
i.e. as soon as a chain read (`nit push` finding it, `nit fetch`, `nit stamp`)
recorded it there; `settle` writes that down. Until then it anchors its
artifacts all the same: `stamped_commits` and `stamped_counts` ask no network,
so `nit push` never registers a stamped artifact's commit on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import REMOTES, Refs
from numbers_cli.repo.stamp_rows import batch_row_problem
from numbers_cli.repo.store import STAMP_SCHEMA, Store, repair_hint

__all__ = [
    "UNKNOWN_NETWORK",
    "UNKNOWN_NETWORK_TEXT",
    "BatchRecord",
    "StampEntry",
    "StampRecords",
    "ensure_tables",
]

#: The network of a record re-made from the packs, before a chain read settles it.
UNKNOWN_NETWORK = ""
#: How a batch of unknown network is shown (never as an empty name).
UNKNOWN_NETWORK_TEXT = "network unknown until settled"

_BATCH_COLUMNS = "id, batch, network, root, commit_nid, content, leaves"
#: Bound parameters per IN (...) query, well under SQLite's limit.
_CHUNK = 500


def ensure_tables(store: Store) -> None:
    """Create the stamp tables in a store made before them (inside a write)."""
    if not _has_tables(store):
        for statement in STAMP_SCHEMA.split(";"):
            if statement.strip():
                store.execute(statement)


def _has_tables(store: Store) -> bool:
    row = store.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stamps'")
    return row is not None


@dataclass(frozen=True)
class StampEntry:
    """One leaf of a batch: the artifact's asset, its stamped commit, its proof object."""

    asset: Nid
    commit: Nid
    proof: Nid
    leaf_index: int


class BatchRecord:
    """A batch on record. Its entries are read from the store when first asked for
    (`nit verify` of one artifact needs only its own row)."""

    def __init__(
        self,
        batch: Nid,
        network: str,
        root: str,
        commit: Nid,
        entries: tuple[StampEntry, ...] | None = None,
        content: bool = False,
        *,
        leaves: int | None = None,
        loader: Callable[[], tuple[StampEntry, ...]] | None = None,
    ) -> None:
        self.batch = batch
        self.network = network
        self.root = root
        self.commit = commit
        self.content = content
        self._entries = entries
        self._loader = loader
        self.leaves = len(entries) if entries is not None else int(leaves or 0)

    @property
    def entries(self) -> tuple[StampEntry, ...]:
        if self._entries is None:
            self._entries = self._loader() if self._loader is not None else ()
        return self._entries

    def __repr__(self) -> str:
        return f"BatchRecord({self.batch}, {self.network}, {self.leaves} leaves)"


class StampRecords:
    """The stamp records of a repository's store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._present: bool | None = None

    def _ready(self) -> bool:
        if self._present is None:
            self._present = _has_tables(self.store)
        return self._present

    # --- writing ------------------------------------------------------------------
    def record(self, record: BatchRecord) -> None:
        """Add a batch and its leaves; joins the current write transaction."""
        with self.store.write():
            ensure_tables(self.store)
            self._present = True
            # Past every leaf's batch id too: leaves whose batch row was lost in a
            # damaged store (kept by fsck --repair) never join a new batch.
            (batch_id,) = self.store.one(
                "SELECT 1 + max(coalesce((SELECT max(id) FROM stamp_batches), 0), "
                "coalesce((SELECT max(batch) FROM stamps), 0))"
            ) or (1,)
            self.store.execute(
                "INSERT INTO stamp_batches(id, batch, network, root, commit_nid, content, leaves) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    batch_id,
                    str(record.batch),
                    record.network,
                    record.root,
                    str(record.commit),
                    int(record.content),
                    record.leaves,
                ),
            )
            self.store.executemany(
                "INSERT INTO stamps(batch, leaf, asset, commit_nid, proof) VALUES (?, ?, ?, ?, ?)",
                (
                    (batch_id, e.leaf_index, str(e.asset), str(e.commit), str(e.proof))
                    for e in record.entries
                ),
            )

    def forget(self, batch: str) -> None:
        """Drop a batch's record and its leaves (fsck --repair, before re-making it)."""
        with self.store.write():
            row = self.store.one("SELECT id FROM stamp_batches WHERE batch = ?", (str(batch),))
            if row is not None:
                self.store.execute("DELETE FROM stamps WHERE batch = ?", (row[0],))
                self.store.execute("DELETE FROM stamp_batches WHERE id = ?", (row[0],))

    # --- reading ------------------------------------------------------------------
    def _record(self, row: Sequence[object], want: str | None = None) -> BatchRecord:
        batch_id, batch, network, root, commit, content, leaves = row
        problem = batch_row_problem(row)
        if problem is not None:
            raise self.damaged(str(batch)[:80], problem)
        nid, commit_nid = Nid(str(batch)), Nid(str(commit))
        if network == UNKNOWN_NETWORK:
            network = self._registered_on(str(batch), str(commit), want)
        return BatchRecord(
            nid,
            str(network),
            str(root),
            commit_nid,
            None,
            bool(content),
            leaves=int(leaves),  # type: ignore[call-overload]
            loader=lambda: self._entries(batch_id, str(batch), int(leaves)),  # type: ignore[call-overload]
        )

    def _entries(self, batch_id: object, batch: str, leaves: int) -> tuple[StampEntry, ...]:
        rows = self.store.all(
            "SELECT leaf, asset, commit_nid, proof FROM stamps WHERE batch = ? ORDER BY leaf",
            (batch_id,),
        )
        if len(rows) != leaves or any(row[0] != i for i, row in enumerate(rows)):
            raise self.damaged(batch, f"{len(rows)} leaves on record, not {leaves}")
        return tuple(self._entry(batch, row) for row in rows)

    def _entry(self, batch: str, row: Sequence[object]) -> StampEntry:
        leaf, asset, commit, proof = row
        try:
            return StampEntry(
                Nid.parse(str(asset)),
                Nid.parse(str(commit)),
                Nid.parse(str(proof)),
                int(leaf),  # type: ignore[call-overload]
            )
        except InvalidFormat as exc:
            raise self.damaged(batch, f"leaf {leaf}: {exc.message}") from None

    def registered_on(self, batch: str, commit: str) -> str:
        """The network whose refs/remotes hold `commit` of `batch` (the first by
        name), or UNKNOWN_NETWORK: where a record of unknown network belongs."""
        return self._registered_on(str(batch), str(commit), None)

    def _registered_on(self, batch: str, commit: str, want: str | None) -> str:
        """The network of a record whose network is unknown: the one (`want`, if
        given; else the first by name) whose refs/remotes hold the batch's commit."""
        if want is not None:
            rows = self.store.all(
                "SELECT name, value FROM refs WHERE name = ?", (Refs.remote_rel(want, batch),)
            )
        else:
            rows = self.store.all(
                "SELECT name, value FROM refs WHERE name >= ? AND name < ? AND name LIKE ? "
                "ORDER BY name",
                (REMOTES, "refs/remotes0", Refs.remote_rel("%", batch)),
            )
        for name, value in rows:
            if any(line.split()[:1] == [commit] for line in str(value).splitlines()):
                return str(name)[len(REMOTES) : -len(batch) - 1]
        return UNKNOWN_NETWORK

    def batches(self, network: str | None = None) -> list[BatchRecord]:
        """Every batch on record (of `network`, if given), oldest first."""
        if not self._ready():
            return []
        sql = f"SELECT {_BATCH_COLUMNS} FROM stamp_batches"
        params: tuple[object, ...] = ()
        if network is not None:  # and those of unknown network recorded there
            sql, params = sql + " WHERE network IN (?, '')", (network,)
        records = [
            self._record(row, network) for row in self.store.all(sql + " ORDER BY id", params)
        ]
        return [r for r in records if network is None or r.network == network]

    def rows(self) -> list[tuple[object, ...]]:
        """Every batch row as stored, unparsed (fsck reads each on its own)."""
        if not self._ready():
            return []
        return self.store.all(f"SELECT {_BATCH_COLUMNS} FROM stamp_batches ORDER BY id")

    def read_row(self, row: Sequence[object]) -> BatchRecord:
        """The record of one row of `rows()`; InvalidFormat when it is damaged."""
        return self._record(row)

    def unsettled(self) -> list[BatchRecord]:
        """Batches whose network is not written down (re-made by `nit fsck --repair`);
        each one's `network` as refs/remotes say, or UNKNOWN_NETWORK."""
        if not self._ready():
            return []
        rows = self.store.all(
            f"SELECT {_BATCH_COLUMNS} FROM stamp_batches WHERE network = '' ORDER BY id"
        )
        return [self._record(row) for row in rows]

    def batch_nids(self) -> set[str]:
        """The batches on record, as stored (no row parsed: fsck reads damaged stores too)."""
        if not self._ready():
            return set()
        return {str(batch) for (batch,) in self.store.all("SELECT batch FROM stamp_batches")}

    def settle(self, batch: str, network: str) -> None:
        """Write down the network of a batch whose network was unknown (in a write)."""
        with self.store.write():
            self.store.execute(
                "UPDATE stamp_batches SET network = ? WHERE batch = ? AND network = ''",
                (network, str(batch)),
            )

    def get(self, batch: str) -> BatchRecord | None:
        if not self._ready():
            return None
        row = self.store.one(
            f"SELECT {_BATCH_COLUMNS} FROM stamp_batches WHERE batch = ?", (str(batch),)
        )
        return None if row is None else self._record(row)

    def _joined(self, column: str, values: Sequence[str]):  # type: ignore[no-untyped-def]
        """(batch row, leaf row) pairs whose `column` is one of `values`, oldest batch first."""
        if not self._ready():
            return
        prefixed = ", ".join(f"b.{c.strip()}" for c in _BATCH_COLUMNS.split(","))
        for start in range(0, len(values), _CHUNK):
            chunk = [str(v) for v in values[start : start + _CHUNK]]
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"SELECT {prefixed}, s.leaf, s.asset, s.commit_nid, s.proof "
                f"FROM stamps s JOIN stamp_batches b ON b.id = s.batch "
                f"WHERE s.{column} IN ({marks})"
            )
            params: list[object] = list(chunk)
            for row in self.store.all(sql + " ORDER BY b.id, s.leaf", params):
                yield row[:7], row[7:]

    def _pairs(
        self, column: str, values: Sequence[str], network: str | None
    ) -> list[tuple[BatchRecord, StampEntry]]:
        records: dict[object, BatchRecord] = {}
        on: dict[object, bool] = {}
        found = []
        for head, leaf in self._joined(column, values):
            record = records.get(head[0])
            if record is None:
                record = records[head[0]] = self._record(head, network)
                # Stamped for `network`, or registered there too (`nit push --network
                # NET BATCH` of a batch stamped for another): refs/remotes say so.
                on[head[0]] = (
                    network is None
                    or record.network == network
                    or (
                        self._registered_on(str(record.batch), str(record.commit), network)
                        == network
                    )
                )
            if not on[head[0]]:
                continue
            found.append((record, self._entry(str(record.batch), leaf)))
        return found

    def of_asset(
        self, asset: str, network: str | None = None
    ) -> list[tuple[BatchRecord, StampEntry]]:
        """Every stamp of `asset`: (batch, its leaf), one per batch holding it, oldest first."""
        return self._pairs("asset", [str(asset)], network)

    def of_assets(
        self, assets: Sequence[str], network: str
    ) -> dict[Nid, tuple[BatchRecord, StampEntry]]:
        """The latest stamp on `network` of each of `assets` that has one (one query per 500)."""
        return {
            entry.asset: (record, entry) for record, entry in self._pairs("asset", assets, network)
        }

    def of_commit(self, commit: str) -> tuple[BatchRecord, StampEntry] | None:
        """The batch and leaf that anchor `commit`, if it was stamped."""
        found = self._pairs("commit_nid", [str(commit)], None)
        return found[0] if found else None

    def stamped_commits(self, assets: Iterable[str] | None = None) -> set[str]:
        """Commits registered through a batch rather than one transaction each (of
        `assets`, or all): `nit push` leaves them alone, their batch's commit is
        what it registers."""
        if not self._ready():
            return set()
        if assets is None:
            return {str(c) for (c,) in self.store.all("SELECT commit_nid FROM stamps")}
        wanted = [str(a) for a in assets]
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                str(c)
                for (c,) in self.store.all(
                    f"SELECT commit_nid FROM stamps WHERE asset IN ({marks})", chunk
                )
            )
        return found

    def stamped_counts(self) -> dict[str, int]:
        """Asset → how many of its commits are stamped (`nit status`, in one query)."""
        if not self._ready():
            return {}
        return {
            str(asset): int(n)
            for asset, n in self.store.all(
                "SELECT asset, count(DISTINCT commit_nid) FROM stamps GROUP BY asset"
            )
        }

    def count(self) -> tuple[int, int]:
        """(batches, leaves) on record (a leaf row whose batch row is gone is no leaf)."""
        if not self._ready():
            return 0, 0
        batches = self.store.one("SELECT count(*) FROM stamp_batches")
        leaves = self.store.one(
            "SELECT count(*) FROM stamps s JOIN stamp_batches b ON b.id = s.batch"
        )
        return int(batches[0]) if batches else 0, int(leaves[0]) if leaves else 0

    # --- damage -------------------------------------------------------------------
    def damaged(self, batch: str, what: str) -> InvalidFormat:
        return InvalidFormat(
            f"stamp record of batch {batch} in {self.store.path} is damaged ({what})",
            hint=repair_hint(),
        )
