"""Read a file once: its Nid, its sha256 and (optionally) its blocks into the store.

The whole-file sha256 (`assetSha256`) runs on a second thread: hashlib releases
the GIL on large buffers, so it overlaps the per-chunk hashing and the pack
writes instead of doubling the time. Memory is a bounded queue of chunks.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.errors import NitError, NotFound
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.unixfs import NidBuilder, read_chunks
from numbers_cli.repo.objects import ObjectStore

_MAX_QUEUED = 8  # chunks waiting for the sha256 thread: 2 MiB


@dataclass(frozen=True)
class Ingested:
    nid: Nid
    sha256: str
    size: int


def _open(path: Path):  # type: ignore[no-untyped-def]
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NitError(f"{path} is a directory") from None
    except OSError as exc:
        raise NitError(f"cannot read {path}: {exc.strerror}") from None


def _leaf_cid(chunk: bytes) -> bytes:
    return RAW_PREFIX + hashlib.sha256(chunk).digest()


def nid_of_file(path: Path, advance: Callable[[int], None] | None = None) -> Nid:
    """Nid only (`nit hash`): nothing written; chunks hashed on two threads
    (hashlib releases the GIL), so reading and hashing overlap."""
    builder = NidBuilder()
    pending: deque[tuple[Future[bytes], int]] = deque()
    with _open(path) as f, ThreadPoolExecutor(2, thread_name_prefix="nid") as pool:
        for chunk in read_chunks(f):
            pending.append((pool.submit(_leaf_cid, chunk), len(chunk)))
            if len(pending) >= _MAX_QUEUED:
                fut, size = pending.popleft()
                builder.add_leaf(fut.result(), size)
                if advance:
                    advance(size)
        while pending:
            fut, size = pending.popleft()
            builder.add_leaf(fut.result(), size)
            if advance:
                advance(size)
    return builder.finish()


def ingest(
    path: Path, store: ObjectStore | None, advance: Callable[[int], None] | None = None
) -> Ingested:
    """Nid + sha256 in one pass; with a store, the blocks land in it (pack or loose)."""
    writer = store.pack_writer() if store is not None else None
    builder = NidBuilder(writer)
    whole = hashlib.sha256()
    pending: list[Future[None]] = []
    try:
        with _open(path) as f, ThreadPoolExecutor(1, thread_name_prefix="sha256") as pool:
            for chunk in read_chunks(f):
                pending.append(pool.submit(whole.update, chunk))
                builder.update(chunk)
                if advance:
                    advance(len(chunk))
                if len(pending) >= _MAX_QUEUED:
                    pending.pop(0).result()
            for fut in pending:
                fut.result()
        nid = builder.finish()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.commit(nid)
    return Ingested(nid, whole.hexdigest(), builder.size)
