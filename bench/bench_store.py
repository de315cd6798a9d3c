"""Many small files end to end: `nit init && nit add DIR && nit commit`, next to git.

    .venv/bin/python bench/bench_store.py [--files 10000] [--repeat 3] [--dir /tmp]

Every command is a real process (what a user runs), timed from outside; the
anchor is `git init && git add DIR && git commit` of the same files in the same
run. Each figure is the median of `--repeat` runs, alternating nit and git so
that a load change on the machine hits both. Also printed: each process's own
peak RSS (from wait4), the re-add of the unchanged tree (one stat per file), and
`nit status` and `nit fsck` of the committed tree.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # throwaway
NIT = [sys.executable, "-m", "numbers_cli"]


def make_files(root: Path, count: int, seed: int = 1) -> int:
    """`count` files of 1-4 KiB of random bytes, 100 per directory; returns total bytes."""
    rnd = random.Random(seed)
    total = 0
    for i in range(count):
        folder = root / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = rnd.randbytes(rnd.randint(1024, 4096))
        (folder / f"f{i:05d}.bin").write_bytes(data)
        total += len(data)
    return total


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024


NIT_STEPS = (
    ("init", ["init"]),
    ("add", ["add", "files"]),
    ("commit", ["commit", "-m", "bench"]),
    ("re-add", ["add", "files"]),
    ("status", ["status"]),
    ("fsck", ["fsck"]),
)


def run_nit(work: Path, env: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for step, args in NIT_STEPS:
        out[step], out[f"{step} rss"] = timed([*NIT, *args], work, env)
    return out


def run_git(work: Path, env: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.org"]
    quiet = ["-c", "gc.auto=0", "-c", "maintenance.auto=false"]  # no background gc after us
    for step, args in (
        ("init", ["init", "-q"]),
        ("add", [*quiet, "add", "files"]),
        ("commit", [*quiet, *ident, "commit", "-q", "-m", "bench"]),
    ):
        out[step], _ = timed(["git", *args], work, env)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        source = base / "source"
        size = make_files(source, args.files)
        env = dict(os.environ)
        env.update(
            NIT_PRIVATE_KEY=KEY,
            HOME=str(base / "home"),
            NIT_CONFIG_DIR=str(base / "home" / "nit"),
            NIT_DATA_DIR=str(base / "home" / "data"),
            GIT_CONFIG_NOSYSTEM="1",
        )
        nit_runs, git_runs = [], []
        for i in range(args.repeat):
            for kind, runs, runner in (("nit", nit_runs, run_nit), ("git", git_runs, run_git)):
                work = base / f"{kind}-{i}"
                work.mkdir()
                shutil.copytree(source, work / "files")
                runs.append(runner(work, env))
                subprocess.run(["rm", "-rf", str(work)], check=True)

        def med(runs: list[dict[str, float]], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        nit_total = statistics.median(r["init"] + r["add"] + r["commit"] for r in nit_runs)
        git_total = statistics.median(r["init"] + r["add"] + r["commit"] for r in git_runs)
        print(
            f"{args.files} files, {size / 2**20:.1f} MiB; median of {args.repeat} runs, "
            f"each command a fresh process; machine load {os.getloadavg()[0]:.2f}"
        )
        print(
            f"nit init+add+commit {nit_total:7.2f} s  {args.files / nit_total:7.0f} assets/s  "
            f"(init {med(nit_runs, 'init'):.2f}, add {med(nit_runs, 'add'):.2f}, "
            f"commit {med(nit_runs, 'commit'):.2f})"
        )
        print(
            f"git init+add+commit {git_total:7.2f} s  {args.files / git_total:7.0f} files/s   "
            f"(init {med(git_runs, 'init'):.2f}, add {med(git_runs, 'add'):.2f}, "
            f"commit {med(git_runs, 'commit'):.2f})"
        )
        print(f"nit / git           {nit_total / git_total:7.2f}x")
        print(f"nit re-add unchanged {med(nit_runs, 're-add'):6.2f} s")
        print(f"nit status          {med(nit_runs, 'status'):7.2f} s")
        print(f"nit fsck            {med(nit_runs, 'fsck'):7.2f} s")
        peaks = ", ".join(
            f"{step} {max(r[f'{step} rss'] for r in nit_runs):.0f}" for step, _ in NIT_STEPS
        )
        print(f"nit peak RSS (MiB)  {peaks}")


if __name__ == "__main__":
    main()
