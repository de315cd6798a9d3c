"""The object store: every block nit knows, by CID, wherever its bytes live.

Two places, found through the store's index:
- packs (`objects/pack/*.car`, indexed by `blocks`): a large file's blocks in a
  pack of its own; small objects (trees, commits, single-block files, UnixFS
  nodes) in the batch pack of the transaction that wrote them;
- files added by reference (`files`/`filed`): bytes left in the working tree.

Every read through `get` and `iter_dag` is verified against the CID it was
asked for; a mismatch names where the bytes were (a pack, a referenced file)
and what to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from numbers_cli.errors import IntegrityError, NotFound
from numbers_cli.model.nid import DAG_PB, Nid, raw_cid_bytes
from numbers_cli.model.unixfs import CHUNK_SIZE, NidBuilder, dag_pb_links
from numbers_cli.repo.filestore import FileReader, ReferenceWriter, changed
from numbers_cli.repo.packs import BatchPack, PackReader, PackWriter
from numbers_cli.repo.store import Store, repair_hint

__all__ = ["ObjectStore", "PackWriter", "ReferenceWriter"]

_HAS = "SELECT 1 FROM blocks WHERE cid = ?1 UNION ALL SELECT 1 FROM filed WHERE cid = ?1 LIMIT 1"


class ObjectStore:
    def __init__(
        self, store: Store, root: Path, tmp_dir: Path, workdir: Path | None = None
    ) -> None:
        self.store = store
        self.root = root
        self.pack_dir = root / "pack"
        self.tmp_dir = tmp_dir
        self._packs = PackReader(self.pack_dir)
        self._files = FileReader(workdir if workdir is not None else root.parent.parent)
        self._batch: BatchPack | None = None

    # --- writing ------------------------------------------------------------------
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
        key = cid.to_bytes() if cid is not None else raw_cid_bytes(data)
        self.add_block(key, data)
        return cid if cid is not None else Nid.from_bytes(key)

    def put_block(self, cid: Nid, data: bytes) -> bool:
        """Store one block exactly as given; True if it was new.

        The caller has verified `data` against `cid` (an import checks every
        block as it streams). Unlike `put`, it never re-chunks: a raw block that
        another tool made larger than our chunk size must keep its own CID.
        """
        return self.add_block(cid.to_bytes(), data)

    def add_block(self, cid: bytes, data: bytes | memoryview) -> bool:
        """Append one block to this transaction's batch pack, unless it is stored."""
        with self.store.write():
            if self._pending(cid) is not None or self.store.one(_HAS, (cid,)) is not None:
                return False
            self._batch_pack().add(cid, data)
        return True

    def add_blocks(self, blocks: list[tuple[bytes, bytes]]) -> int:
        """`add_block` for many small blocks at once: one lookup of which are
        stored and one write for the new ones; returns how many were new."""
        with self.store.write():
            stored: set[bytes] = set()
            keys = [cid for cid, _ in blocks]
            for at in range(0, len(keys), 400):
                chunk = keys[at : at + 400]
                marks = ", ".join("?" * len(chunk))
                for table in ("blocks", "filed"):
                    stored.update(
                        bytes(row[0])
                        for row in self.store.all(
                            f"SELECT cid FROM {table} WHERE cid IN ({marks})", chunk
                        )
                    )
            new: list[tuple[bytes, bytes]] = []
            for cid, data in blocks:
                if cid not in stored and self._pending(cid) is None:
                    stored.add(cid)
                    new.append((cid, data))
            if new:
                self._batch_pack().add_many(new)
        return len(new)

    def _pending(self, cid: bytes) -> tuple[int, int] | None:
        """Where a block this transaction wrote sits in its (not yet sealed) batch."""
        batch = self._batch
        if batch is None or batch.done:
            return None
        return batch.pending.get(cid)

    def _batch_pack(self) -> BatchPack:
        if self._batch is None or self._batch.done:
            batch = BatchPack(self.store, self.pack_dir, self.tmp_dir)
            self._packs.pending[batch.name] = batch.temp_path

            def seal() -> None:
                batch.seal()
                self._packs.pending.pop(batch.name, None)

            def discard() -> None:
                batch.discard()
                self._packs.pending.pop(batch.name, None)
                self._packs.forget(batch.name)

            self.store.on_commit(seal, discard)
            self._batch = batch
        return self._batch

    def replace(self, cid: Nid, data: bytes) -> None:
        """Store verified bytes for a block whose stored copy is damaged (`fsck --repair`)."""
        if not cid.verify_block(data):
            raise IntegrityError(f"refusing to store bytes that do not hash to {cid}")
        with self.store.write():
            self.store.execute("DELETE FROM blocks WHERE cid = ?", (cid.to_bytes(),))
            if self._pending(cid.to_bytes()) is None:
                self._batch_pack().add(cid.to_bytes(), data)

    def pack_writer(self, *, direct: bool = False) -> PackWriter:
        """A pack for one file's blocks; `direct` for a large one (`repo.aligned`)."""
        return PackWriter(self.store, self.pack_dir, self.tmp_dir, self._put_single, direct=direct)

    def _put_single(self, root: Nid, data: bytes) -> None:
        self.add_block(root.to_bytes(), data)

    def reference_writer(self, rel_path: bytes) -> ReferenceWriter:
        return ReferenceWriter(self.store, rel_path, self.add_block)

    # --- packs --------------------------------------------------------------------
    def packs(self) -> list[Path]:
        """Recorded packs (an unrecorded file in pack/ is an interrupted write)."""
        return [self._packs.path(name) for name in self.pack_names()]

    def pack_names(self) -> list[str]:
        return [str(name) for (name,) in self.store.all("SELECT name FROM packs ORDER BY id")]

    def has_pack(self, cid: Nid) -> bool:
        """A pack named `cid` is recorded: the whole DAG of `cid` is here."""
        return self.store.one("SELECT 1 FROM packs WHERE name = ?", (str(cid),)) is not None

    def forget_pack(self, name: str) -> None:
        self._packs.forget(name)

    # --- reading ------------------------------------------------------------------
    def has(self, cid: Nid) -> bool:
        key = cid.to_bytes()
        return self._pending(key) is not None or self.store.one(_HAS, (key,)) is not None

    def is_referenced(self, cid: Nid) -> bool:
        """`cid` is the root of a file added by reference."""
        return self.store.one("SELECT 1 FROM files WHERE root = ?", (str(cid),)) is not None

    def get(self, cid: Nid) -> bytes:
        """The block named `cid`, verified; IntegrityError if the bytes were altered."""
        data, where = self._locate(cid.to_bytes(), cid)
        if not cid.verify_block(data):
            raise self._damaged(cid, where)
        return data

    def get_packed(self, cids: list[Nid]) -> dict[Nid, bytes]:
        """The blocks of `cids` that are in packs, verified, a few hundred per query (a
        chain scan reads thousands of trees: one lookup each cost more than the read).
        A CID not found this way (not yet sealed, added by reference, missing, altered)
        is left out: `get` says why."""
        found: dict[Nid, bytes] = {}
        for at in range(0, len(cids), 500):
            keys = {cid.to_bytes(): cid for cid in cids[at : at + 500]}
            marks = ", ".join("?" * len(keys))
            for key, name, offset, length in self.store.all(
                "SELECT b.cid, p.name, b.offset, b.length FROM blocks b "
                f"JOIN packs p ON p.id = b.pack WHERE b.cid IN ({marks})",
                list(keys),
            ):
                cid = keys[bytes(key)]
                data = self._packs.read(name, offset, length)
                if cid.verify_block(data):
                    found[cid] = data
        return found

    def get_unverified(self, cid: Nid) -> bytes:
        """Stored bytes as they are: for `verify` and `fsck`, which report *what* changed."""
        return self._locate(cid.to_bytes(), cid)[0]

    def _locate(self, key: bytes, cid: Nid) -> tuple[bytes, tuple[str, object]]:
        pending = self._pending(key)
        if pending is not None and self._batch is not None:
            name = self._batch.name
            return self._packs.read(name, pending[0], pending[1]), ("pack", name)
        row = self.store.one(
            "SELECT p.name, b.offset, b.length FROM blocks b JOIN packs p ON p.id = b.pack "
            "WHERE b.cid = ?",
            (key,),
        )
        if row is not None:
            return self._packs.read(row[0], row[1], row[2]), ("pack", row[0])
        row = self.store.one(
            "SELECT f.path, k.offset, k.length FROM filed k JOIN files f ON f.id = k.file "
            "WHERE k.cid = ?",
            (key,),
        )
        if row is not None:
            data = self._files.read(bytes(row[0]), row[1], row[2])
            return data, ("file", bytes(row[0]))
        raise NotFound(
            f"object {cid} is not in this repository",
            hint="if it should be, `nit fsck` checks the store",
        )

    def _damaged(self, cid: Nid, where: tuple[str, object]) -> Exception:
        kind, detail = where
        if kind == "file":
            assert isinstance(detail, bytes)
            return changed(self._files.path(detail), self._files.workdir, cid)
        pack = str(detail)
        row = self.store.one(
            "SELECT b.offset FROM blocks b JOIN packs p ON p.id = b.pack WHERE b.cid = ?",
            (cid.to_bytes(),),
        )
        key = cid.to_bytes()
        if row is not None and row[0] >= len(key):
            try:  # a CAR frame carries the block's CID just before its bytes
                framed = self._packs.read(pack, row[0] - len(key), len(key))
            except IntegrityError:
                framed = b""
            if framed != key:
                return IntegrityError(
                    f"the index entry of object {cid} in {self.store.path} is damaged: "
                    f"it points into {self._packs.path(pack)} where that object is not",
                    hint=repair_hint(),
                )
        return IntegrityError(
            f"object {cid} in {self._packs.path(pack)} is corrupt: "
            "its bytes no longer hash to its CID",
            hint=repair_hint(),
        )

    def iter_dag(self, root: Nid, seen: set[bytes] | None = None) -> Iterator[tuple[Nid, bytes]]:
        """Every block of the DAG under `root`, each verified, root first.

        Depth-first with links in order: the block order of `ipfs dag export`,
        which lets a reader check each block against a link it already holds.
        A DAG may span packs and referenced files (an import stores only the
        blocks that were new), so walk it here rather than reading one pack.
        Memory is bounded by the DAG's depth times its links per node. Blocks
        whose binary CID is in `seen` are skipped with their sub-DAG; yielded
        ones are added.
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
            data, where = self._locate(cid, nid)
            if not _hashes_to(cid, nid, data):
                raise self._damaged(nid, where)
            seen.add(cid)
            yield nid, data
            if cid[1] == DAG_PB:  # CIDv1 codec byte; our CIDs and dag-pb's code fit in one
                stack.append(iter(dag_pb_links(data)))

    def count(self) -> int:
        row = self.store.one("SELECT count(*) FROM blocks")
        return int(row[0]) if row else 0

    def remove_stray_temp_files(self) -> int:
        """Delete temp files of interrupted writes; only safe while holding the write lock."""
        removed = 0
        for folder in (self.tmp_dir, self.pack_dir):
            if not folder.is_dir():
                continue
            for stray in folder.iterdir():
                if (folder == self.tmp_dir or stray.name.endswith(".tmp")) and stray.is_file():
                    stray.unlink(missing_ok=True)
                    removed += 1
        return removed

    def close(self) -> None:
        self._packs.close()
        self._files.close()


def _hashes_to(cid: bytes, nid: Nid, data: bytes) -> bool:
    """Block check without parsing the CID for the common sha2-256 CIDs (hot in export)."""
    if len(cid) == 36 and cid[2:4] == b"\x12\x20":
        return cid[4:] == hashlib.sha256(data).digest()
    return nid.verify_block(data)
