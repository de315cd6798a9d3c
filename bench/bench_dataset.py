"""`nit dataset export` and `nit dataset verify` of a many-asset repository, next to
the plain work they cannot avoid, and their peak memory at two sizes.

    .venv/bin/python bench/bench_dataset.py [--assets 10000] [--small 1000] [--dir /tmp]
                                             [--keep DIR]   # reuse the repositories made there

Setup (not timed): a repository of N distinct files of 2-6 KiB, added through
`nit add --manifest` (licences and usage terms per row) and committed. Then,
each in a fresh process (its peak RSS is its own, VmHWM):
- anchor `copy+sha256`: read every working file, sha256 it, write a copy: the
  least an export with files can do;
- `export`: `nit dataset export` (all assets, files + records + Croissant card);
- anchor `sha256`: re-hash every exported file: the least a verify can do;
- `verify`: `nit dataset verify` (files re-hashed, each record checked against
  the repository: commit, tree, signature).
Memory is flat when the peak at N assets is about the peak at the small size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # throwaway

CHILD = r"""
import hashlib, json, shutil, sys, time
from pathlib import Path
mode, repo_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
if mode == "copy+sha256":
    out.mkdir()
    for path in sorted((repo_dir / "files").iterdir()):
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        (out / path.name).write_bytes(data)
    result = len(list(out.iterdir()))
elif mode == "sha256":
    result = sum(1 for p in sorted((out / "files").iterdir()) if hashlib.sha256(p.read_bytes()).digest())
elif mode == "export":
    from numbers_cli.ops.session import open_repo
    from numbers_cli.ops.dataset import export_dataset
    repo, config = open_repo(repo_dir)
    result = export_dataset(repo, config, out).exported
elif mode == "verify":
    from numbers_cli.ops.session import open_repo
    from numbers_cli.ops.dataset_verify import verify_dataset
    repo, config = open_repo(repo_dir)
    verdict = verify_dataset(repo, config, out)
    assert verdict.ok, verdict.to_json()["counts"]
    result = verdict.records
elapsed = time.perf_counter() - t
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": elapsed, "rss_mib": rss, "result": result}))
"""


def run(mode: str, repo: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(repo), str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NIT_PROGRESS": "false"},
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def make_repo(where: Path, count: int) -> float:
    """A repository of `count` committed assets; returns the seconds it took."""
    from numbers_cli.config import Config
    from numbers_cli.ops import commit as commit_op
    from numbers_cli.ops.manifest import add_from_manifest
    from numbers_cli.repo.repository import Repository
    from numbers_cli.wallet import Signer, parse_private_key

    t = time.perf_counter()
    files = where / "files"
    files.mkdir(parents=True)
    rows = ["path,license,creator,aiTraining,commercialUse"]
    licences = ("cc-by-4.0", "mit", "cc-by-nc-4.0")
    for n in range(count):
        name = f"asset-{n:06d}.bin"
        (files / name).write_bytes(f"asset {n}\n".encode() + os.urandom(2048 + n % 4096))
        rows.append(
            f"files/{name},{licences[n % 3]},creator {n % 17},allowed,{'yes' if n % 2 else 'no'}"
        )
    (where / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    repo = Repository.init(where)
    config = Config.load(where)
    add_from_manifest(repo, where / "manifest.csv", config=config)
    commit_op.commit(repo, Signer(parse_private_key(KEY)), "bench", config=config)
    return time.perf_counter() - t


def measure(tmp: Path, count: int, keep: Path | None) -> dict[str, dict[str, float]]:
    where = (keep or tmp) / f"repo-{count}"
    if not (where / ".numbers").is_dir():
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        setup = make_repo(where, count)
        print(f"{count} assets: setup (add --manifest + commit, not timed below) {setup:.1f} s")
    results = {}
    for mode, out in (
        ("copy+sha256", tmp / f"copy-{count}"),
        ("export", tmp / f"ds-{count}"),
        ("sha256", tmp / f"ds-{count}"),
        ("verify", tmp / f"ds-{count}"),
    ):
        results[mode] = run(mode, where, out)
        assert results[mode]["result"] == count, (mode, results[mode])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--keep", type=Path, help="make (or reuse) the repositories here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        sizes = (args.small, args.assets)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        found = {n: measure(Path(tmp), n, args.keep) for n in sizes}
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        print(f"{'':14}" + "".join(f"{f'{n} assets':>26}" for n in sizes))
        for mode in ("copy+sha256", "export", "sha256", "verify"):
            cells = "".join(
                f"{found[n][mode]['seconds']:9.2f} s {found[n][mode]['rss_mib']:8.1f} MiB    "
                for n in sizes
            )
            print(f"{mode:14}{cells}")
        big = found[args.assets]
        print(
            f"export {big['export']['seconds'] / big['copy+sha256']['seconds']:.1f}x its anchor, "
            f"verify {big['verify']['seconds'] / big['sha256']['seconds']:.1f}x its anchor; "
            f"peak RSS export {found[args.small]['export']['rss_mib']:.0f} -> {big['export']['rss_mib']:.0f} MiB, "
            f"verify {found[args.small]['verify']['rss_mib']:.0f} -> {big['verify']['rss_mib']:.0f} MiB "
            f"({args.small} -> {args.assets} assets)"
        )


if __name__ == "__main__":
    main()
