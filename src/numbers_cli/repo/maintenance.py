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


#: Where a new store is built before it replaces a damaged one; holds `store.db`
#: and, once that is whole, `aside` (the name the damaged one goes to).
REBUILD_DIR = "store.rebuild"


def rebuild_store(repo: Repository) -> tuple[Path, dict[str, int]]:
    """Set a damaged `store.db` aside and make a new one: the pack index from the
    packs, and whatever rows of refs, index and references can still be read.

    Returns where the old database went (kept for whoever wants to look at it)
    and how many rows of each table were saved.

    Safe to kill at any step: the new store is built whole in REBUILD_DIR while
    the damaged one stays in place (a kill there leaves a partial build, thrown
    away by the next rebuild: the rows are still in the damaged store). Only a
    whole build gets its `aside` note; from then on `finish_rebuild` completes
    the swap (damaged files aside, the new one in), so the saved rows are never
    left only in the set-aside file.
    """
    finish_rebuild(repo)
    saved: dict[str, list[tuple[object, ...]]] = {}
    for table, columns in SALVAGED.items():
        try:
            saved[table] = salvage_rows(repo.db, table, columns)
        except NitError:
            saved[table] = []
    repo.close()
    build = repo.dir / REBUILD_DIR
    _remove_build(build)
    build.mkdir()
    Store.create(build)
    fresh = Store(build)
    try:
        for path in sorted(repo.objects.pack_dir.glob("*.car")):
            reindex(fresh, path.stem, scan(path.stem, path), replace=False)
        with fresh.write():
            for table, rows in saved.items():
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    fresh.executemany(
                        f"INSERT OR IGNORE INTO {table}({SALVAGED[table]}) VALUES ({marks})",
                        rows,
                    )
        fresh.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in store.db itself
    finally:
        fresh.close()
    for suffix in ("-wal", "-shm"):  # empty after the checkpoint and close
        Path(f"{build / DB_NAME}{suffix}").unlink(missing_ok=True)
    _fsync_file(build / DB_NAME)
    fsync_dir(build)
    aside = _aside_name(repo.dir)
    atomic_write(build / "aside", aside.name.encode())  # the build is whole
    finish_rebuild(repo)
    return aside, {table: len(rows) for table, rows in saved.items()}


def rebuild_pending(repo: Repository) -> str | None:
    """What `nit fsck` says of a rebuild killed after its new store was whole."""
    if (repo.dir / REBUILD_DIR / "aside").is_file():
        return f"a rebuild of {repo.db.path} was interrupted (`nit fsck --repair` finishes it)"
    return None


def finish_rebuild(repo: Repository) -> Path | None:
    """Complete a rebuild that was killed after its new store was whole: the
    damaged files go aside (those still in place), the new store takes their
    place. Returns where the damaged store went, or None when nothing was pending;
    a build killed before it was whole is only thrown away."""
    build = repo.dir / REBUILD_DIR
    note = build / "aside"
    if not note.is_file():
        _remove_build(build)
        return None
    aside = repo.dir / note.read_text(encoding="utf-8").strip()
    repo.close()
    if (build / DB_NAME).is_file():
        # store.db first: a kill after it leaves no store.db, and the -wal/-shm
        # still here are the damaged one's (never read as the new store's).
        for suffix in ("", "-wal", "-shm"):
            source = repo.dir / f"{DB_NAME}{suffix}"
            if source.exists():
                os.replace(source, Path(f"{aside}{suffix}"))
        fsync_dir(repo.dir)
        for suffix in ("-wal", "-shm"):  # a damaged store's, if its db went first
            Path(f"{repo.dir / DB_NAME}{suffix}").unlink(missing_ok=True)
        os.replace(build / DB_NAME, repo.dir / DB_NAME)
        fsync_dir(repo.dir)
    _remove_build(build)
    return aside


def _aside_name(repo_dir: Path) -> Path:
    """A name for the damaged store that no earlier one has (two rebuilds a second apart)."""
    stem = repo_dir / f"{DB_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    aside, n = stem, 1
    while any(Path(f"{aside}{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        n += 1
        aside = Path(f"{stem}-{n}")
    return aside


def _remove_build(build: Path) -> None:
    if build.is_dir():
        for child in build.iterdir():
            child.unlink()
        build.rmdir()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
