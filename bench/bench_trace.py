"""`nit trace --remote` of a 1,000-commit asset with 100 derived assets, and
`nit proof verify` of its 1,000-commit bundle offline.

Targets (issue 11): trace ≤ 3 s end to end, warm; proof verify ≤ 1 s offline.

Run:  .venv/bin/python bench/bench_trace.py [--commits 1000] [--derived 100] [--runs 3] [--ipfs]

Set-up (not timed): a private anvil and register; the subject's --commits
commits and --derived child assets (one commit each, parentAssetCid = the
subject) in a repository's store and refs, all registered on chain. With
--ipfs, a real js-ipfs node is the repository's remote and the derived
assets' trees are only there (as if made elsewhere): the first trace fetches
them (timed once, "cold") and keeps them, as `nit trace` does.

Timed, each in a new process as a user runs it: `nit trace SUBJECT --remote
--json` (warm: one untimed run first, which also writes the .pyc files a
PYTHONDONTWRITEBYTECODE environment would otherwise make every run compile),
`nit proof verify BUNDLE --trusted-block @FILE --json` (no network at all),
and anchors in the same run: `nit --version` (interpreter and CLI start-up),
`nit log SUBJECT --remote --json` (the 1,000-commit chain read that trace
also does) and `python -c "import rlp, trie"` (the kept RLP/trie libraries'
import alone, which every proof check pays).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lineage_setup import asset_nid, nit_process, signed, store, timed
from tests.support.anvil import Anvil, deploy_register
from tests.support.chain_history import use_network
from tests.support.ipfs_node import IpfsNode

from numbers_cli.chain import ChainClient
from numbers_cli.repo.repository import Repository

TRACE_TARGET = 3.0
VERIFY_TARGET = 1.0
NETWORK = "benchnet"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--derived", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--ipfs", action="store_true", help="derived assets' trees only on a real IPFS node"
    )
    args = parser.parse_args()
    subject = asset_nid("bench subject")
    print(f"nit trace: subject with {args.commits} commits, {args.derived} derived assets")
    print(f"  load average at start: {_load()}")
    with contextlib.ExitStack() as stack:
        anvil = stack.enter_context(Anvil())
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        node = stack.enter_context(IpfsNode(home / "ipfs")) if args.ipfs else None
        network = deploy_register(anvil, NETWORK)
        started = time.perf_counter()
        items = [(subject, *signed(subject, n)) for n in range(args.commits)]
        for k in range(args.derived):
            child = asset_nid(f"bench derived {k}")
            items.append((child, *signed(child, 0, parent=subject)))
        work = home / "repo"
        work.mkdir()
        repo = Repository.init(work)
        elsewhere = items[args.commits :] if node is not None else []
        store(repo, items, trees_of=None if node is None else {a for a, _, _ in items[:1]})
        for _, tree, _ in elsewhere:  # raw CIDv1 blocks, the Nids of the trees
            node.rpc_upload("block/put", {"format": "raw", "cid-base": "base32"}, tree)
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
        use_network(network, network.name)

        compiling = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if node is not None:
            nit_process(["remote", "add", "node", node.api_url, "--global"], work, env)

        def trace(run_env: dict[str, str] = env) -> None:
            _, _, out = nit_process(["trace", subject, "--remote", "--json"], work, run_env)
            report = json.loads(out)
            assert report["ok"] and len(report["nodes"]) == 1 + args.derived
            assert len(report["nodes"][0]["versions"]) == args.commits
            where = {v["treeWhere"] for n in report["nodes"] for v in n["versions"]}
            assert where == {"local"} or (node is not None and where == {"local", "ipfs"})

        print("timed (each a new process):")
        if node is not None:
            timed(f"cold: nit trace, {len(elsewhere)} trees fetched from IPFS", 1, lambda: trace())
        trace(compiling)  # warm: page cache, .pyc files
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

        def verify(run_env: dict[str, str] = offline) -> None:
            _, _, out = nit_process(
                ["proof", "verify", "b.json", "--trusted-block", "@trusted.txt", "--json"],
                work,
                run_env,
            )
            assert json.loads(out)["ok"]

        verify({k: v for k, v in offline.items() if k != "PYTHONDONTWRITEBYTECODE"})  # warm
        timed(
            "anchor: python -c 'import rlp, trie'",
            args.runs,
            lambda: subprocess.run([sys.executable, "-c", "import rlp, trie"], check=True),
        )
        verify_times = timed(
            f"nit proof verify ({args.commits:,} commits, offline)", args.runs, verify
        )
    print(f"  load average at end: {_load()}")
    for label, best, target in (
        ("trace", min(trace_times), TRACE_TARGET),
        ("proof verify", min(verify_times), VERIFY_TARGET),
    ):
        verdict = "meets" if best <= target else "MISSES"
        print(f"result: {label} {best:.2f} s {verdict} the {target:.0f} s target")
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


if __name__ == "__main__":
    raise SystemExit(main())
