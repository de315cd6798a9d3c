"""One large file: `nit hash`, `nit add` (copied, and by reference), next to their anchors.

    .venv/bin/python bench/bench_nid.py [--size-mib 1024] [--repeat 3] [--dir /tmp]

The file is random bytes (`os.urandom`: every 256 KiB chunk distinct). It is
read once before timing, so every run reads from the page cache and the
figures compare work, not the disk; `cp` + `fsync` and `nit add` do write to
the disk. Each figure is the median of `--repeat` runs (5), every run a fresh
process, the modes taking turns so a change of load hits all of them. Printed
per mode: throughput, wall time and CPU time (user + system, all threads)
next to the anchor's, and the process's peak RSS.

Anchors, measured in the same run:
- one hashlib.sha256 pass in 1 MiB reads (one thread), for `nit hash` and
  `nit add --no-copy`;
- `cp FILE DIR/ && sync DIR/FILE`, two real processes, for `nit add`.

The package is byte-compiled first (as `pip install` leaves it), so no run
pays for compiling nit's modules.

The floor, measured in the same run: bench/nid_floor.py, a program of its
own doing only what the formats force on any implementation (two SHA-256
passes: chunk digests and the whole file's; "floor" alone, "floor+write" also
writing the bytes once, O_DIRECT, and fsyncing them), timed as a whole process
like the commands. Each command is also printed as a fraction of its floor:
the part of its time that is nit's own, which is what can still be won.

Modes "nid-1" and "nid-2" run the Nid on one and on two threads, in process;
"ingest" and "ingest-ref" are what `nit add` and `nit add --no-copy` do with
the file (Nid, sha256, pack or leaf offsets, the store's COMMIT and its
fsyncs), in process; "nit hash", "nit add", "nit add --no-copy" and "re-add"
are the real commands (start-up included), "re-add" being `nit add` of the
unchanged file again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import hashlib, json, os, resource, sys, time
from pathlib import Path
mode, path, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if mode.startswith("nid"):
    from numbers_cli.ops.ingest import nid_of_file
t, c = time.perf_counter(), cpu()
if mode == "sha256":
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    result = h.hexdigest()
elif mode in ("nid-1", "nid-2"):
    result = nid_of_file(path, threads=int(mode[-1]))
elif mode in ("ingest", "ingest-ref"):
    from numbers_cli.ops.ingest import ingest
    from numbers_cli.repo.repository import Repository
    repo = Repository.init(work / "repo")
    inside = repo.workdir / "big.bin"
    os.link(path, inside)
    t, c = time.perf_counter(), cpu()  # the work only: not init
    with repo.transaction():
        reference = b"big.bin" if mode == "ingest-ref" else None
        result = ingest(inside, repo.objects, reference=reference).nid
elapsed, used = time.perf_counter() - t, cpu() - c
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": elapsed, "cpu": used, "rss_mib": rss, "result": str(result)}))
"""

NIT = [sys.executable, "-m", "numbers_cli"]


def in_process(mode: str, path: Path, work: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def command(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """A whole `nit` process: wall time from outside, CPU and peak RSS from wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen([*NIT, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"nit {' '.join(args)} failed")
    return {
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def floor(big: Path, write_to: Path | None) -> dict[str, float]:
    """bench/nid_floor.py as a process: the least any `nit add` of the file must do."""
    args = [sys.executable, str(Path(__file__).with_name("nid_floor.py")), str(big)]
    if write_to is not None:
        args += ["--write", str(write_to)]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("nid_floor.py failed")
    return {
        "seconds": time.perf_counter() - start,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def copy_and_sync(big: Path, folder: Path) -> dict[str, float]:
    """The anchor of `nit add`: `cp FILE DIR/ && sync DIR/FILE`, two real processes."""
    start = time.perf_counter()
    cpu = 0.0
    for cmd in (["cp", str(big), f"{folder}/"], ["sync", str(folder / big.name)]):
        proc = subprocess.Popen(cmd)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd)} failed")
        cpu += usage.ru_utime + usage.ru_stime
    return {"seconds": time.perf_counter() - start, "cpu": cpu, "rss_mib": 0.0}


def compile_package() -> None:
    """Byte-compile numbers_cli as `pip install` does, so a `nit` process does not
    compile its modules on every start (as it would with PYTHONDONTWRITEBYTECODE set
    and no __pycache__: 0.1 s of a run)."""
    import compileall

    import numbers_cli

    compileall.compile_dir(str(Path(numbers_cli.__file__).parent), quiet=1)


def run_round(big: Path, base: Path, i: int, env: dict[str, str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for mode in ("sha256", "nid-1", "nid-2"):
        out[mode] = in_process(mode, big, base)
    for mode in ("ingest", "ingest-ref"):
        work = base / f"{mode}-{i}"
        work.mkdir()
        out[mode] = in_process(mode, big, work)
        subprocess.run(["rm", "-rf", str(work)], check=True)
    out["nit hash"] = command(["hash", str(big)], base, env)
    cp_dir = base / f"cp-{i}"
    cp_dir.mkdir()
    out["cp+sync"] = copy_and_sync(big, cp_dir)
    out["floor"] = floor(big, None)
    out["floor+write"] = floor(big, cp_dir)
    for mode, flags in (("nit add", []), ("nit add --no-copy", ["--no-copy"])):
        repo = base / f"repo-{i}-{len(out)}"
        repo.mkdir()
        os.link(big, repo / "big.bin")  # same inode: the same cached pages
        command(["init"], repo, env)
        out[mode] = command(["add", "big.bin", *flags], repo, env)
        if mode == "nit add":
            out["re-add"] = command(["add", "big.bin"], repo, env)
        subprocess.run(["rm", "-rf", str(repo)], check=True)
    subprocess.run(["rm", "-rf", str(cp_dir)], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compile_package()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        big = base / "big.bin"
        with big.open("wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
            f.flush()
            os.fsync(f.fileno())
        past = time.time() - 3600  # older than the racy-clean window: re-add may trust stat
        os.utime(big, (past, past))
        with big.open("rb") as f:  # warm the page cache
            while f.read(1 << 24):
                pass
        env = dict(os.environ)
        env.update(
            HOME=str(base / "home"),
            NIT_CONFIG_DIR=str(base / "home" / "nit"),
            NIT_DATA_DIR=str(base / "home" / "data"),
            NIT_PROGRESS="false",
        )
        rounds = [run_round(big, base, i, env) for i in range(args.repeat)]
        size = big.stat().st_size / (1 << 20)

        def med(mode: str, key: str) -> float:
            return statistics.median(r[mode][key] for r in rounds)

        print(
            f"file: {size:.0f} MiB of random bytes, from the page cache; median of "
            f"{args.repeat} runs, each a fresh process; load {load_before:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs"
        )
        anchors = {
            "sha256": "sha256",
            "nid-1": "sha256",
            "nid-2": "sha256",
            "nit hash": "sha256",
            "cp+sync": "cp+sync",
            "ingest": "cp+sync",
            "ingest-ref": "sha256",
            "nit add": "cp+sync",
            "nit add --no-copy": "sha256",
            "re-add": "cp+sync",
            "floor": "sha256",
            "floor+write": "cp+sync",
        }
        for mode, anchor in anchors.items():
            secs, cpu = med(mode, "seconds"), med(mode, "cpu")
            ratio = med(anchor, "seconds") / secs
            cpu_ratio = cpu / med(anchor, "cpu")
            print(
                f"{mode:18} {size / secs:7.0f} MiB/s  {secs:6.3f} s  CPU {cpu:6.3f} s  "
                f"{ratio:5.2f}x {anchor} speed, {cpu_ratio:4.2f}x its CPU  "
                f"peak RSS {max(r[mode]['rss_mib'] for r in rounds):6.1f} MiB"
            )
        print("against the floor (the formats' two sha256 passes, plus one write for a copy):")
        for mode, base in (
            ("nit add --no-copy", "floor"),
            ("ingest-ref", "floor"),
            ("nit add", "floor+write"),
            ("ingest", "floor+write"),
        ):
            secs, least = med(mode, "seconds"), med(base, "seconds")
            print(
                f"{mode:18} {secs:6.3f} s  {base} {least:6.3f} s  "
                f"{least / secs:5.2f}x the floor's speed ({secs - least:+.3f} s nit's own)"
            )


if __name__ == "__main__":
    main()
