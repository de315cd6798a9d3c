"""`nit stamp` end to end on a real anvil, next to `nit push` of one commit per artifact.

Why: a stamp exists to anchor thousands of build artifacts for the price of
one registration. This measures what a CI job waits for and pays:
- 10,000 artifacts of 1-64 KiB, stamped in batches of 1,000 (ten `nit stamp`
  runs, hash-only as in CI): artifacts/s end to end (read, trees, signed
  commits, Merkle tree, manifest, proofs, one pack, refs, one transaction and
  its receipt) and gas per artifact (target >= 2,000 artifacts/s; <= 200 gas);
- the same 10,000 in one batch: gas per artifact (target <= 30);
- the anchor, in the same run: `nit add` + `nit commit` + `nit push` of 1,000
  of the same artifacts, one registration each;
- verifying one artifact's inclusion offline (stored proof -> leaf -> root ->
  signed batch tree and commit -> recorded registration), median of 200
  (target <= 10 ms), and the `nit verify --offline FILE` command around it;
- `nit fsck` of the stamped repository, and how much of it is checking the
  stamp records (every proof up to its root).

Run:  .venv/bin/python bench/bench_stamp.py [--artifacts 10000] [--batch 1000] [--anchor 1000]
                                            [--profile FILE]

`--profile FILE`: one more stamp of a batch of `--batch` new artifacts under
cProfile, after the measured runs; its statistics go to FILE (pstats) and the
top of them, by own time and cumulative time, to stderr.

Commands run in-process (`cli.main.run`), so imports are paid once; the
figures are of the work, not of Python's start-up.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.anvil import Anvil, deploy_register  # noqa: E402


def make_artifacts(where: Path, count: int, seed: int = 14) -> list[Path]:
    rng = random.Random(seed)
    where.mkdir(parents=True)
    paths = []
    for n in range(count):
        path = where / f"artifact-{n:05}.bin"
        path.write_bytes(rng.randbytes(rng.randint(1024, 64 * 1024)))
        paths.append(path)
    return paths


def nit_json(run, args: list[str]) -> dict:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with redirect_stdout(out):
        code = run(args)
    if code != 0:
        raise SystemExit(f"nit {' '.join(args[:3])} ... failed with exit code {code}")
    return json.loads(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--anchor", type=int, default=1_000, help="artifacts pushed one by one")
    parser.add_argument("--profile", type=Path, help="cProfile one more stamp of --batch into FILE")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nit-bench-stamp-") as tmp, Anvil() as node:
        root = Path(tmp)
        os.environ.update(
            NIT_CONFIG_DIR=str(root / "config"),
            NIT_DATA_DIR=str(root / "data"),
            NIT_PRIVATE_KEY=node.keys[1],
            NIT_PROGRESS="false",
        )
        os.environ.pop("CI", None)
        from tests.support.chain_history import use_network

        from numbers_cli.chain import ChainClient
        from numbers_cli.cli.main import run
        from numbers_cli.config import Config
        from numbers_cli.ops.stamp.verify import check_evidence, evidence_of
        from numbers_cli.repo.repository import Repository
        from numbers_cli.repo.stamps import StampRecords

        network = deploy_register(node)
        use_network(network)
        stamp_work = root / "stamp"
        files = make_artifacts(stamp_work / "dist", opts.artifacts)
        size = sum(p.stat().st_size for p in files)
        os.chdir(stamp_work)
        run(["init"])

        # -- batches of --batch ------------------------------------------------------
        gas_small: list[float] = []
        started = time.perf_counter()
        for start in range(0, len(files), opts.batch):
            names = [str(p.relative_to(stamp_work)) for p in files[start : start + opts.batch]]
            report = nit_json(run, ["stamp", *names, "--hash-only", "--no-ipfs", "--json"])
            (batch,) = report["batches"]
            gas_small.append(batch["gasUsed"] / batch["leaves"])
        stamp_elapsed = time.perf_counter() - started

        # -- one batch of everything ----------------------------------------------------
        started = time.perf_counter()
        names = [str(p.relative_to(stamp_work)) for p in files]
        report = nit_json(
            run,
            [
                "stamp",
                *names,
                "--again",
                "--hash-only",
                "--no-ipfs",
                "--json",
                "--batch-size",
                str(len(files)),
            ],
        )
        big_elapsed = time.perf_counter() - started
        (big,) = report["batches"]

        # -- offline inclusion verify ---------------------------------------------------
        repo = Repository.find(stamp_work)
        records = StampRecords(repo.db)
        sample = random.Random(1).sample(files, min(200, len(files)))
        from numbers_cli.ops.ingest import ingest

        nids = [ingest(p, None).nid for p in sample]
        timings = []
        for nid in nids:
            t0 = time.perf_counter()
            record, entry = records.of_asset(nid)[0]
            evidence, _ = evidence_of(repo, record, entry)
            checks = check_evidence(evidence, None)
            timings.append(time.perf_counter() - t0)
            assert all(c.ok for c in checks), checks
        pure = []
        for nid in nids[:50]:
            record, entry = records.of_asset(nid)[0]
            evidence, _ = evidence_of(repo, record, entry)
            t0 = time.perf_counter()
            check_evidence(evidence, None)
            pure.append(time.perf_counter() - t0)
        out = io.StringIO()
        t0 = time.perf_counter()
        with redirect_stdout(out):
            code = run(["verify", "--offline", str(sample[0].relative_to(stamp_work))])
        verify_cmd = time.perf_counter() - t0
        assert code == 0, out.getvalue()

        # -- nit fsck: what checking every stamp record adds ----------------------------
        from numbers_cli.ops.fsck import fsck
        from numbers_cli.ops.stamp.check import check_stamps

        t0 = time.perf_counter()
        whole = fsck(repo)
        fsck_elapsed = time.perf_counter() - t0
        assert whole.ok, whole.problems
        t0 = time.perf_counter()
        stamp_batches, stamp_leaves = check_stamps(repo, lambda name, message: None)
        stamps_elapsed = time.perf_counter() - t0
        repo.close()

        if opts.profile is not None:  # not measured: one more batch, under cProfile
            _profile(run, stamp_work, opts.batch, opts.profile)

        # -- the anchor: one nit push per artifact ---------------------------------------
        push_work = root / "push"
        push_work.mkdir()
        anchor_files = files[: opts.anchor]
        for p in anchor_files:
            (push_work / p.name).write_bytes(p.read_bytes())
        os.chdir(push_work)
        run(["init"])
        started = time.perf_counter()
        for args in (["add", "."], ["commit", "-m", "bench"]):
            if run(args) != 0:
                raise SystemExit(f"nit {args[0]} failed")
        add_commit = time.perf_counter() - started
        pushed = nit_json(run, ["push", "--no-ipfs", "--json"])
        push_elapsed = time.perf_counter() - started
        with ChainClient(network) as client:
            push_gas = [client.receipt(c["tx_hash"]).gas_used for c in pushed["commits"]]
        del Config

    n = len(files)
    print(file=sys.stderr)
    print(
        f"nit stamp on anvil; {n:,} artifacts of 1-64 KiB ({size / 2**20:.0f} MiB), hash-only, no IPFS"
    )
    print(f"  batches of {opts.batch:,} ({n // opts.batch} stamps):")
    print(f"    wall time          {stamp_elapsed:.2f} s")
    print(f"    throughput         {n / stamp_elapsed:,.0f} artifacts/s (target >= 2,000)")
    print(f"    gas per artifact   {statistics.mean(gas_small):,.1f} (target <= 200)")
    print(f"  one batch of {n:,}:")
    print(f"    wall time          {big_elapsed:.2f} s ({n / big_elapsed:,.0f} artifacts/s)")
    print(
        f"    gas per artifact   {big['gasUsed'] / big['leaves']:,.1f} (target <= 30; {big['gasUsed']:,} in all)"
    )
    print("  offline inclusion verify (proof -> root -> signed batch -> recorded registration):")
    print(
        f"    from the repository  median {statistics.median(timings) * 1e3:.2f} ms, max {max(timings) * 1e3:.2f} ms (target <= 10 ms)"
    )
    print(f"    checks alone         median {statistics.median(pure) * 1e3:.2f} ms")
    print(f"    nit verify --offline FILE (in-process, whole command) {verify_cmd * 1e3:.1f} ms")
    print(
        f"  nit fsck of that repository: {fsck_elapsed:.2f} s in all; of which the stamp "
        f"records ({stamp_batches} batches, {stamp_leaves:,} leaves) {stamps_elapsed:.2f} s"
    )
    print(
        f"anchor, same run: nit add + commit + push of {len(anchor_files):,} of the same artifacts"
    )
    print(f"    wall time          {push_elapsed:.2f} s (add + commit {add_commit:.2f} s)")
    print(f"    throughput         {len(anchor_files) / push_elapsed:,.0f} artifacts/s")
    print(f"    gas per artifact   {statistics.mean(push_gas):,.0f}")
    print(
        f"ratios: stamp/push throughput {(n / stamp_elapsed) / (len(anchor_files) / push_elapsed):.1f}x, "
        f"gas {statistics.mean(push_gas) / statistics.mean(gas_small):,.0f}x less at {opts.batch:,} per batch"
    )


def _profile(run, work: Path, count: int, out: Path) -> None:  # type: ignore[no-untyped-def]
    import cProfile
    import pstats

    files = make_artifacts(work / "profiled", count, seed=41)
    names = [str(p.relative_to(work)) for p in files]
    profiler = cProfile.Profile()
    profiler.enable()
    nit_json(run, ["stamp", *names, "--hash-only", "--no-ipfs", "--json"])
    profiler.disable()
    profiler.dump_stats(out)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    print(f"\ncProfile of one stamp of {count:,} artifacts ({out}):", file=sys.stderr)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
