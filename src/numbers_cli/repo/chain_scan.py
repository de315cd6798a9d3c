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
  commit Nid, tree Nid) and what its tree says: `parent` (its
  `parentAssetCid`) and `state` (NULL: not read yet; `read`; `missing`: nobody
  had the tree, tried again by the next scan; `mismatch`: a tree of another
  asset; `none`: not a Numbers commit; `bad-parent`: its tree names a
  `parentAssetCid` that is not a Nid, so it is nobody's child). Every version counts: an asset is a
  child of each parent any of its registered trees names;
- `assets`: per keccak(Nid), the Nid, read from the first of its trees that
  hashes to it (NULL while none has).

The schema's version is SQLite's `user_version`; a cache of another version
is dropped and rebuilt (it is a cache: a rescan costs time, nothing else), and
so is a damaged one (its pages are checked on open: a torn write or a disk
error would otherwise fail a later query), which `rebuilt` then says why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

from numbers_cli.errors import ConfigError

__all__ = ["ReadRow", "ScanIndex", "ScannedRow", "TreeLink"]

ScannedRow = tuple[int, int, str, str, str, str]  # block, log, tx, nid_hash, commit, tree
#: A scanned row with what its tree said: (*ScannedRow, parent, state), state None: not read.
ReadRow = tuple[int, int, str, str, str, str, str | None, str | None]
#: What reading one commit's tree gave: (rowid, state, parent, nid_hash, nid).
TreeLink = tuple[int, str, str | None, str, str | None]

#: The cache's layout version (PRAGMA user_version); another one is rebuilt.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commits (
    block INTEGER NOT NULL, log INTEGER NOT NULL, tx TEXT NOT NULL,
    nid_hash TEXT NOT NULL, commit_cid TEXT NOT NULL, tree TEXT NOT NULL,
    parent TEXT, state TEXT,
    PRIMARY KEY (block, log));
CREATE INDEX IF NOT EXISTS commits_by_asset ON commits (nid_hash, block, log);
CREATE INDEX IF NOT EXISTS commits_by_parent ON commits (parent) WHERE parent IS NOT NULL;
CREATE TABLE IF NOT EXISTS assets (nid_hash TEXT PRIMARY KEY, nid TEXT);
"""


class ScanIndex:
    """One network's scan cache; a context manager (closes the database)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: Why the cache was found damaged and started afresh (None: it was sound).
        self.rebuilt: str | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            # A damaged cache (a torn write, a disk error, any junk at the path) would
            # fail some later query with a traceback: it is a cache, so start afresh.
            self.rebuilt = str(exc)
            self._discard()
            try:
                self._open()
            except sqlite3.DatabaseError as again:
                raise ConfigError(
                    f"the chain-scan cache {path} is unreadable ({again}); remove it"
                ) from None

    def _discard(self) -> None:
        """Close and delete the cache file and its WAL companions."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"the chain-scan cache {self.path} is damaged and cannot be removed "
                f"({exc.strerror or exc}); remove it"
            ) from None

    def _open(self) -> None:
        """Connect, check the pages (quick_check), and bring the schema to this version."""
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # WAL + NORMAL: each transaction is still atomic (a crash loses at most the
        # last one), without an fsync per commit; this is a cache, rebuilt at will.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        (verdict,) = self._db.execute("PRAGMA quick_check(1)").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(str(verdict))
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:  # empty, or an older layout: start afresh
            self._db.executescript(
                "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS commits; "
                "DROP TABLE IF EXISTS assets;"
            )
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.executescript(_SCHEMA)

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
        """Store a scanned range's events (trees not read yet) and the new resume point."""
        return self.record_read(
            ((*row, None, None if row[5] else "none") for row in rows), next_block
        )

    def record_read(
        self, rows: Iterable[ReadRow], next_block: int, names: Iterable[tuple[str, str]] = ()
    ) -> int:
        """Store a scanned range's events, each with what its tree said when it was read
        with the range (no second pass over the rows), the Nids of their assets
        (nid_hash, nid) and the new resume point, atomically; returns the new rows."""
        with self._transaction():
            cursor = self._db.executemany(
                "INSERT OR IGNORE INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.execute(
                "INSERT OR IGNORE INTO assets (nid_hash) SELECT DISTINCT nid_hash FROM commits "
                "WHERE block >= ?",
                (self.next_block,),
            )
            self._db.executemany(
                "UPDATE assets SET nid = ? WHERE nid_hash = ? AND nid IS NULL",
                [(nid, nid_hash) for nid_hash, nid in names],
            )
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'next_block'", (str(next_block),)
            )
            return cursor.rowcount

    def resolve(self, links: Iterable[TreeLink]) -> None:
        """Record what a batch of commits' trees say, in one transaction: each commit's
        state and parent, and the Nid of assets that had none yet."""
        links = list(links)
        with self._transaction():
            self._db.executemany(
                "UPDATE commits SET state = ?, parent = ? WHERE rowid = ?",
                [(state, parent, rowid) for rowid, state, parent, _, _ in links],
            )
            self._db.executemany(
                "UPDATE assets SET nid = ? WHERE nid_hash = ? AND nid IS NULL",
                [(nid, nid_hash) for _, _, _, nid_hash, nid in links if nid is not None],
            )

    def retry_missing(self) -> None:
        """Commits whose trees nobody had are tried again (a remote may have them now)."""
        self._db.execute("UPDATE commits SET state = NULL WHERE state = 'missing'")

    # -- reading -----------------------------------------------------------------

    def unread(self, after: int = 0, limit: int = 2000) -> list[tuple[int, str, str]]:
        """Up to `limit` (rowid, nid_hash, tree Nid) of commits whose tree is not read
        yet, past rowid `after` (the caller's cursor: each row is visited once)."""
        return [
            (int(rowid), str(nid_hash), str(tree))
            for rowid, nid_hash, tree in self._db.execute(
                "SELECT rowid, nid_hash, tree FROM commits WHERE rowid > ? AND state IS NULL "
                "ORDER BY rowid LIMIT ?",
                (after, limit),
            )
        ]

    def children(self, parent: str) -> list[str]:
        """Assets any of whose registered trees names `parent`."""
        return [
            str(nid)
            for (nid,) in self._db.execute(
                "SELECT DISTINCT a.nid FROM commits c JOIN assets a ON a.nid_hash = c.nid_hash "
                "WHERE c.parent = ? AND c.state = 'read' AND a.nid IS NOT NULL ORDER BY a.nid",
                (parent,),
            )
        ]

    def counts(self) -> dict[str, int]:
        (commits,) = self._db.execute("SELECT COUNT(*) FROM commits").fetchone()
        (assets,) = self._db.execute("SELECT COUNT(*) FROM assets").fetchone()
        (derived,) = self._db.execute(
            "SELECT COUNT(DISTINCT nid_hash) FROM commits WHERE parent IS NOT NULL"
        ).fetchone()
        (unread,) = self._db.execute("SELECT COUNT(*) FROM assets WHERE nid IS NULL").fetchone()
        (bad,) = self._db.execute(
            "SELECT COUNT(*) FROM commits WHERE state = 'bad-parent'"
        ).fetchone()
        return {
            "commits": commits,
            "assets": assets,
            "derived": derived,
            "unreadable": unread,
            "badParents": bad,
        }


class _Txn:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
