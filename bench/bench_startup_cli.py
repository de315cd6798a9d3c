"""Start-up time of `nit --version`, `nit --help` and friends, next to bare Python.

    .venv/bin/python bench/bench_startup_cli.py [--runs 40] [--nit .venv/bin/nit]

Every command runs in a fresh process, wall clock from spawn to exit, with
its output thrown away. The commands are run round-robin (one of each, then
the next round), so a burst of load on a shared machine hits all of them
alike; the figures are medians, and each is also given as a ratio to the
anchor, `python -c pass` with the same interpreter, measured in the same
rounds. Ratios hold up under load far better than absolute times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        check=False,  # `nit status` outside a repository exits 3 by design
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="rounds (default 40)")
    parser.add_argument(
        "--nit", default=str(ROOT / ".venv" / "bin" / "nit"), help="the nit entry point to time"
    )
    parser.add_argument(
        "--baseline",
        help="another nit entry point (e.g. a checkout of main) timed in the same rounds",
    )
    args = parser.parse_args()
    python = str(Path(args.nit).with_name("python"))
    if not Path(python).exists():
        python = sys.executable
    cases: dict[str, list[str]] = {
        "python -c pass (anchor)": [python, "-c", "pass"],
        "python -c 'import click'": [python, "-c", "import click"],
        "nit --version": [args.nit, "--version"],
        "nit --help": [args.nit, "--help"],
        "nit help add": [args.nit, "help", "add"],
        "nit status (outside a repository)": [args.nit, "status"],
    }
    if args.baseline:
        cases["baseline: nit --version"] = [args.baseline, "--version"]
        cases["baseline: nit --help"] = [args.baseline, "--help"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "NIT_CONFIG_DIR": tmp,
            "NO_COLOR": "1",
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for argv in cases.values():  # warm the page cache and .pyc files
            subprocess.run(argv, env=env, cwd=tmp, capture_output=True, check=False)
        for _ in range(args.runs):
            for name, argv in cases.items():
                times[name].append(measure(argv, env, tmp))
    load = os.getloadavg()[0]
    print(
        f"{args.runs} runs each, round-robin, median wall clock; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end"
    )
    anchor = statistics.median(times["python -c pass (anchor)"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:40} {median * 1000:7.1f} ms  {median / anchor:5.1f}x python")


if __name__ == "__main__":
    main()
