"""The object store of `.numbers/objects/`: every block nit knows, by CID.

Small objects (trees, commits, single-block files) are loose files named by
their CID. A large file's blocks go into one pack per file, written in a single
sequential pass as a CARv1 (`pack/<root>.car`, the format `nit push` sends
anyway) with a binary index (`pack/<root>.idx`: 36-byte CID, offset, length per
block), because one loose file per 256 KiB chunk costs thousands of file
creations per GiB. Every read is verified against the CID it was asked for.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.errors import IntegrityError, NotFound
from numbers_cli.fsio import atomic_write, fsync_dir
from numbers_cli.model import car
from numbers_cli.model.nid import DAG_PB, Nid
from numbers_cli.model.unixfs import CHUNK_SIZE, NidBuilder, dag_pb_links

_IDX_ENTRY = struct.Struct(">36sQI")


def _shard(cid: str) -> str:
    """Kubo's flatfs rule (next-to-last two characters): CID prefixes are all alike."""
    return cid[-3:-1]


@dataclass(frozen=True)
class PackEntry:
    pack: Path
    offset: int
    length: int


class ObjectStore:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.pack_dir = root / "pack"
        self.tmp_dir = tmp_dir
        self._index: dict[bytes, PackEntry] | None = None

    # --- loose objects ---------------------------------------------------
    def loose_path(self, cid: str) -> Path:
        return self.root / _shard(cid) / cid

    def put(self, data: bytes, cid: Nid | None = None) -> Nid:
        """Store an in-memory object (tree, commit, block); returns its Nid. Idempotent."""
        if len(data) > CHUNK_SIZE:  # several blocks: same layout as any large file
            writer = self.pack_writer()
            builder = NidBuilder(writer)
            for start in range(0, len(data), CHUNK_SIZE):
                builder.update(data[start : start + CHUNK_SIZE])
            nid = builder.finish()
            writer.commit(nid)
            return nid
        nid = cid or Nid.of_bytes(data)
        path = self.loose_path(nid)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data, mode=0o444)
        return nid

    def put_block(self, cid: Nid, data: bytes) -> bool:
        """Store one block loose exactly as given; True if it was new.

        The caller has verified `data` against `cid` (an import checks every
        block as it streams). Unlike `put`, it never re-chunks: a raw block that
        another tool made larger than our chunk size must keep its own CID.
        """
        if self.has(cid):
            return False
        path = self.loose_path(cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, mode=0o444)
        return True

    # --- packs --------------------------------------------------------------
    def pack_writer(self) -> PackWriter:
        return PackWriter(self)

    def _pack_index(self) -> dict[bytes, PackEntry]:
        if self._index is None:
            index: dict[bytes, PackEntry] = {}
            if self.pack_dir.is_dir():
                for idx in sorted(self.pack_dir.glob("*.idx")):
                    pack = idx.with_suffix(".car")
                    raw = idx.read_bytes()
                    for cid, off, length in _IDX_ENTRY.iter_unpack(raw):
                        index.setdefault(cid, PackEntry(pack, off, length))
            self._index = index
        return self._index

    def _forget_index(self) -> None:
        self._index = None

    def packs(self) -> list[Path]:
        return sorted(self.pack_dir.glob("*.car")) if self.pack_dir.is_dir() else []

    # --- reading ----------------------------------------------------------------
    def has(self, cid: Nid) -> bool:
        return self.loose_path(cid).exists() or cid.to_bytes() in self._pack_index()

    def get(self, cid: Nid) -> bytes:
        """The block named `cid`, verified; IntegrityError if the bytes were altered."""
        data = self.get_unverified(cid)
        if not cid.verify_block(data):
            raise IntegrityError(f"object {cid} is corrupt: its bytes no longer hash to its CID")
        return data

    def get_unverified(self, cid: Nid) -> bytes:
        """Stored bytes as they are: for `verify` and `fsck`, which report *what* changed."""
        path = self.loose_path(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            entry = self._pack_index().get(cid.to_bytes())
            if entry is None:
                raise NotFound(f"object {cid} is not in this repository") from None
            with entry.pack.open("rb") as f:
                f.seek(entry.offset)
                data = f.read(entry.length)
        return data

    def iter_dag(self, root: Nid, seen: set[bytes] | None = None) -> Iterator[tuple[Nid, bytes]]:
        """Every block of the DAG under `root`, each verified, root first.

        Depth-first with links in order: the block order of `ipfs dag export`,
        which lets a reader check each block against a link it already holds.
        A DAG may span packs and loose objects (an import stores only the blocks
        that were new), so walk it here rather than reading one pack. Memory is
        bounded by the DAG's depth times its links per node. Blocks whose binary
        CID is in `seen` are skipped with their sub-DAG; yielded ones are added.
        """
        seen = set() if seen is None else seen
        stack: list[Iterator[bytes]] = [iter([root.to_bytes()])]
        while stack:
            cid = next(stack[-1], None)
            if cid is None:
                stack.pop()
                continue
            if cid in seen:
                continue
            nid = Nid.from_bytes(cid)
            data = self.get_unverified(nid)
            if not _hashes_to(cid, nid, data):
                raise IntegrityError(
                    f"object {nid} is corrupt: its bytes no longer hash to its CID"
                )
            seen.add(cid)
            yield nid, data
            if cid[1] == DAG_PB:  # CIDv1 codec byte; our CIDs and dag-pb's code fit in one
                stack.append(iter(dag_pb_links(data)))

    def remove_stray_temp_files(self) -> int:
        """Delete temp files of interrupted writes; only safe while holding the write lock."""
        removed = 0
        if self.root.is_dir():
            for stray in self.root.glob("*/.*.tmp"):
                stray.unlink(missing_ok=True)
                removed += 1
        return removed

    def iter_loose(self) -> Iterator[tuple[Nid, Path]]:
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if shard.name == "pack" or not shard.is_dir():
                continue
            for obj in sorted(shard.iterdir()):
                if not obj.name.startswith("."):
                    yield Nid(obj.name), obj


def _hashes_to(cid: bytes, nid: Nid, data: bytes) -> bool:
    """Block check without building a CID object for the common sha2-256 CIDs (hot in export)."""
    if len(cid) == 36 and cid[2:4] == b"\x12\x20":
        return cid[4:] == hashlib.sha256(data).digest()
    return nid.verify_block(data)


class PackWriter:
    """Receives a file's blocks in order and lays them down as one CAR.

    Used as the `NidBuilder` sink. Nothing is visible in the store until
    `commit(root)` renames the finished pack into place, so a crash leaves only a
    temp file that the next writer clears.
    """

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd_path = store.tmp_dir / f"pack-{os.getpid()}-{id(self):x}.car"
        self._path = fd_path
        self._file = fd_path.open("wb")
        self._file.write(bytes(car.HEADER_LEN))  # the root goes here at the end
        self._entries = bytearray()
        self._offset = car.HEADER_LEN
        self._first: tuple[bytes, bytes] | None = None
        self.blocks = 0

    def __call__(self, cid: bytes, data: bytes | memoryview) -> None:
        if self.blocks == 0:
            self._first = (cid, bytes(data))  # kept in case the file is a single block
        frame = car.block_frame(cid, len(data))
        self._file.write(frame)
        self._file.write(data)
        start = self._offset + len(frame)
        self._entries += _IDX_ENTRY.pack(cid, start, len(data))
        self._offset = start + len(data)
        self.blocks += 1

    def commit(self, root: Nid) -> None:
        """Make the pack visible (or store a single block loose); idempotent per root."""
        try:
            if self.blocks <= 1 and self._first is not None:
                self.store.put(self._first[1], root)
                return
            pack = self.store.pack_dir / f"{root}.car"
            if pack.with_suffix(".idx").exists():  # the index is the commit point
                return
            self._file.seek(0)
            self._file.write(car.encode_header(root.to_bytes()))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self.store.pack_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self._path, 0o444)
            os.replace(self._path, pack)
            fsync_dir(self.store.pack_dir)
            atomic_write(pack.with_suffix(".idx"), bytes(self._entries), mode=0o444)
            self.store._forget_index()
        finally:
            self.abort()

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)
