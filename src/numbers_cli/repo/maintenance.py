"""Checking and rebuilding the store's own files, for `nit fsck` and `--repair`.

What can be rebuilt is what the packs describe: a CAR carries every block with
its CID, so the pack index (`blocks`) of a pack, of a pack nobody recorded, or
of a whole lost `store.db` is re-made by reading the packs again, keeping only
blocks whose bytes hash to their CID. A pack's header is re-written from the
pack's name (or its first block), and the `format` file from the store. What
was only in the database (staged trees, tracked paths, files added by
reference, what is known to be on chains) is not in any pack; `nit add` and
`nit push`/`nit fetch` learn it again. The stamp records are re-made from the
signed batches the packs hold (`ops/stamp/recover.py`), all but their network.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from numbers_cli.errors import InvalidFormat, NitError
from numbers_cli.fsio import atomic_write, fsync_dir
from numbers_cli.model import car
from numbers_cli.model.nid import Nid
from numbers_cli.repo.packs import BATCH_PREFIX, scan_blocks, scan_pack
from numbers_cli.repo.repository import FORMAT_VERSION, Repository
from numbers_cli.repo.store import DB_NAME, Store


@dataclass
class PackScan:
    """A pack read through its CAR framing, compared with what the index says."""

    name: str
    path: Path
    header_ok: bool = True
    header_problem: str = ""
    framing_problem: str = ""
    blocks: dict[bytes, tuple[int, int, bool]] = field(default_factory=dict)
    # cid → (offset, length, intact), from the CAR itself

    @property
    def first(self) -> bytes | None:
        return next(iter(self.blocks), None)


def scan(name: str, path: Path, on_block: Callable[[bytes, bytes], None] | None = None) -> PackScan:
    """Read a pack whole: its header against its name, and every block's hash."""
    result = PackScan(name, path)
    try:
        roots, blocks = scan_pack(path)
    except (InvalidFormat, OSError, IndexError) as exc:
        result.header_ok = False
        result.header_problem = f"its CAR header is unreadable ({_reason(exc)})"
        blocks = _blocks_after_header(path, result)
        roots = None
    try:
        for block in blocks:
            result.blocks.setdefault(block.cid, (block.offset, block.length, block.intact))
            if on_block is not None and block.intact:
                on_block(block.cid, block.data)
    except (InvalidFormat, OSError, IndexError) as exc:
        result.framing_problem = f"its blocks cannot be read past some point ({_reason(exc)})"
    if roots is not None:
        expected = _expected_root(result)
        if expected is not None and roots != [expected]:
            result.header_ok = False
            result.header_problem = "its CAR header names another root than the pack"
    return result


def _reason(exc: Exception) -> str:
    return exc.message if isinstance(exc, NitError) else str(exc) or type(exc).__name__


def _expected_root(result: PackScan) -> bytes | None:
    if result.name.startswith(BATCH_PREFIX):
        return result.first
    try:
        return Nid.parse(result.name).to_bytes()
    except InvalidFormat:
        return None


def _blocks_after_header(path: Path, result: PackScan):  # type: ignore[no-untyped-def]
    """Blocks of a pack whose header is damaged: the header has a fixed length."""

    def blocks():  # type: ignore[no-untyped-def]
        with path.open("rb") as stream:
            stream.seek(car.HEADER_LEN)
            yield from scan_blocks(stream)

    return blocks()


def rewrite_header(path: Path, root: bytes) -> None:
    """Put a valid header naming `root` back at the start of a pack (fixed length)."""
    header = car.encode_header(root)
    mode = path.stat().st_mode
    os.chmod(path, 0o644)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.pwrite(fd, header, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.chmod(path, mode & 0o777)


def reindex(store: Store, name: str, result: PackScan, *, replace: bool) -> int:
    """Record a pack's intact blocks from its scan; with `replace`, its old rows go first.
    Returns the number of blocks recorded."""
    rows = [(cid, off, length) for cid, (off, length, ok) in result.blocks.items() if ok]
    with store.write():
        row = store.one("SELECT id FROM packs WHERE name = ?", (name,))
        if row is None:
            pack_id = store.execute("INSERT INTO packs(name) VALUES (?)", (name,)).lastrowid
        else:
            pack_id = row[0]
            if replace:
                store.execute("DELETE FROM blocks WHERE pack = ?", (pack_id,))
        store.executemany(
            "INSERT OR IGNORE INTO blocks(cid, pack, offset, length) VALUES (?, ?, ?, ?)",
            [(cid, pack_id, off, length) for cid, off, length in rows],
        )
    return len(rows)


def unrecorded_packs(repo: Repository) -> list[Path]:
    """Pack files with no `packs` row: interrupted writes, or a lost index."""
    if not repo.objects.pack_dir.is_dir():
        return []
    known = set(repo.objects.pack_names())
    return sorted(p for p in repo.objects.pack_dir.glob("*.car") if p.stem not in known)


def drop_pack(store: Store, name: str) -> None:
    """Forget a pack whose file is gone (its blocks are then missing, not corrupt)."""
    with store.write():
        row = store.one("SELECT id FROM packs WHERE name = ?", (name,))
        if row is not None:
            store.execute("DELETE FROM blocks WHERE pack = ?", (row[0],))
            store.execute("DELETE FROM packs WHERE id = ?", (row[0],))


def quick_check(store: Store) -> str | None:
    """None if SQLite finds the database sound, else what it says is wrong."""
    try:
        rows = store.all("PRAGMA quick_check")
    except NitError as exc:
        return exc.message
    text = "; ".join(str(r[0]) for r in rows[:3])
    return None if text == "ok" else text


SALVAGED = {
    "refs": "name, value",
    "staged": "nid, kind, tree, path",
    "tracked": "path, nid, size, mtime_ns, ino, seen_ns",
    "files": "id, root, path, size, mtime_ns, ino",
    "filed": "cid, file, offset, length",
    # stamp records (issue 14); a store made before them has none to save
    "stamp_batches": "id, batch, network, root, commit_nid, content, leaves",
    "stamps": "batch, leaf, asset, commit_nid, proof",
}


def rebuild_store(repo: Repository) -> tuple[Path, dict[str, int]]:
    """Set a damaged `store.db` aside and make a new one: the pack index from the
    packs, and whatever rows of refs, index and references can still be read.

    Returns where the old database went (kept for whoever wants to look at it)
    and how many rows of each table were saved.
    """
    saved: dict[str, list[tuple[object, ...]]] = {}
    for table, columns in SALVAGED.items():
        try:
            saved[table] = salvage_rows(repo.db, table, columns)
        except NitError:
            saved[table] = []
    repo.close()
    aside = repo.dir / f"{DB_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    for suffix in ("", "-wal", "-shm"):
        source = repo.dir / f"{DB_NAME}{suffix}"
        if source.exists():
            os.replace(source, Path(f"{aside}{suffix}"))
    Store.create(repo.dir)
    fsync_dir(repo.dir)
    for path in sorted(repo.objects.pack_dir.glob("*.car")):
        reindex(repo.db, path.stem, scan(path.stem, path), replace=False)
    with repo.db.write():
        for table, rows in saved.items():
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                repo.db.executemany(
                    f"INSERT OR IGNORE INTO {table}({SALVAGED[table]}) VALUES ({marks})",
                    rows,
                )
    return aside, {table: len(rows) for table, rows in saved.items()}


def write_format(repo: Repository) -> None:
    atomic_write(repo.dir / "format", f"{FORMAT_VERSION}\n".encode())


def salvage_rows(store: Store, table: str, columns: str) -> list[tuple[object, ...]]:
    """Rows of `table` that can still be read (a damaged page loses only its rows)."""
    try:
        return store.all(f"SELECT {columns} FROM {table}")
    except NitError:
        pass
    rows: list[tuple[object, ...]] = []
    with contextlib.suppress(NitError, sqlite3.Error):  # up to the first damaged page
        for row in store.rows(f"SELECT {columns} FROM {table}"):
            rows.append(row)
    return rows
