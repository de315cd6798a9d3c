"""Nid throughput and memory on a large file, next to plain hashlib.sha256.

    .venv/bin/python bench/bench_nid.py [--size-mib 1024] [--dir /tmp]

Each measurement runs in its own process so its peak RSS is its own. The file
is read once before timing, so all runs read from the page cache and the
figures compare CPU work, not the disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import hashlib, json, sys, time
from pathlib import Path
mode, path, repo = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
if mode == "sha256":
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    result = h.hexdigest()
elif mode == "cp":
    import os, shutil
    dest = Path(repo) / "copy.bin"
    shutil.copyfile(path, dest)
    with dest.open("rb+") as f:
        os.fsync(f.fileno())
    result = "copied"
elif mode == "nid":
    from numbers_cli.ops.ingest import nid_of_file
    result = nid_of_file(path)
else:
    from numbers_cli.ops.ingest import ingest
    from numbers_cli.repo.repository import Repository
    r = Repository.init(Path(repo))
    result = ingest(path, r.objects).nid
elapsed = time.perf_counter() - t
# VmHWM is this process image's own peak (ru_maxrss would include the parent's at fork).
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": elapsed, "rss_mib": rss, "result": str(result)}))
"""


def run(mode: str, path: Path, repo: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(repo)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "big.bin"
        block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB, incompressible enough
        with path.open("wb") as f:
            for i in range(args.size_mib):
                f.write(block[i % 97 :] + block[: i % 97])
        with path.open("rb") as f:  # warm the page cache
            while f.read(1 << 24):
                pass
        size_mib = path.stat().st_size / (1 << 20)
        print(f"file: {size_mib:.0f} MiB, best of {args.repeat} runs, each in a fresh process")
        best: dict[str, dict[str, float]] = {}
        for mode in ("sha256", "nid", "cp", "add"):
            runs = []
            for i in range(args.repeat):
                repo = Path(tmp) / f"repo-{mode}-{i}"
                repo.mkdir()
                runs.append(run(mode, path, repo))
            best[mode] = min(runs, key=lambda r: r["seconds"])
        base = size_mib / best["sha256"]["seconds"]
        labels = {
            "sha256": "hashlib.sha256",
            "nid": "Nid only (nit hash)",
            "cp": "cp + fsync (the disk)",
            "add": "Nid+sha256+pack (nit add)",
        }
        for mode, r in best.items():
            speed = size_mib / r["seconds"]
            print(
                f"{labels[mode]:28} {speed:8.0f} MiB/s  {speed / base:5.2f}x sha256  peak RSS {r['rss_mib']:6.1f} MiB"
            )
        os.sync()


if __name__ == "__main__":
    main()
