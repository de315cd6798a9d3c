"""The per-process machinery of `ops.ingest`: the helper threads, the buffer ring,
and the hashing of a buffer's chunks.

Made on first use by the first file larger than one buffer (small files never
start a thread), and kept for the process: a pool per file cost about 200 µs a
file, and fresh 256 KiB objects per chunk 90,000 page faults per GiB.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from typing import TYPE_CHECKING

from numbers_cli.model.nid import RAW_PREFIX
from numbers_cli.model.unixfs import CHUNK_SIZE, NidBuilder

if TYPE_CHECKING:  # small files never start a thread: not imported for them
    from concurrent.futures import ThreadPoolExecutor

BUFFER_CHUNKS = 16
BUFFER = BUFFER_CHUNKS * CHUNK_SIZE  # 4 MiB per hand-over between threads
RING = 6  # buffers: one being read, the others being hashed or written (24 MiB)


class Resources:
    """The per-process helper threads and buffer ring, made on first use.

    Three helpers of one thread each, so that the work of each stays in order:
    "chunks" (the leaves' digests), "whole" (the whole-file sha256) and
    "write" (a pack's blocks, in the order the CAR gets them).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._ring: list[mmap.mmap] | None = None

    def pool(self, job: str = "chunks") -> ThreadPoolExecutor:
        with self._lock:
            if job not in self._pools:
                from concurrent.futures import ThreadPoolExecutor

                self._pools[job] = ThreadPoolExecutor(1, thread_name_prefix=f"nit-{job}")
            return self._pools[job]

    def ring(self) -> list[mmap.mmap]:
        """Anonymous mappings, not bytearrays: their pages are only real once
        written, so a run of small files costs a few KiB of them, not 16 MiB."""
        if self._ring is None:
            self._ring = [mmap.mmap(-1, BUFFER) for _ in range(RING)]
        return self._ring


RESOURCES = Resources()


def thread_count(requested: int | None) -> int:
    if requested is not None:
        return max(1, min(2, requested))
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def chunk_digests(view: memoryview) -> list[bytes]:
    return [
        hashlib.sha256(view[start : start + CHUNK_SIZE]).digest()
        for start in range(0, len(view), CHUNK_SIZE)
    ]


def add_leaves(builder: NidBuilder, digests: list[bytes], n: int) -> None:
    last = len(digests) - 1
    for k, digest in enumerate(digests):
        builder.add_leaf(RAW_PREFIX + digest, CHUNK_SIZE if k < last else n - k * CHUNK_SIZE)
