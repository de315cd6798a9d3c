"""`nit push` end to end: 1,000 commits from a real repository to a real anvil.

Why: bench_gas.py measures the chain client alone; this is what a user waits
for — plan, reconcile with the chain (batched getCommits), sign, journal
(one fsync per window of 64), pipelined send, receipts, refs written — and
what it costs in gas.

Run:  .venv/bin/python bench/bench_push.py [--commits 1000]

The repository is built first (untimed): --commits small files, added and
committed in one `nit add` / `nit commit`, signed with anvil's second dev key.
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

from tests.support.anvil import TEST_CHAIN_ID, Anvil  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=1000)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nit-bench-push-") as tmp, Anvil() as node:
        root = Path(tmp)
        os.environ.update(
            NIT_CONFIG_DIR=str(root / "config"),
            NIT_DATA_DIR=str(root / "data"),
            NIT_PRIVATE_KEY=node.keys[1],
        )
        from numbers_cli.chain import ChainClient, Network
        from numbers_cli.cli import main as cli_main
        run = cli_main.run
        from numbers_cli.config_writer import set_table_entry
        from numbers_cli.repo.repository import Repository

        bare = Network(name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=None)
        with ChainClient(bare) as client:
            contract = client.deploy_integrity_register(node.keys[0])
        set_table_entry(
            "user",
            "networks",
            "devnet",
            {"rpc": node.rpc_url, "chain_id": TEST_CHAIN_ID, "contract": contract},
        )
        work = root / "work"
        work.mkdir()
        for n in range(opts.commits):
            (work / f"asset-{n:05}.txt").write_text(f"bench asset {n}\n")
        os.chdir(work)
        for args in (["init"], ["add", "."], ["commit", "-m", "bench"]):
            if run(args) != 0:
                raise SystemExit(f"nit {' '.join(args)} failed")

        started = time.perf_counter()
        code = run(["push", "--no-ipfs", "--json"])
        elapsed = time.perf_counter() - started
        if code != 0:
            raise SystemExit(f"nit push failed with exit code {code}")

        repo = Repository.find(work)
        hashes = [
            entry.tx_hash
            for asset in repo.refs.assets()
            for entry in repo.refs.remote_history("devnet", asset)
        ]
        network = Network(
            name="devnet", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=contract
        )
        with ChainClient(network) as client:
            gas = [receipt.gas_used for receipt in map(client.receipt, hashes) if receipt]
        print(file=sys.stderr)
        print(f"nit push of {len(hashes)} commits (initial registrations) to anvil:")
        print(f"  wall time        {elapsed:.2f} s")
        print(f"  throughput       {len(hashes) / elapsed:.0f} commits/s (target >= 100)")
        print(f"  gas per commit   {sum(gas) / len(gas):,.0f} (min {min(gas):,}, max {max(gas):,})")


if __name__ == "__main__":
    main()
