"""`nit trace --remote` of a 1,000-commit asset with 100 derived assets, and
`nit proof verify` of its 1,000-commit bundle offline.

Targets (issue 11): trace ≤ 3 s end to end, warm; proof verify ≤ 1 s offline.

Run:  .venv/bin/python bench/bench_trace.py [--commits 1000] [--derived 100] [--runs 3]

Set-up (not timed): a private anvil and register; the subject's --commits
commits and --derived child assets (one commit each, parentAssetCid = the
subject) in a repository's store and refs, all registered on chain. Timed,
each in a new process as a user runs it: `nit trace SUBJECT --remote --json`
(warm: one untimed run first), `nit proof verify BUNDLE --trusted-block @FILE
--json` (no network at all), and two anchors in the same run: `nit --version`
(interpreter and CLI start-up) and `nit log SUBJECT --remote --json` (the
1,000-commit chain read that trace also does).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from lineage_setup import asset_nid, nit_process, signed, store, timed
from tests.support.anvil import TEST_CHAIN_ID, Anvil

from numbers_cli.chain import ChainClient, Network
from numbers_cli.repo.repository import Repository

TRACE_TARGET = 3.0
VERIFY_TARGET = 1.0
NETWORK = "benchnet"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--derived", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    subject = asset_nid("bench subject")
    print(f"nit trace: subject with {args.commits} commits, {args.derived} derived assets")
    with Anvil() as anvil, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        bare = Network(NETWORK, TEST_CHAIN_ID, anvil.rpc_url, None)
        with ChainClient(bare) as deployer:
            contract = deployer.deploy_integrity_register(anvil.keys[0])
        network = Network(NETWORK, TEST_CHAIN_ID, anvil.rpc_url, contract)
        started = time.perf_counter()
        items = [(subject, *signed(subject, n)) for n in range(args.commits)]
        for k in range(args.derived):
            child = asset_nid(f"bench derived {k}")
            items.append((child, *signed(child, 0, parent=subject)))
        work = home / "repo"
        work.mkdir()
        repo = Repository.init(work)
        store(repo, items)
        print(
            f"  set-up: {len(items)} commits signed and stored in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        with ChainClient(network, poll_interval=0.02) as chain:
            chain.send_commits([(a, c) for a, _, c in items], anvil.keys[1])
        print(f"  set-up: registered in {time.perf_counter() - started:.1f} s")

        env = dict(os.environ, NIT_CONFIG_DIR=str(home / "config"), NIT_NETWORK=NETWORK)
        env.pop("NIT_PRIVATE_KEY", None)
        os.environ.update(NIT_CONFIG_DIR=env["NIT_CONFIG_DIR"])
        from numbers_cli.config_writer import set_table_entry

        set_table_entry(
            "user",
            "networks",
            NETWORK,
            {"rpc": anvil.rpc_url, "chain_id": TEST_CHAIN_ID, "contract": contract},
        )

        def trace() -> None:
            _, _, out = nit_process(["trace", subject, "--remote", "--json"], work, env)
            report = json.loads(out)
            assert report["ok"] and len(report["nodes"]) == 1 + args.derived
            assert len(report["nodes"][0]["versions"]) == args.commits

        trace()  # warm: page cache, .pyc files
        print("timed (each a new process):")
        timed("anchor: nit --version", args.runs, lambda: nit_process(["--version"], work, env))
        timed(
            "anchor: nit log SUBJECT --remote --json",
            args.runs,
            lambda: nit_process(["log", subject, "--remote", "--json"], work, env),
        )
        trace_times = timed("nit trace SUBJECT --remote --json", args.runs, trace)

        started = time.perf_counter()
        nit_process(["proof", "export", subject, "--no-content", "-o", "b.json"], work, env)
        bundle = json.loads((work / "b.json").read_text())
        (work / "trusted.txt").write_text("\n".join(bundle["headers"]) + "\n")
        print(
            f"  set-up: exported a bundle of {len(bundle['commits'])} commits, "
            f"{len(bundle['headers'])} blocks, {(work / 'b.json').stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        offline = dict(env, NIT_NETWORK="nowhere")  # no chain configured: nothing to ask

        def verify() -> None:
            _, _, out = nit_process(
                ["proof", "verify", "b.json", "--trusted-block", "@trusted.txt", "--json"],
                work,
                offline,
            )
            assert json.loads(out)["ok"]

        verify_times = timed("nit proof verify (1,000 commits, offline)", args.runs, verify)
    for label, best, target in (
        ("trace", min(trace_times), TRACE_TARGET),
        ("proof verify", min(verify_times), VERIFY_TARGET),
    ):
        verdict = "meets" if best <= target else "MISSES"
        print(f"result: {label} {best:.2f} s {verdict} the {target:.0f} s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
