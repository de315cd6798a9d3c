"""`.numbers/store.db`: one SQLite database indexing every object, and holding
the refs, the index and the files added by reference.

Why: format 1 kept one file per object and per ref. Adding 1,000 small files
cost 2,004 fsyncs and 6,488 opens, committing them 6,004 fsyncs, and left 4,004
files in `.numbers/`. Now a whole `nit add` or `nit commit` is one transaction:
its small objects are appended to one pack (a CAR in `objects/pack/`, see
`repo.packs`), and their index rows, refs and index changes go into SQLite (WAL
mode), made durable by one fsync of the pack and one of the write-ahead log at
COMMIT (`synchronous=FULL`), the way git's packs and databases group writes.

- All or nothing: the pack is synced and renamed into place before COMMIT; a
  crash before COMMIT leaves an unrecorded pack (ignored, re-indexed by
  `nit fsck --repair`), a crash after it the whole change. SQLite's own atomic
  commit does what format 1's journal did, at any instant, not only at our steps.
- Readers (`status`, `log`, `verify`) read a consistent snapshot while a writer
  works; one writer at a time is still the `.numbers/lock` flock.
- The database holds no object bytes, only where they are: every object is in a
  pack, and a pack (a CAR) carries each block's CID. A damaged or lost database
  is rebuilt from the packs by `nit fsck --repair` (objects re-indexed, local
  histories re-made from the commits), losing only what was staged.
- SQLite ships with Python; its file format is stable and documented.

Every statement goes through `execute`/`executemany`/`commit` (writes) and
`one`/`all`/`rows` (reads), so SQLite's errors become nit's errors in one place:
a damaged database names its file with a repair hint, a busy one says so. The
crash tests number these calls to kill a command between any two of them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from numbers_cli.errors import (
    NitError,
    RepositoryDamaged,
    RepositoryFormatError,
    RepositoryLocked,
)

DB_NAME = "store.db"
APPLICATION_ID = 0x6E697432  # "nit2" in the database header: this file is ours
SCHEMA_VERSION = 2  # PRAGMA user_version; the repository format it belongs to

SCHEMA = """
CREATE TABLE packs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE blocks (
    cid BLOB PRIMARY KEY, pack INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE files (
    id INTEGER PRIMARY KEY, root TEXT NOT NULL UNIQUE, path BLOB NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL
);
CREATE TABLE filed (
    cid BLOB PRIMARY KEY, file INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE refs (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE staged (
    seq INTEGER PRIMARY KEY, nid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    tree TEXT NOT NULL, path BLOB
);
CREATE TABLE tracked (
    path BLOB PRIMARY KEY, nid TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, seen_ns INTEGER NOT NULL
) WITHOUT ROWID;
"""
# Stamp records (repo/stamps.py, issue 14): a batch, and one row per leaf. IF NOT
# EXISTS: a format-2 store made before them gets them on its first stamp.
STAMP_SCHEMA = """
CREATE TABLE IF NOT EXISTS stamp_batches (
    id INTEGER PRIMARY KEY, batch TEXT NOT NULL UNIQUE, network TEXT NOT NULL,
    root TEXT NOT NULL, commit_nid TEXT NOT NULL, content INTEGER NOT NULL,
    leaves INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stamps (
    batch INTEGER NOT NULL, leaf INTEGER NOT NULL, asset TEXT NOT NULL,
    commit_nid TEXT NOT NULL, proof TEXT NOT NULL, PRIMARY KEY (batch, leaf)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stamps_asset ON stamps(asset);
CREATE INDEX IF NOT EXISTS stamps_commit ON stamps(commit_nid);
"""
TABLES = (
    "packs",
    "blocks",
    "files",
    "filed",
    "refs",
    "staged",
    "tracked",
    "stamp_batches",
    "stamps",
)


def repair_hint() -> str:
    return "run `nit fsck --repair` to rebuild what can be rebuilt"


class Store:
    """The connection to `store.db`, opened on first use (commands that never
    touch the store, like `nit config`, never pay for it)."""

    def __init__(self, repo_dir: Path, timeout: float = 5.0) -> None:
        self.path = repo_dir / DB_NAME
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._depth = 0  # nesting of write(): only the outermost one commits
        self._before_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []

    # --- opening ------------------------------------------------------------------
    @classmethod
    def create(cls, repo_dir: Path) -> None:
        """Make a new, empty store (WAL mode is a property of the file, set once)."""
        conn = sqlite3.connect(repo_dir / DB_NAME, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.executescript(f"BEGIN;{SCHEMA}{STAMP_SCHEMA}COMMIT;")
        finally:
            conn.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise RepositoryDamaged(f"{self.path} is missing", hint=repair_hint())
        try:
            conn = sqlite3.connect(
                self.path.as_uri() + "?mode=rw",
                uri=True,
                isolation_level=None,  # transactions are begun and committed explicitly
                timeout=self.timeout,
                check_same_thread=False,  # one thread at a time; ingest hashes on others
            )
            # FULL: the WAL is fsync'ed at each COMMIT, so a finished command survives
            # a power cut; a SIGKILL never loses a committed transaction either way.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA cache_size=-8192")  # 8 MiB of page cache
            app, version = (
                conn.execute("PRAGMA application_id").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0],
            )
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        if app != APPLICATION_ID:
            conn.close()
            raise RepositoryDamaged(
                f"{self.path} is not a nit store (application id {app:#x})", hint=repair_hint()
            )
        if version > SCHEMA_VERSION:
            conn.close()
            raise RepositoryFormatError(
                f"{self.path} has format {version}, newer than this nit reads ({SCHEMA_VERSION})",
                hint="upgrade nit",
            )
        return conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    # --- errors ---------------------------------------------------------------------
    def error(self, exc: sqlite3.Error) -> NitError:
        """The nit error for an SQLite failure: locked, full, or damaged (named)."""
        text = str(exc)
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            return RepositoryLocked(
                "another nit process is writing to this repository",
                hint="wait for it to finish, then run the command again",
            )
        if "full" in lowered:
            return NitError("no space left on device; nothing was committed half-way")
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in lowered:
            return NitError(f"cannot open {self.path}: {text}")
        return RepositoryDamaged(f"{self.path} is damaged ({text})", hint=repair_hint())

    # --- writing ------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction; nested ones join the outermost, which commits or rolls back."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            for hook in self._before_commit:
                hook()
        except BaseException:
            self._depth = 0
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            self._end(self._after_rollback)
            raise
        self._depth = 0
        try:
            self.commit()
        except BaseException:
            self._end(self._after_rollback)
            raise
        self._end([])

    def _end(self, hooks: list[Callable[[], None]]) -> None:
        run = list(hooks)
        self._before_commit.clear()
        self._after_rollback.clear()
        for hook in run:
            with contextlib.suppress(Exception):
                hook()

    def on_commit(self, before: Callable[[], None], rollback: Callable[[], None]) -> None:
        """Run `before` just before the current transaction's COMMIT (a pack is
        synced and renamed into place), or `rollback` if it is rolled back."""
        if not self._depth:
            raise RuntimeError("on_commit outside a write transaction")
        self._before_commit.append(before)
        self._after_rollback.append(rollback)

    @property
    def in_write(self) -> bool:
        return self._depth > 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def commit(self) -> None:
        """COMMIT: the one point where a transaction becomes durable and visible."""
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise self.error(exc) from None

    # --- reading --------------------------------------------------------------------
    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        try:
            row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows one at a time (large tables: every object for fsck)."""
        try:
            cursor = self.conn.execute(sql, params)
            while True:
                batch = cursor.fetchmany(256)
                if not batch:
                    return
                yield from batch
        except sqlite3.Error as exc:
            raise self.error(exc) from None
