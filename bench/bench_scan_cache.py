"""The part of `nit trace --scan-chain` that the cache layout changed: storing a
scan's events and reading every version's tree, without the chain's RPC.

Layout 2 (every version's tree counts) stored each range's events, then read
every unread row back and UPDATEd each one with what its tree said: two passes
over 10,000 rows, and the `commits_by_parent` index written twice. The scan now
reads each range's trees with its events, the single-block ones looked up in
the store a few hundred per query (`ObjectStore.get_packed`), and inserts each
row once. The two-pass path is rebuilt here from the same pieces (`record`,
`unread`, `resolve`, one lookup per tree) and both are timed alternately, in
one process, on the same rows: the anchor is the two-pass path.

Run:  .venv/bin/python bench/bench_scan_cache.py [--assets 1000] [--per-asset 10] [--runs 5]

Set-up (not timed): --assets × --per-asset real signed commits and their trees
in a repository's store (lineage_setup), and their event rows as `_rows` makes
them from eth_getLogs (block, log index, tx, keccak(Nid), commit Nid, tree Nid).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from lineage_setup import asset_nid, signed, store

from numbers_cli.chain.register import nid_topic
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.trace.scan import SCAN_CHUNK, _read_range, _TreeReader
from numbers_cli.repo.chain_scan import ScanIndex, ScannedRow
from numbers_cli.repo.repository import Repository


def _two_passes(index: ScanIndex, repo: Repository, ranges: list[list[ScannedRow]]) -> None:
    """Layout 2's path as it was: store every range, then read every unread row back,
    each tree looked up alone, and UPDATE each row."""
    for k, rows in enumerate(ranges):
        index.record(rows, (k + 1) * SCAN_CHUNK)
    after = 0
    while batch := index.unread(after):
        reader = _TreeReader(repo, None)
        index.resolve([reader.link(rowid, nid_hash, cid) for rowid, nid_hash, cid in batch])
        after = batch[-1][0]


def _one_pass(index: ScanIndex, repo: Repository, ranges: list[list[ScannedRow]]) -> None:
    for k, rows in enumerate(ranges):
        read, names = _read_range(rows, _TreeReader(repo, None))
        index.record_read(read, (k + 1) * SCAN_CHUNK, names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--per-asset", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"scan cache: {args.assets * args.per_asset:,} commits of {args.assets:,} assets")
    print(f"  load average at start: {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "repo").mkdir()
        repo = Repository.init(home / "repo")
        subject = asset_nid("scan subject")
        items = []
        for k in range(args.assets):
            nid = asset_nid(f"scan asset {k}")
            parent = subject if k % 10 == 0 else None
            items += [(nid, *signed(nid, n, parent)) for n in range(args.per_asset)]
        store(repo, items, refs=False)
        rows: list[ScannedRow] = []
        for i, (asset, _, commit_data) in enumerate(items):
            tree = str(Commit.from_json(commit_data).tree_cid)
            commit = str(Nid.of_bytes(commit_data.encode()))
            rows.append((i, 0, f"0x{i:064x}", nid_topic(asset), commit, tree))  # a block each
        ranges = [rows[at : at + SCAN_CHUNK] for at in range(0, len(rows), SCAN_CHUNK)]
        times: dict[str, list[float]] = {"two passes (layout 2)": [], "one pass (now)": []}
        cpus: dict[str, list[float]] = {label: [] for label in times}
        children: dict[str, list[str]] = {}
        for run in range(args.runs):
            for label, fill in (
                ("two passes (layout 2)", _two_passes),
                ("one pass (now)", _one_pass),
            ):
                with ScanIndex(home / f"{run}-{len(children)}-{label[:3]}.sqlite") as index:
                    index.bind("0x" + "00" * 20, 31337)
                    started, cpu = time.perf_counter(), time.process_time()
                    fill(index, repo, ranges)
                    times[label].append(time.perf_counter() - started)
                    cpus[label].append(time.process_time() - cpu)
                    children[label] = index.children(subject)
                    assert index.counts()["commits"] == len(rows)
        assert children["one pass (now)"] == children["two passes (layout 2)"]
        assert len(children["one pass (now)"]) == -(-args.assets // 10)
        for label, values in times.items():
            print(
                f"  {label:24} min {min(values):.3f} s  median {statistics.median(values):.3f} s"
                f"  ({', '.join(f'{t:.3f}' for t in values)}); CPU min {min(cpus[label]):.3f} s"
            )
        repo.close()
    now, before = min(times["one pass (now)"]), min(times["two passes (layout 2)"])
    cpu_now, cpu_before = min(cpus["one pass (now)"]), min(cpus["two passes (layout 2)"])
    print(f"  load average at end: {_load()}")
    print(
        f"result: one pass {now:.3f} s, {now / before:.2f}x the two-pass anchor ({before:.3f} s);"
        f" CPU {cpu_now:.3f} s, {cpu_now / cpu_before:.2f}x ({cpu_before:.3f} s)"
    )
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


if __name__ == "__main__":
    raise SystemExit(main())
