"""Damage a repository the way a bad disk or an attacker would, from outside nit.

Objects live in CAR packs (`.numbers/objects/pack/*.car`), indexed in
`.numbers/store.db` (SQLite). These helpers edit those files directly: flip
bytes of a block where it sits in its pack (bit rot), replace a block's bytes
with other bytes of another length (a new pack the index is pointed at, as
someone rewriting the store would), drop index rows, edit refs. They use
`sqlite3` and file writes, never nit's own writers, so nit's checks are tested
against damage they did not make.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

from numbers_cli.model import car
from numbers_cli.model.nid import Nid


def db_path(workdir: Path) -> Path:
    return workdir / ".numbers" / "store.db"


def connect(workdir: Path) -> sqlite3.Connection:
    return sqlite3.connect(db_path(workdir), isolation_level=None)


def locate(workdir: Path, cid: str) -> tuple[Path, int, int]:
    """(pack file, offset, length) of a stored block."""
    with closing(connect(workdir)) as db:
        row = db.execute(
            "SELECT p.name, b.offset, b.length FROM blocks b JOIN packs p ON p.id = b.pack "
            "WHERE b.cid = ?",
            (Nid(cid).to_bytes(),),
        ).fetchone()
    assert row is not None, f"{cid} is not in a pack"
    return workdir / ".numbers" / "objects" / "pack" / f"{row[0]}.car", row[1], row[2]


def writable(path: Path) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def read_object(workdir: Path, cid: str) -> bytes:
    path, offset, length = locate(workdir, cid)
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(length)


def flip_in_file(path: Path, offset: int, mask: int = 0x01) -> None:
    writable(path)
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ mask]))


def flip_object_byte(workdir: Path, cid: str, at: int, mask: int = 0x01) -> None:
    """Bit rot inside a stored block, where it sits in its pack."""
    path, offset, length = locate(workdir, cid)
    assert 0 <= at < length
    flip_in_file(path, offset + at, mask)


def write_object(workdir: Path, cid: str, data: bytes) -> None:
    """The stored bytes of `cid` become `data` (in place if the length allows)."""
    path, offset, length = locate(workdir, cid)
    if len(data) == length:
        writable(path)
        with path.open("r+b") as f:
            f.seek(offset)
            f.write(data)
        return
    key = Nid(cid).to_bytes()
    name = f"tampered-{os.urandom(4).hex()}"
    target = path.parent / f"{name}.car"
    frame = car.block_frame(key, len(data))
    target.write_bytes(car.encode_header(key) + frame + data)
    with closing(connect(workdir)) as db:
        pack = db.execute("INSERT INTO packs(name) VALUES (?)", (name,)).lastrowid
        db.execute(
            "UPDATE blocks SET pack = ?, offset = ?, length = ? WHERE cid = ?",
            (pack, car.HEADER_LEN + len(frame), len(data), key),
        )


def delete_object(workdir: Path, cid: str) -> None:
    """The block's index row is gone (the object is missing from the store)."""
    with closing(connect(workdir)) as db:
        db.execute("DELETE FROM blocks WHERE cid = ?", (Nid(cid).to_bytes(),))


def get_ref(workdir: Path, name: str) -> str | None:
    with closing(connect(workdir)) as db:
        row = db.execute("SELECT value FROM refs WHERE name = ?", (name,)).fetchone()
    return None if row is None else row[0]


def set_ref(workdir: Path, name: str, value: str | None) -> None:
    with closing(connect(workdir)) as db:
        if value is None:
            db.execute("DELETE FROM refs WHERE name = ?", (name,))
        else:
            db.execute("INSERT OR REPLACE INTO refs(name, value) VALUES (?, ?)", (name, value))


def sql(workdir: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with closing(connect(workdir)) as db:
        return db.execute(statement, params).fetchall()


def pack_files(workdir: Path) -> list[Path]:
    return sorted((workdir / ".numbers" / "objects" / "pack").glob("*.car"))


def snapshot(workdir: Path) -> dict[str, object]:
    """Everything `.numbers/` holds, to prove a refused command changed nothing.

    Files are compared byte for byte, except SQLite's: the database by its
    content (a dump of every table), since a mere reader may checkpoint the
    write-ahead log into it, and the log and shared-memory files not at all.
    The lock file, which any writer creates, is left out.
    """
    base = workdir / ".numbers"
    skip = {"lock", "store.db", "store.db-wal", "store.db-shm"}
    files: dict[str, object] = {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.name not in skip
    }
    with closing(sqlite3.connect(f"file:{db_path(workdir)}?mode=ro", uri=True)) as db:
        files["store.db"] = list(db.iterdump())
    return files
