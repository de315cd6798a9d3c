"""`nit trace` of a small lineage in a repository of many unrelated assets.

The local-descendant pass used to read every commit and tree of the repository
on every trace; the lineage index (repo/lineage.py) makes a trace read only
what changed since the last one. The figure: the same trace in a repository of
--assets unrelated assets plus the lineage, next to the anchor, the trace in a
repository holding only the lineage (what a trace costs when the repository's
size does not matter).

Run:  .venv/bin/python bench/bench_local_children.py [--assets 10000] [--runs 5]
      [--nit-src DIR]   (the timed `nit` processes run the package in DIR/numbers_cli,
                         e.g. an older commit's `git archive` of src/, to compare)

Set-up (not timed): real signed commits (lineage_setup) written into the
stores, each asset's file tracked: a subject, its child and grandchild, and in
the big repository --assets unrelated assets. Timed, each a new process as a user runs it:
`nit trace SUBJECT --json` in both repositories (the first trace of the big
one separately: it builds the index once), then again after one more commit
of an unrelated asset. Also in-process: writing --assets heads with and without
the index's triggers (what every `nit commit` pays for keeping it).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from lineage_setup import asset_nid, nit_process, print_times, signed, store, timed

from numbers_cli.repo.lineage import LineageIndex
from numbers_cli.repo.refs import Refs
from numbers_cli.repo.repository import Repository


def _lineage() -> list[tuple[str, bytes, str]]:
    subject, child, grandchild = (asset_nid(f"lineage {k}") for k in range(3))
    return [
        (subject, *signed(subject, 0)),
        (child, *signed(child, 0, parent=subject)),
        (grandchild, *signed(grandchild, 0, parent=child)),
    ]


def _repository(path: Path, items: list[tuple[str, bytes, str]]) -> None:
    """A repository holding `items`, each asset's file tracked (as `nit add` leaves it:
    a trace names each asset by its tracked path)."""
    path.mkdir()
    repo = Repository.init(path)
    store(repo, items)
    with repo.db.write():
        repo.db.executemany(
            "INSERT OR IGNORE INTO tracked VALUES (?, ?, 0, 0, 0, 0)",
            [(f"files/{k:06}.jpg".encode(), asset) for k, (asset, _, _) in enumerate(items)],
        )
    repo.close()


def _head_writes(path: Path, count: int, indexed: bool) -> float:
    """Seconds to write `count` heads in one transaction (as `nit commit` does)."""
    repo = Repository.init(path)
    if indexed:
        LineageIndex(repo.db).ensure()
    heads = {Refs.head_rel(asset_nid(f"w{k}")): f"{asset_nid(f'c{k}')}\n" for k in range(count)}
    started = time.perf_counter()
    with repo.transaction():
        repo.refs.set_many(heads)
    elapsed = time.perf_counter() - started
    repo.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nit-src", type=Path, help="run the timed nit from this src/ folder")
    args = parser.parse_args()
    print(f"nit trace: a 3-asset lineage among {args.assets:,} unrelated assets")
    print(f"  load average at start: {_load()}")
    lineage = _lineage()
    subject = lineage[0][0]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        others = [(a, *signed(a, 0)) for a in (asset_nid(f"other {k}") for k in range(args.assets))]
        _repository(home / "big", lineage + others)
        _repository(home / "small", lineage)
        print(
            f"  set-up: {len(others) + 3} commits signed and stored in {time.perf_counter() - started:.1f} s"
        )
        env = dict(os.environ, NIT_CONFIG_DIR=str(home / "config"))
        env.pop("NIT_PRIVATE_KEY", None)
        if args.nit_src is not None:
            env["PYTHONPATH"] = str(args.nit_src.resolve())
            print(f"  timed nit runs the package in {args.nit_src}")

        def trace(where: str) -> None:
            _, _, out = nit_process(["trace", subject, "--json"], home / where, env)
            assert len(json.loads(out)["nodes"]) == 3

        seconds, _, _ = nit_process(["trace", subject, "--json"], home / "big", env)
        print_times("first trace in the big repository (reads it all)", [seconds])
        trace("small")  # warm: page cache, .pyc files
        print("timed (each a new process):")
        timed("anchor: nit --version", args.runs, lambda: nit_process(["--version"], home, env))
        small = timed("anchor: trace, lineage-only repository", args.runs, lambda: trace("small"))
        big = timed(f"trace, lineage + {args.assets:,} assets", args.runs, lambda: trace("big"))
        after = []
        for k in range(args.runs):
            repo = Repository(home / "big")
            extra = asset_nid(f"one more {k}")
            store(repo, [(extra, *signed(extra, 0))])
            repo.close()
            seconds, _, _ = nit_process(["trace", subject, "--json"], home / "big", env)
            after.append(seconds)
        print_times("trace after each new commit (reads it)", after)
        plain = min(_head_writes(home / f"w{k}", args.assets, False) for k in range(2))
        indexed = min(_head_writes(home / f"wi{k}", args.assets, True) for k in range(2))
        print(
            f"  writing {args.assets:,} heads in one transaction: {plain:.3f} s without the "
            f"index's triggers, {indexed:.3f} s with them ({indexed / plain:.2f}x)"
        )
    print(f"  load average at end: {_load()}")
    print(
        f"result: trace among {args.assets:,} assets {min(big):.3f} s, "
        f"{min(big) / min(small):.2f}x the lineage-only anchor ({min(small):.3f} s); "
        f"after one new commit {min(after):.3f} s"
    )
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


if __name__ == "__main__":
    raise SystemExit(main())
