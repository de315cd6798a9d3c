"""Where `nit import` puts verified blocks until the CAR has been read whole.

`ops.car_import` reads and verifies; this decides where each new block goes,
and keeps every decision out of the store's lookups until the import commits,
so a bad or truncated CAR leaves the repository as it was. Blocks of
multi-block DAGs go into one new pack (one loose file per 256 KiB chunk would
be thousands of files per GiB); anything else into the transaction's batch
pack; a raw block whose parent has not been seen yet waits in a spool. The
pack is named after the first DAG root it holds whole, so a recorded pack
`<nid>` keeps meaning "the DAG of nid is complete here".
"""

from __future__ import annotations

import os

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import DAG_PB, Nid
from numbers_cli.model.unixfs import dag_pb_links
from numbers_cli.repo.objects import ObjectStore, PackWriter

__all__ = ["ImportStaging"]


class ImportStaging:
    """Where verified blocks wait, in the store's tmp/, until the CAR has been read whole."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.pack: PackWriter = store.pack_writer()
        self._spool_path = store.tmp_dir / f"import-{os.getpid()}-{id(self):x}.spool"
        self._spool = self._spool_path.open("w+b")
        self._spooled: list[tuple[bytes, int, int]] = []  # (cid, offset, length)
        self._spool_end = 0
        self._seen: set[bytes] = set()  # staged in this import
        self._linked: set[bytes] = set()  # named by a dag-pb link
        self._children: dict[bytes, list[bytes]] = {}  # links of the CAR's dag-pb nodes
        self._roots: list[bytes] = []  # packed dag-pb nodes, in order: DAG root candidates
        self._packed: list[bytes] = []  # CIDs in the pack, in order (its index holds as many)
        self._first_data = b""
        self.new_blocks = 0

    def add(self, cid: bytes, nid: Nid, data: bytes) -> None:
        """Stage one verified block: in the pack, or spooled until its place is known."""
        links: list[bytes] = []
        if cid[1] == DAG_PB:
            try:
                links = dag_pb_links(data)
            except InvalidFormat:
                raise InvalidFormat(f"block {nid} is not valid dag-pb") from None
            self._linked.update(links)
            self._children[cid] = links
        if cid in self._seen or self.store.has(nid):
            return
        self._seen.add(cid)
        self.new_blocks += 1
        if links:
            self._roots.append(cid)
            self._to_pack(cid, data)
        elif cid in self._linked:
            self._to_pack(cid, data)
        else:  # a single-block object, or a leaf whose parent comes later
            self._spool.write(data)
            self._spooled.append((cid, self._spool_end, len(data)))
            self._spool_end += len(data)

    def _to_pack(self, cid: bytes, data: bytes) -> None:
        if not self._packed:
            self._first_data = data
        self._packed.append(cid)
        self.pack(cid, data)

    def settle(self) -> tuple[int, str | None]:
        """Pass 2, after the CAR is known whole: spooled blocks to the pack or loose, then
        the pack made visible. Returns (blocks stored, pack name or None)."""
        self._spool.flush()
        self._spool.seek(0)
        for cid, offset, length in self._spooled:
            self._spool.seek(offset)
            data = self._spool.read(length)
            if cid in self._linked:  # a leaf that arrived before its parent
                self._to_pack(cid, data)
            else:
                self.store.put_block(Nid.from_bytes(cid), data)
        if self.pack.blocks == 0:
            return self.new_blocks, None
        if self.pack.blocks == 1:
            # PackWriter.commit would put() it, re-chunking a large foreign leaf: store it as is.
            self.store.put_block(Nid.from_bytes(self._packed[0]), self._first_data)
            return self.new_blocks, None
        name = Nid.from_bytes(self._pack_name())
        self.pack.commit(name)
        return self.new_blocks, f"{name}.car"

    def _pack_name(self) -> bytes:
        """The first DAG root in the pack whose whole DAG is now here, else another block.

        a recorded pack `<nid>` then still means what it means after `nit add`: the
        DAG of `nid` is complete in this repository (remote fetches rely on
        it), even when a CAR carried only part of a DAG.
        """
        tops = [c for c in self._roots if c not in self._linked]
        whole = next((c for c in tops if self._complete(c)), None)
        if whole is not None:
            return whole
        # Part of a DAG: named after a linked block, never after an incomplete root.
        # (Only a CAR of bare roots whose children are nowhere has no such block.)
        return next((c for c in self._packed if c in self._linked), self._packed[0])

    def _complete(self, root: bytes) -> bool:
        """Every block under `root` staged by this import or already stored."""
        stack, visited = [root], set()
        while stack:
            cid = stack.pop()
            if cid in visited:
                continue
            visited.add(cid)
            if cid in self._children:
                stack.extend(self._children[cid])
            elif cid not in self._seen:
                nid = Nid.from_bytes(cid)
                if not self.store.has(nid):
                    return False
                if cid[1] == DAG_PB:
                    stack.extend(dag_pb_links(self.store.get(nid)))
        return True

    def close(self) -> None:
        """Drop every temp file; a committed pack has already been renamed away."""
        self.pack.abort()
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)
