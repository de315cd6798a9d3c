"""Stamp records in the store (repo/stamps.py): written in one transaction, found
by asset and by commit, damage named, and a format-2 store made before the
stamp tables existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.unixfs import nid_of_bytes
from numbers_cli.repo.stamps import BatchRecord, StampEntry, StampRecords
from numbers_cli.repo.store import SCHEMA, Store


def _record(tag: str, assets: list[str], network: str = "devnet") -> BatchRecord:
    entries = tuple(
        StampEntry(
            nid_of_bytes(asset.encode()),
            nid_of_bytes(f"commit {tag} {asset}".encode()),
            nid_of_bytes(f"proof {tag} {asset}".encode()),
            i,
        )
        for i, asset in enumerate(assets)
    )
    batch = nid_of_bytes(f"manifest {tag}".encode())
    return BatchRecord(batch, network, "0x" + "ab" * 32, nid_of_bytes(tag.encode()), entries, True)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path)
    db = Store(tmp_path)
    yield db
    db.close()


def test_records_round_trip_and_lookups(store: Store) -> None:
    first = _record("one", ["a", "b", "c"])
    second = _record("two", ["b", "d"], network="jade")
    third = _record("three", ["b"])
    records = StampRecords(store)
    assert records.batches() == [] and records.of_asset(first.entries[0].asset) == []
    with store.write():
        for record in (first, second, third):
            records.record(record)

    fresh = StampRecords(store)
    listed = fresh.batches()
    assert [r.batch for r in listed] == [first.batch, second.batch, third.batch]
    got = fresh.get(first.batch)
    assert got is not None
    assert (got.network, got.root, got.commit, got.leaves, got.content) == (
        "devnet",
        "0x" + "ab" * 32,
        first.commit,
        3,
        True,
    )
    assert got.entries == first.entries
    assert [r.batch for r in fresh.batches("jade")] == [second.batch]

    b = nid_of_bytes(b"b")
    assert [(r.batch, e.leaf_index) for r, e in fresh.of_asset(b)] == [
        (first.batch, 1),
        (second.batch, 0),
        (third.batch, 0),
    ]
    assert [r.batch for r, _ in fresh.of_asset(b, "jade")] == [second.batch]
    # The latest stamp of each asset on a network, in one query.
    latest = fresh.of_assets([b, nid_of_bytes(b"a"), nid_of_bytes(b"z")], "devnet")
    assert set(latest) == {b, nid_of_bytes(b"a")}
    assert latest[b][0].batch == third.batch
    hit = fresh.of_commit(second.entries[1].commit)
    assert hit is not None and hit[0].batch == second.batch and hit[1] == second.entries[1]
    assert fresh.of_commit(nid_of_bytes(b"no such commit")) is None

    every = {str(e.commit) for r in (first, second, third) for e in r.entries}
    assert fresh.stamped_commits() == every
    assert fresh.stamped_commits([nid_of_bytes(b"d")]) == {str(second.entries[1].commit)}
    assert fresh.stamped_counts()[str(b)] == 3
    assert fresh.count() == (3, 6)


def test_a_rolled_back_stamp_leaves_no_record(store: Store) -> None:
    record = _record("gone", ["a"])
    with pytest.raises(RuntimeError), store.write():
        StampRecords(store).record(record)
        raise RuntimeError("the registration could not be paid")
    assert StampRecords(store).batches() == []


def test_damaged_rows_are_named(store: Store) -> None:
    record = _record("one", ["a", "b"])
    with store.write():
        StampRecords(store).record(record)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE stamps SET proof = 'not-a-nid' WHERE leaf = 1")
    conn.commit()
    with pytest.raises(InvalidFormat, match=f"stamp record of batch {record.batch}.*leaf 1"):
        _ = StampRecords(store).get(record.batch).entries  # type: ignore[union-attr]
    conn.execute("DELETE FROM stamps WHERE leaf = 1")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidFormat, match="1 leaves on record, not 2"):
        _ = StampRecords(store).get(record.batch).entries  # type: ignore[union-attr]


def test_a_store_made_before_the_stamp_tables(tmp_path: Path) -> None:
    """A format-2 store without the tables reads as "no stamps" and gets them on
    its first stamp, without a format change."""
    conn = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA application_id=0x6E697432")
    conn.execute("PRAGMA user_version=2")
    conn.executescript(f"BEGIN;{SCHEMA}COMMIT;")
    conn.close()
    store = Store(tmp_path)
    try:
        records = StampRecords(store)
        assert records.batches() == [] and records.stamped_commits() == set()
        assert records.stamped_counts() == {} and records.of_commit(nid_of_bytes(b"x")) is None
        record = _record("first", ["a"])
        with store.write():
            records.record(record)
        assert [r.batch for r in StampRecords(store).batches()] == [record.batch]
    finally:
        store.close()
