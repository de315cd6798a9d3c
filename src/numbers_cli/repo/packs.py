"""Packs: every object's bytes, as CARv1 files in `objects/pack/`.

Two kinds, one format (the one `nit push` and `nit export` send anyway):
- `<root>.car`: a large file's blocks, written in one sequential pass while it
  is read (one file per 256 KiB chunk cost thousands of file creations per GiB);
  its name says the whole DAG of `<root>` is in it;
- `batch-<time>-<random>.car`: the small objects (trees, commits, single-block
  files, UnixFS nodes) one transaction wrote, appended as they come and synced
  once at COMMIT; its CAR root is its first block.

Where each block sits (CID → pack, offset, length) is in the store's `blocks`
table, written in the same transaction. A pack file is synced and renamed into
place before that COMMIT, so a crash leaves at most a pack with no `packs` row:
ignored by reads, and re-indexed by `nit fsck --repair` (a CAR describes itself,
every block carries its CID), which is also how a lost `store.db` is rebuilt.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from numbers_cli.errors import InvalidFormat, RepositoryDamaged
from numbers_cli.fsio import fsync_dir
from numbers_cli.model import car
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.unixfs import CHUNK_SIZE
from numbers_cli.repo.aligned import PAGE, AlignedWriter, open_direct
from numbers_cli.repo.store import Store, repair_hint

BATCH_PREFIX = "batch-"
WRITE_BACK = 16 << 20  # bytes written between two starts of writeback (see `_write_back`)


def write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    """`writev` until every byte of `parts` is written (regular files may write short)."""
    while parts:
        written = os.writev(fd, parts)
        while parts and written >= len(parts[0]):
            written -= len(parts[0])
            parts = parts[1:]
        if parts and written:
            parts = [memoryview(parts[0])[written:], *parts[1:]]


class PackFile:
    """A CAR being written in `tmp/`: blocks appended, the root filled in last."""

    def __init__(self, pack_dir: Path, tmp_dir: Path, *, direct: bool = False) -> None:
        """`direct`: a large file's pack, written past the page cache (`repo.aligned`)."""
        self.pack_dir = pack_dir
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self._path = tmp_dir / f"pack-{os.getpid()}-{id(self):x}.car"
        flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        self._aligned: AlignedWriter | None = None
        if direct:
            self._fd, direct = open_direct(self._path, flags, 0o644)
        else:
            self._fd = os.open(self._path, flags, 0o644)
        self._offset = car.HEADER_LEN  # the root goes first, at the end
        if direct:
            self._aligned = AlignedWriter(self._fd, self._offset, direct=True)
        else:
            os.lseek(self._fd, self._offset, os.SEEK_SET)
        self.entries: list[tuple[bytes, int, int]] = []
        self.first: tuple[bytes, bytes] | None = None
        self.blocks = 0
        self._flushed = PAGE  # where the next writeback starts (the header's page stays)

    @property
    def temp_path(self) -> Path:
        return self._path

    def __call__(self, cid: bytes, data: bytes | memoryview) -> None:
        if self.blocks == 0:
            self.first = (cid, bytes(data))  # kept in case the file is a single block
        frame = car.block_frame(cid, len(data))
        self._append([frame, data])
        start = self._offset + len(frame)
        self.entries.append((cid, start, len(data)))
        self._offset = start + len(data)
        self.blocks += 1

    def leaves(self, digests: list[bytes], data: memoryview) -> None:
        """Raw leaves of `CHUNK_SIZE` bytes (the last may be shorter), named by their
        sha256 `digests`, in one `writev` from the reader's buffer (no copy)."""
        if self.blocks == 0 and len(digests) == 1:
            self.first = (RAW_PREFIX + digests[0], bytes(data))
        parts: list[bytes | memoryview] = []
        offset = self._offset
        for k, digest in enumerate(digests):
            cid = RAW_PREFIX + digest
            block = data[k * CHUNK_SIZE : (k + 1) * CHUNK_SIZE]
            frame = car.block_frame(cid, len(block))
            parts += (frame, block)
            offset += len(frame)
            self.entries.append((cid, offset, len(block)))
            offset += len(block)
        self._append(parts)
        self._offset = offset
        self.blocks += len(digests)

    def _append(self, parts: list[bytes | memoryview]) -> None:
        if self._aligned is not None:
            self._aligned.write(parts)
        else:
            write_all(self._fd, parts)
            self._write_back()

    def _write_back(self) -> None:
        """Start writing what is written so far to the disk, without waiting for it.

        Without this the kernel keeps a large pack dirty in memory until the
        fsync of `finish`, which then waits for all of it; started every
        `WRITE_BACK` bytes, the disk works while the file is still being hashed
        and `finish` waits only for the tail. POSIX_FADV_DONTNEED starts the
        writeback of dirty pages (and drops pages already clean: the store does
        not read a pack it just wrote). The first page stays: `finish` writes
        the header into it.
        """
        if self._offset - self._flushed >= WRITE_BACK:
            with contextlib.suppress(OSError):  # only advice: `finish` syncs anyway
                os.posix_fadvise(
                    self._fd, self._flushed, self._offset - self._flushed, os.POSIX_FADV_DONTNEED
                )
            self._flushed = self._offset

    def finish(self, root: bytes, name: str) -> Path:
        """Header, fsync, read-only, rename into `pack/<name>.car`; returns that path."""
        if self._aligned is not None:
            self._aligned.finish(car.encode_header(root))
        else:
            os.pwrite(self._fd, car.encode_header(root), 0)
        os.fsync(self._fd)
        self._close()
        self.pack_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self._path, 0o444)
        target = self.pack_dir / f"{name}.car"
        os.replace(self._path, target)
        fsync_dir(self.pack_dir)
        return target

    def _close(self) -> None:
        """Close once: a second close could hit a number another thread opened since."""
        if self._aligned is not None:
            self._aligned.close()
            self._aligned = None
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._close()
        self._path.unlink(missing_ok=True)


class PackWriter(PackFile):
    """Receives a file's blocks (as the `NidBuilder` sink) and lays them down as one CAR.

    Nothing is visible in the store until `commit(root)`: then the pack is
    synced, renamed into `objects/pack/` and its blocks recorded in the store,
    in the command's transaction.
    """

    def __init__(  # type: ignore[no-untyped-def]
        self, store: Store, pack_dir: Path, tmp_dir: Path, put_small=None, *, direct: bool = False
    ) -> None:
        super().__init__(pack_dir, tmp_dir, direct=direct)
        self.store = store
        self._put_small = put_small

    def commit(self, root: Nid) -> None:
        """Make the pack visible (a single block goes to the batch instead); idempotent."""
        try:
            if self.blocks <= 1 and self.first is not None and self._put_small is not None:
                self._put_small(root, self.first[1])
                return
            if self.store.one("SELECT 1 FROM packs WHERE name = ?", (str(root),)):
                return  # this root's pack is already recorded
            self.finish(root.to_bytes(), str(root))
            record_pack(self.store, str(root), self.entries)
        finally:
            self.abort()


class BatchPack(PackFile):
    """The small objects of one transaction, appended as they come.

    Their index rows wait in memory (`pending`, which reads consult) and go to
    the store in one statement when the pack is sealed, just before COMMIT:
    one `executemany` instead of one INSERT per object.
    """

    def __init__(self, store: Store, pack_dir: Path, tmp_dir: Path) -> None:
        super().__init__(pack_dir, tmp_dir)
        self.store = store
        self.name = f"{BATCH_PREFIX}{time.time_ns():x}-{os.urandom(4).hex()}"
        self.pending: dict[bytes, tuple[int, int]] = {}
        self.done = False

    def add(self, cid: bytes, data: bytes | memoryview) -> None:
        self(cid, data)
        _, offset, length = self.entries[-1]
        self.pending.setdefault(cid, (offset, length))

    def add_many(self, blocks: list[tuple[bytes, bytes]]) -> None:
        """Append several blocks with one write (a stamp's documents, a few hundred
        bytes each: one syscall for many, not one each)."""
        if not blocks:
            return
        if self.blocks == 0:
            self.first = (blocks[0][0], bytes(blocks[0][1]))
        parts: list[bytes | memoryview] = []
        for cid, data in blocks:
            frame = car.block_frame(cid, len(data))
            parts += (frame, data)
            start = self._offset + len(frame)
            self.entries.append((cid, start, len(data)))
            self.pending.setdefault(cid, (start, len(data)))
            self._offset = start + len(data)
        for at in range(0, len(parts), 512):  # writev takes at most IOV_MAX (1024) parts
            write_all(self._fd, parts[at : at + 512])
        self.blocks += len(blocks)

    def seal(self) -> None:
        """Before COMMIT: the rows into the store, the pack in place and synced."""
        assert self.first is not None
        record_pack(self.store, self.name, self.entries)
        self.finish(self.first[0], self.name)
        self.done = True

    def discard(self) -> None:
        """After a rollback: nothing of it was recorded, and the file goes."""
        self.done = True
        self.pending.clear()
        self.abort()


def record_pack(store: Store, name: str, entries: list[tuple[bytes, int, int]]) -> None:
    """Record a pack and where its blocks are (a block already stored keeps its place)."""
    with store.write():
        cursor = store.execute("INSERT INTO packs(name) VALUES (?)", (name,))
        pack_id = cursor.lastrowid
        store.executemany(
            "INSERT OR IGNORE INTO blocks(cid, pack, offset, length) VALUES (?, ?, ?, ?)",
            [(cid, pack_id, offset, length) for cid, offset, length in entries],
        )


@dataclass(frozen=True)
class ScannedBlock:
    cid: bytes
    offset: int
    length: int
    intact: bool  # the bytes hash to the CID
    data: bytes = field(default=b"", repr=False, compare=False)


def scan_pack(path: Path) -> tuple[list[bytes], Iterator[ScannedBlock]]:
    """The header roots of a pack, and its blocks as the CAR itself frames them.

    What `nit fsck` checks and `--repair` rebuilds the index from: a CAR needs
    no index to be read, only its framing. The iterator raises InvalidFormat at
    framing it cannot read (after yielding every block before it).
    """
    stream = path.open("rb")
    try:
        roots = car.read_header_roots(stream)
    except BaseException:
        stream.close()
        raise

    def blocks() -> Iterator[ScannedBlock]:
        with stream:
            yield from scan_blocks(stream)

    return roots, blocks()


def scan_blocks(stream: BinaryIO) -> Iterator[ScannedBlock]:
    """The blocks framed from the stream's position on, each re-hashed against its CID.

    Shared by `scan_pack` and the repair of a pack whose header is damaged
    (`repo.maintenance`), which starts past the header's fixed length.
    """
    for cid, data, offset in car.iter_blocks(stream):
        try:
            intact = Nid.from_bytes(cid).verify_block(data)
        except InvalidFormat:
            intact = False
        yield ScannedBlock(cid, offset, len(data), intact, data)


class PackReader:
    """Reads blocks out of packs by offset, keeping a few pack files open."""

    MAX_OPEN = 16

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = pack_dir
        self._fds: dict[str, int] = {}
        self.pending: dict[str, Path] = {}  # batch packs not yet in place: name → temp file

    def path(self, name: str) -> Path:
        return self.pack_dir / f"{name}.car"

    def read(self, name: str, offset: int, length: int) -> bytes:
        fd = self._fds.get(name)
        if fd is None:
            path = self.pending.get(name) or self.path(name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise RepositoryDamaged(f"pack {path} is missing", hint=repair_hint()) from None
            if len(self._fds) >= self.MAX_OPEN:
                os.close(self._fds.pop(next(iter(self._fds))))
            self._fds[name] = fd
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise RepositoryDamaged(
                f"pack {self.path(name)} is truncated (a block at byte {offset} is cut)",
                hint=repair_hint(),
            )
        return data

    def forget(self, name: str) -> None:
        """Close `name` (its file moved: a batch put in place, a pack rebuilt)."""
        fd = self._fds.pop(name, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
