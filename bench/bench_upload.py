"""Upload throughput to a local IPFS node: our `upload_objects` vs the node's own `add`.

    .venv/bin/python bench/bench_upload.py [--size-mib 200] [--segment-mib 16] [--dir /tmp]

A random file is `nit add`ed into a temporary repository (not timed), then
uploaded with `upload_objects` (CAR segments through `dag/import`, then a
recursive pin) to a freshly started js-ipfs node; a second fresh node gets the
same file through its own `add?cid-version=1` (it chunks and hashes itself).
Each side gets its own node so neither finds blocks the other already stored.
Both give the same root CID, which is checked. The file is read once before
timing, so both read from the page cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.ipfs_node import IpfsNode  # noqa: E402

from numbers_cli.ipfs.remote import Remote  # noqa: E402
from numbers_cli.ops.add import add  # noqa: E402
from numbers_cli.ops.upload import upload_objects  # noqa: E402
from numbers_cli.repo.repository import Repository  # noqa: E402

MIB = 1024 * 1024


def write_random(path: Path, size_mib: int) -> None:
    with path.open("wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(MIB))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--segment-mib", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=None, help="where the temp files go")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-upload-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        path = work / "bench.bin"
        write_random(path, args.size_mib)
        path.read_bytes()  # into the page cache
        repo = Repository.init(work)
        (added,) = add(repo, [path])
        size = args.size_mib

        with IpfsNode(root / "node-ours") as node:
            remote = Remote("bench", node.api_url, "kubo", timeout=600.0)
            started = time.perf_counter()
            (result,) = upload_objects(
                repo, remote, [added.nid], segment_bytes=args.segment_mib * MIB
            )
            ours = time.perf_counter() - started
            assert result.status == "uploaded", result

        with IpfsNode(root / "node-add") as node:
            started = time.perf_counter()
            cid = node.add(path, timeout=1200)
            theirs = time.perf_counter() - started
        assert cid == added.nid, (cid, added.nid)

        print(
            f"file: {size} MiB, Nid {added.nid}, {result.segments_sent} segments of "
            f"{args.segment_mib} MiB"
        )
        print(f"nit upload_objects (dag/import + pin): {ours:7.2f} s  {size / ours:7.1f} MiB/s")
        print(f"node add?cid-version=1               : {theirs:7.2f} s  {size / theirs:7.1f} MiB/s")
        print(f"ratio (ours / node add throughput)   : {theirs / ours:7.2f}x")


if __name__ == "__main__":
    main()
