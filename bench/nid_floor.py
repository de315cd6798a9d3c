"""The least work `nit add` of one file can do, as a program of its own: bench_nid's floor.

    python bench/nid_floor.py FILE [--write DIR]

The formats fix two SHA-256 passes over every byte: the 256 KiB chunks' digests
(the Nid's leaves, spec: "Nid") and the whole file's (`assetSha256`, a required
AssetTree field). Neither can be derived from the other. This program does
exactly that and nothing else: one read into reused 4 MiB buffers, the chunk
digests on one thread and the whole-file sha256 on another (two cores, two
passes), with only the standard library loaded; with `--write DIR` it also
writes the bytes once to a new file in DIR past the page cache (O_DIRECT, as
nit's packs are) and fsyncs it: the copy `nit add` keeps. No Nid DAG, no CAR
frames, no store, no tree, no click: a lower bound, not a competitor. Timed as
a whole process by bench_nid.py, next to the real commands.

Prints the chunk count and the sha256, so a run that did less is caught.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor

BUFFER = 4 << 20
CHUNK = 256 << 10
RING = 6


def chunk_digests(view: memoryview) -> list[bytes]:
    return [hashlib.sha256(view[s : s + CHUNK]).digest() for s in range(0, len(view), CHUNK)]


def main() -> None:
    path = sys.argv[1]
    out = None
    if len(sys.argv) == 4 and sys.argv[2] == "--write":
        target = os.path.join(sys.argv[3], "floor.bin")
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    fd = os.open(path, os.O_RDONLY)
    ring = [mmap.mmap(-1, BUFFER) for _ in range(RING)]
    chunks, whole_pool, writes = (ThreadPoolExecutor(1) for _ in range(3))
    whole = hashlib.sha256()
    pending: list[tuple[Future[list[bytes]], Future[None], Future[int] | None]] = []
    digests: list[bytes] = []

    def settle(jobs: tuple[Future[list[bytes]], Future[None], Future[int] | None]) -> None:
        digests.extend(jobs[0].result())
        jobs[1].result()
        if jobs[2] is not None:
            jobs[2].result()

    offset = 0
    i = 0
    while True:
        if len(pending) >= RING - 1:
            settle(pending.pop(0))
        view = memoryview(ring[i % RING])
        n = os.readv(fd, [view])
        part = view[:n]
        write = None
        if out is not None and n:
            padded = -(-n // 4096) * 4096  # O_DIRECT writes whole pages; cut below
            write = writes.submit(os.pwrite, out, view[:padded], offset)
        pending.append(
            (chunks.submit(chunk_digests, part), whole_pool.submit(whole.update, part), write)
        )
        offset += n
        i += 1
        if n < BUFFER:
            break
    for jobs in pending:
        settle(jobs)
    if out is not None:
        os.ftruncate(out, offset)
        os.fsync(out)
        os.close(out)
    print(len(digests), whole.hexdigest())


if __name__ == "__main__":
    main()
