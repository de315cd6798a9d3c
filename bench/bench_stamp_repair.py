"""What keeping the stamp records through a lost `store.db` costs, on a real anvil.

Why: `nit fsck` now looks for batches with no stamp record (the first commit
of every history is read), and `nit fsck --repair` re-makes a lost store's
stamp records from the packs (signed tree, manifest, every proof made again).
This measures, in one run, each next to its anchor:
- `nit fsck` of a stamped repository, and the unrecorded-batch scan alone;
- `nit fsck --repair` of that repository with `store.db` deleted, and the
  re-making of the stamp records alone (the same repository with its stamp
  rows deleted: scan, checks, proofs, rows in one transaction);
- the first `nit stamp` of the same artifacts after the repair (it asks the
  chain where each batch went and records it) next to the next one (every
  record settled: only "already stamped").

Run:  .venv/bin/python bench/bench_stamp_repair.py [--artifacts 10000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing, redirect_stdout
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench_stamp import make_artifacts, nit_json  # noqa: E402
from tests.support.anvil import Anvil, deploy_register  # noqa: E402


def quiet(run, args: list[str]) -> int:  # type: ignore[no-untyped-def]
    with redirect_stdout(io.StringIO()):
        return int(run(args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nit-bench-stamprepair-") as tmp, Anvil() as node:
        root = Path(tmp)
        os.environ.update(
            NIT_CONFIG_DIR=str(root / "config"),
            NIT_DATA_DIR=str(root / "data"),
            NIT_PRIVATE_KEY=node.keys[1],
            NIT_PROGRESS="false",
        )
        os.environ.pop("CI", None)
        from tests.support.chain_history import use_network

        from numbers_cli.cli.main import run
        from numbers_cli.ops.fsck import fsck
        from numbers_cli.ops.stamp.recover import record_recovered, unrecorded_batches
        from numbers_cli.repo.repository import Repository
        from numbers_cli.repo.stamps import StampRecords

        use_network(deploy_register(node))
        work = root / "stamp"
        files = make_artifacts(work / "dist", opts.artifacts)
        os.chdir(work)
        run(["init"])
        for start in range(0, len(files), opts.batch):
            names = [str(p.relative_to(work)) for p in files[start : start + opts.batch]]
            nit_json(run, ["stamp", *names, "--hash-only", "--no-ipfs", "--json"])
        names = [str(p.relative_to(work)) for p in files]

        # -- nit fsck, and the scan for batches with no record ------------------------
        repo = Repository.find(work)
        t0 = time.perf_counter()
        whole = fsck(repo)
        fsck_s = time.perf_counter() - t0
        assert whole.ok, whole.problems[:3]
        t0 = time.perf_counter()
        assert unrecorded_batches(repo) == []
        scan_s = time.perf_counter() - t0

        # -- the stamp records alone, re-made ---------------------------------------------
        repo.close()
        with closing(sqlite3.connect(work / ".numbers" / "store.db")) as db:
            db.execute("DELETE FROM stamps")
            db.execute("DELETE FROM stamp_batches")
            db.commit()
        repo = Repository.find(work)
        t0 = time.perf_counter()
        found = unrecorded_batches(repo)
        with repo.transaction():
            for recovered in found:
                record_recovered(repo, recovered)
        remake_s = time.perf_counter() - t0
        leaves = sum(r.record.leaves for r in found)
        assert leaves == len(files), leaves
        repo.close()

        # -- store.db lost: nit fsck --repair ----------------------------------------------
        for suffix in ("", "-wal", "-shm"):
            (work / ".numbers" / f"store.db{suffix}").unlink(missing_ok=True)
        t0 = time.perf_counter()
        repaired = fsck(Repository.find(work), repair=True)
        repair_s = time.perf_counter() - t0
        assert repaired.ok, repaired.problems[:3]
        repo = Repository.find(work)
        assert len(StampRecords(repo.db).unsettled()) == len(found)
        repo.close()

        # -- the next stamps: settle by a chain read, then settled ---------------------------
        t0 = time.perf_counter()
        first = quiet(run, ["stamp", *names, "--hash-only", "--no-ipfs"])
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = quiet(run, ["stamp", *names, "--hash-only", "--no-ipfs"])
        second_s = time.perf_counter() - t0
        assert (first, second) == (24, 24), (first, second)

    n = len(files)
    batches = len(found)
    print(file=sys.stderr)
    print(f"stamp records through a lost store.db; {n:,} artifacts in {batches} batches (anvil)")
    print(f"  nit fsck of the repository          {fsck_s:.2f} s")
    print(f"    of which the unrecorded-batch scan {scan_s:.2f} s ({scan_s / fsck_s:.0%})")
    print(f"  store.db lost: nit fsck --repair     {repair_s:.2f} s")
    print(
        f"    of which re-making the stamp records {remake_s:.2f} s "
        f"({remake_s / repair_s:.0%}; {n / remake_s:,.0f} leaves/s)"
    )
    print(f"  first nit stamp after the repair      {first_s:.2f} s (asks the chain, records)")
    print(f"  the next one (anchor: all settled)    {second_s:.2f} s")


if __name__ == "__main__":
    main()
