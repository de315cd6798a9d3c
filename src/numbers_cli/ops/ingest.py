"""Read a file once: its Nid, its sha256 and (optionally) its blocks into the store.

Where the time goes, and how it is kept at one pass:
- The file is read with `readinto` into a small ring of reused 4 MiB buffers
  (fresh 256 KiB objects per chunk cost 90,000 page faults per GiB), each
  buffer holding 16 chunks, so the work is handed between threads per 4 MiB,
  not per chunk.
- hashlib releases the GIL on large buffers, and so do reads and writes, so
  helper threads (per process, started by the first file larger than a
  buffer; never a pool per file) do the hashing and the writing while this
  thread reads: for `nit add`, the chunk hashes, the whole-file sha256
  (`assetSha256`) and the pack writes each on a thread of its own, the kernel
  sharing the two cores between them (see `_Ingest`); for `nit hash`, every
  other buffer's chunk hashes.
- A file that fits one buffer is done on the calling thread alone, and a
  single-chunk file is one sha256 (its leaf digest is its sha256) and one row.
- The file's size, mtime and inode are taken before and after reading: a file
  that changed meanwhile is read again once, then refused, so nit never
  records a state of a file that never existed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat as stat_mod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from numbers_cli.errors import NitError, NotFound
from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.unixfs import CHUNK_SIZE, NidBuilder
from numbers_cli.ops.ingest_threads import (
    BUFFER,
    RESOURCES,
    RING,
    add_leaves,
    chunk_digests,
    thread_count,
)

if TYPE_CHECKING:  # `nit hash` needs no store, and small files no thread: not imported
    from concurrent.futures import Future

    from numbers_cli.repo.objects import ObjectStore, PackWriter, ReferenceWriter

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Ingested:
    nid: Nid
    sha256: str
    size: int
    mtime_ns: int = 0
    ino: int = 0


def _read_full(stream: BinaryIO, view: memoryview) -> int:
    """Fill `view` (short reads of pipes are topped up); returns the bytes read."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb", buffering=0)
    except FileNotFoundError:
        raise NotFound(f"{quote_path(str(path))}: no such file") from None
    except IsADirectoryError:
        raise NitError(f"{quote_path(str(path))} is a directory") from None
    except OSError as exc:
        raise NitError(f"cannot read {quote_path(str(path))}: {exc.strerror}") from None


# --- Nid only: `nit hash`, `nit status` ----------------------------------------------


def nid_of_file(path: Path, advance: Advance | None = None, *, threads: int | None = None) -> Nid:
    """Nid only (`nit hash`): nothing written. With two threads the chunks of
    alternate buffers are hashed beside each other (a Nid is many independent
    chunk hashes), so it runs faster than one sha256 pass at the same CPU."""
    with _open(path) as stream:
        return nid_of_stream(stream, advance, threads=threads)


def nid_of_stream(
    stream: BinaryIO, advance: Advance | None = None, *, threads: int | None = None
) -> Nid:
    """The Nid of everything `stream` yields (a file, or standard input)."""
    builder = NidBuilder()
    two = thread_count(threads) == 2
    ring = RESOURCES.ring()
    pending: deque[tuple[Future[list[bytes]] | list[bytes], int]] = deque()

    def settle() -> None:
        job, n = pending.popleft()
        digests = job if isinstance(job, list) else job.result()
        add_leaves(builder, digests, n)
        if advance:
            advance(n)

    i = 0
    while True:
        view = memoryview(ring[i % RING])
        n = _read_full(stream, view)
        part = view[:n]
        if two and n == BUFFER and i % 2 == 0:
            pending.append((RESOURCES.pool().submit(chunk_digests, part), n))
        else:
            pending.append((chunk_digests(part), n))
        while len(pending) > RING - 2:
            settle()
        if n < BUFFER:
            break
        i += 1
    while pending:
        settle()
    return builder.finish()


# --- Nid + sha256 (+ blocks): `nit add`, `nit verify` --------------------------------


@dataclass
class _Buffer:
    """One ring buffer of a large file, out with the helpers."""

    index: int
    size: int
    chunks: Future[tuple[list[bytes], Future[None] | None]]
    whole: Future[None]


class FileChanged(NitError):
    """The file's size or mtime moved while it was read."""


def ingest(
    path: Path,
    store: ObjectStore | None,
    advance: Advance | None = None,
    *,
    reference: bytes | None = None,
    expect: os.stat_result | None = None,
) -> Ingested:
    """Nid + sha256 in one pass; with a store, the blocks land in it.

    With `reference` (the repository-relative path as bytes) the bytes are not
    copied: the store records where each leaf is in the file (`--no-copy`).
    `expect` is a stat taken earlier (before reading the metadata): a file that
    no longer matches it, or changes while read, is read once more, then refused.
    """
    with _open(path) as stream:
        for attempt in (1, 2):
            try:
                return _ingest_once(stream, store, advance, reference, expect)
            except FileChanged:
                if attempt == 2:
                    raise FileChanged(
                        f"{quote_path(str(path))} changed while it was being added (twice)",
                        hint="add it again once nothing is writing to it",
                    ) from None
                stream.seek(0)
                expect = None
    raise AssertionError("unreachable")  # pragma: no cover


def _stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _ingest_once(
    stream: BinaryIO,
    store: ObjectStore | None,
    advance: Advance | None,
    reference: bytes | None,
    expect: os.stat_result | None,
) -> Ingested:
    before = os.fstat(stream.fileno())
    if not stat_mod.S_ISREG(before.st_mode):
        expect = None  # a pipe (stdin): nothing to compare
    elif expect is not None and _stat_key(expect) != _stat_key(before):
        raise FileChanged("changed between stat and open")
    job = _Ingest(store, reference)
    try:
        total = job.run(stream, advance)
        after = os.fstat(stream.fileno())
        if stat_mod.S_ISREG(before.st_mode) and (
            _stat_key(before) != _stat_key(after) or total != after.st_size
        ):
            raise FileChanged("changed while read")
        nid = job.builder.finish()
        job.commit(nid, after)
    except BaseException:
        job.abort()
        raise
    return Ingested(nid, job.sha256(), total, after.st_mtime_ns, after.st_ino)


class _Ingest:
    """One pass over one file.

    A file that fits one buffer is done on the calling thread. A larger one is
    a pipeline per 4 MiB buffer, so that the three kinds of work run beside
    each other on the two cores and none waits for the disk:
    - this thread reads (into the ring) and builds the DAG from the digests;
    - "chunks" hashes the buffer's 256 KiB chunks (the Nid's leaves), then hands
      the buffer, framed with those digests, to "write";
    - "whole" feeds the buffer to the whole-file sha256 (`assetSha256`);
    - "write" appends it to the pack with one `writev`, and starts the disk's
      writeback as it goes (`PackFile`), so `commit`'s fsync has little left.
    Reading is the smallest part, so the reading thread stays ahead and the
    kernel shares the cores between the two hashes and the copy.
    """

    def __init__(self, store: ObjectStore | None, reference: bytes | None) -> None:
        self.store = store
        self.reference = reference
        self.whole = hashlib.sha256()
        self.single: bytes | None = None  # digest of a one-chunk file: also its sha256
        self.first: bytes | None = None  # that chunk's bytes, stored as one object
        self.pack: PackWriter | None = None
        self.ref: ReferenceWriter | None = None
        if store is not None and reference is not None:
            self.ref = store.reference_writer(reference)
        self.builder = NidBuilder(self._node)
        self.offset = 0
        self._pending: deque[_Buffer] = deque()  # buffers handed to the helpers, oldest first
        self._nodes: list[Future[None]] = []  # interior nodes queued to "write"

    def _node(self, cid: bytes, data: bytes | memoryview) -> None:
        """Interior dag-pb nodes from the builder (called on this thread)."""
        if self.ref is not None:
            self.ref(cid, data)
        elif self.pack is not None:
            block = bytes(data)
            self._nodes.append(RESOURCES.pool("write").submit(self.pack, cid, block))
        elif self.store is not None and cid[:4] != RAW_PREFIX:  # pragma: no cover
            raise AssertionError("interior node without a pack")

    def run(self, stream: BinaryIO, advance: Advance | None) -> int:
        ring = RESOURCES.ring()
        total = 0
        i = 0
        while True:
            while self._pending and self._pending[0].index <= i - RING:
                self._settle(advance)  # the slot about to be read into is free again
            view = memoryview(ring[i % RING])
            n = _read_full(stream, view)
            part = view[:n]
            total += n
            if i == 0 and n < BUFFER:  # the whole file is in this buffer: no helpers
                self._inline(part, n)
                if advance:
                    advance(n)
                break
            self._pending.append(self._hand_over(i, part, n))
            if n < BUFFER:
                break
            i += 1
        while self._pending:
            self._settle(advance)
        return total

    def _inline(self, part: memoryview, n: int) -> None:
        digests = chunk_digests(part)
        if n <= CHUNK_SIZE:  # one chunk: its digest is the file's sha256
            self.single = digests[0] if digests else hashlib.sha256(b"").digest()
            if self.store is not None and self.ref is None:
                self.first = bytes(part)
        else:
            self.whole.update(part)
            if self.store is not None and self.ref is None:
                self.pack = self.store.pack_writer()
                self.pack.leaves(digests, part)
        self._leaves(digests, n)

    def _hand_over(self, index: int, part: memoryview, n: int) -> _Buffer:
        if self.store is not None and self.ref is None and self.pack is None:
            self.pack = self.store.pack_writer(direct=True)
        return _Buffer(
            index,
            n,
            RESOURCES.pool("chunks").submit(self._chunks, part),
            RESOURCES.pool("whole").submit(self.whole.update, part),
        )

    def _chunks(self, part: memoryview) -> tuple[list[bytes], Future[None] | None]:
        """On "chunks": the leaves' digests; the pack write is queued before they are
        returned, so it precedes any interior node the builder makes of them."""
        digests = chunk_digests(part)
        if self.pack is None:
            return digests, None
        return digests, RESOURCES.pool("write").submit(self.pack.leaves, digests, part)

    def _settle(self, advance: Advance | None) -> None:
        """Wait for the oldest buffer's helpers; its leaves go into the DAG, in order."""
        buffer = self._pending.popleft()
        failures = [buffer.chunks.exception(), buffer.whole.exception()]  # each waits
        digests, written = (None, None) if failures[0] else buffer.chunks.result()
        if written is not None:
            failures.append(written.exception())
        failure = next((exc for exc in failures if exc is not None), None)
        if failure is not None:  # raised only once nothing uses the buffer or the pack
            raise failure
        assert digests is not None
        self._leaves(digests, buffer.size)
        if advance:
            advance(buffer.size)

    def _leaves(self, digests: list[bytes], n: int) -> None:
        add_leaves(self.builder, digests, n)
        if self.ref is not None:
            self._reference_leaves(digests, n)

    def _reference_leaves(self, digests: list[bytes], n: int) -> None:
        assert self.ref is not None
        for k, digest in enumerate(digests):
            length = CHUNK_SIZE if k < len(digests) - 1 else n - k * CHUNK_SIZE
            self.ref.leaf(RAW_PREFIX + digest, self.offset, length)
            self.offset += length

    def sha256(self) -> str:
        return (self.single if self.single is not None else self.whole.digest()).hex()

    def commit(self, nid: Nid, st: os.stat_result) -> None:
        for job in self._nodes:  # the last interior nodes, queued by `finish`
            job.result()
        self._nodes.clear()
        if self.store is None:
            return
        if self.ref is not None:
            self.ref.commit(nid, st.st_size, st.st_mtime_ns, st.st_ino)
        elif self.pack is not None:
            self.pack.commit(nid)
        else:
            data = self.first if self.first is not None else b""
            self.store.add_block(nid.to_bytes(), data)

    def abort(self) -> None:
        """Let every queued job end (they use the ring and the pack) before dropping both."""
        while self._pending:
            buffer = self._pending.popleft()
            with contextlib.suppress(BaseException):
                buffer.whole.result()
            with contextlib.suppress(BaseException):
                written = buffer.chunks.result()[1]
                if written is not None:
                    written.result()
        for job in self._nodes:
            with contextlib.suppress(BaseException):
                job.result()
        self._nodes.clear()
        if self.pack is not None:
            self.pack.abort()
        if self.ref is not None:
            self.ref.abort()
