"""The chain-scan cache of `nit trace --scan-chain`: `.numbers/cache/scan-<network>.sqlite`.

Why SQLite (the standard library's): a chain can hold 100,000 commits and
more, and the scan must neither keep them in memory nor start over when it is
interrupted. Each range of blocks lands with the new resume point in one
transaction, so a killed scan loses at most the range it was reading, and
lookups (the children of an asset) are indexed instead of read whole.

Tables:
- `meta`: the register address and chain id the cache belongs to, and
  `next_block`, the first block not yet scanned;
- `commits`: every `Commit` event (block, log index, tx, keccak of the Nid,
  commit Nid, tree Nid);
- `assets`: per keccak(Nid), the Nid and `parentAssetCid` read from its first
  readable registration tree (`state`: resolved | missing | mismatch).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

from numbers_cli.errors import ConfigError

__all__ = ["ScanIndex", "ScannedRow"]

ScannedRow = tuple[int, int, str, str, str, str]  # block, log, tx, nid_hash, commit, tree

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commits (
    block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
    nid_hash TEXT NOT NULL, commit_cid TEXT NOT NULL, tree TEXT NOT NULL,
    PRIMARY KEY (block, log));
CREATE INDEX IF NOT EXISTS commits_by_asset ON commits (nid_hash, block, log);
CREATE TABLE IF NOT EXISTS assets (
    nid_hash TEXT PRIMARY KEY, nid TEXT, parent TEXT, state TEXT);
CREATE INDEX IF NOT EXISTS assets_by_parent ON assets (parent);
"""


class ScanIndex:
    """One network's scan cache; a context manager (closes the database)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            # WAL + NORMAL: each transaction is still atomic (a crash loses at most the
            # last one), without an fsync per commit; this is a cache, rebuilt at will.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"the chain-scan cache {path} is unreadable ({exc}); remove it"
            ) from None

    @classmethod
    def open(cls, repo_dir: Path, network: str) -> ScanIndex:
        return cls(repo_dir / "cache" / f"scan-{network}.sqlite")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- meta --------------------------------------------------------------------

    def _get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def bind(self, register: str, chain_id: int) -> None:
        """Tie the cache to one register on one chain; another one starts it afresh."""
        identity = f"{chain_id}:{register.lower()}"
        if self._get("register") == identity:
            return
        with self._transaction():
            for table in ("meta", "commits", "assets"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("INSERT INTO meta VALUES ('register', ?)", (identity,))
            self._db.execute("INSERT INTO meta VALUES ('next_block', '0')")

    @property
    def next_block(self) -> int:
        return int(self._get("next_block") or 0)

    def _transaction(self) -> sqlite3.Connection:
        return _Txn(self._db)  # type: ignore[return-value]

    # -- writing -----------------------------------------------------------------

    def record(self, rows: Iterable[ScannedRow], next_block: int) -> int:
        """Store a scanned range's events and the new resume point, atomically."""
        with self._transaction():
            cursor = self._db.executemany(
                "INSERT OR IGNORE INTO commits VALUES (?, ?, ?, ?, ?, ?)", rows
            )
            self._db.execute(
                "INSERT OR IGNORE INTO assets (nid_hash) SELECT DISTINCT nid_hash FROM commits "
                "WHERE block >= ?",
                (self.next_block,),
            )
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'next_block'", (str(next_block),)
            )
            return cursor.rowcount

    def resolve(self, results: Iterable[tuple[str, str | None, str | None, str]]) -> None:
        """Record (nid_hash, nid, parent, state) of a batch of assets, in one transaction."""
        with self._transaction():
            self._db.executemany(
                "UPDATE assets SET nid = ?, parent = ?, state = ? WHERE nid_hash = ?",
                [(nid, parent, state, nid_hash) for nid_hash, nid, parent, state in results],
            )

    def retry_missing(self) -> None:
        """Assets whose trees nobody had are tried again (a remote may have them now)."""
        self._db.execute("UPDATE assets SET state = NULL WHERE state = 'missing'")

    # -- reading -----------------------------------------------------------------

    def unresolved(self, limit: int = 500) -> list[tuple[str, list[str]]]:
        """Up to `limit` (nid_hash, its first tree Nids in chain order) of unresolved assets."""
        rows = self._db.execute(
            "SELECT nid_hash FROM assets WHERE state IS NULL LIMIT ?", (limit,)
        ).fetchall()
        return [
            (
                str(nid_hash),
                [
                    str(t)
                    for (t,) in self._db.execute(
                        "SELECT tree FROM commits WHERE nid_hash = ? ORDER BY block, log LIMIT 3",
                        (nid_hash,),
                    )
                ],
            )
            for (nid_hash,) in rows
        ]

    def children(self, parent: str) -> list[str]:
        return [
            str(nid)
            for (nid,) in self._db.execute(
                "SELECT nid FROM assets WHERE parent = ? AND state = 'resolved' ORDER BY nid",
                (parent,),
            )
        ]

    def counts(self) -> dict[str, int]:
        (commits,) = self._db.execute("SELECT COUNT(*) FROM commits").fetchone()
        (assets,) = self._db.execute("SELECT COUNT(*) FROM assets").fetchone()
        (derived,) = self._db.execute(
            "SELECT COUNT(*) FROM assets WHERE parent IS NOT NULL"
        ).fetchone()
        (unread,) = self._db.execute(
            "SELECT COUNT(*) FROM assets WHERE state IS NOT 'resolved'"
        ).fetchone()
        return {"commits": commits, "assets": assets, "derived": derived, "unreadable": unread}


class _Txn:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
