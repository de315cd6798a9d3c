"""`nit log NID --remote --json` of an asset with a long on-chain history, end to end.

Why: the on-chain history is what a verifier reads; an asset edited often
(a newsroom photo, an AI pipeline's output) gathers hundreds of commits, and
every one's signature is checked. Target (issue 9): 1,000 commits in at most
0.6 s end to end, as a real `nit` process. The anchor, timed in turn with it,
is `python -c pass`: the machine may be shared, and the difference between
the two is what nit itself takes.

Run:  .venv/bin/python bench/bench_log_remote.py [--commits 1000] [--runs 5]

Set-up (not timed): a private anvil, a fresh IntegrityRegister, and --commits
real commits of one asset — each its own AssetTree, signed EIP-191 by a test
key with the model code `nit commit` uses — registered with the pipelined
sender. Timed: `nit log NID --remote --json` as a user runs it (the installed
`nit` script in a new process: interpreter start, imports, getCommits,
eth_getLogs, decoding, signature recovery, JSON out) in turn with the anchor,
then in-process (imports warm), then the phases on their own, so a
regression shows where it is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from lineage_setup import print_times, signed  # noqa: E402
from lineage_setup import timed as timed_at  # noqa: E402
from tests.support.anvil import Anvil, deploy_register  # noqa: E402
from tests.support.chain_history import use_network  # noqa: E402

from numbers_cli.chain import ChainClient, Network  # noqa: E402
from numbers_cli.model.commit import Commit  # noqa: E402
from numbers_cli.model.nid import Nid  # noqa: E402

TARGET_SECONDS = 0.6
NETWORK = "benchnet"
LABEL_WIDTH = 44
timed = partial(timed_at, width=LABEL_WIDTH)


def signed_commits(asset: str, count: int) -> list[str]:
    """`count` real commits of `asset`: distinct trees, each signed, as `nit commit` makes them."""
    return [signed(asset, n)[1] for n in range(count)]


def check_output(text: str, count: int) -> None:
    entries = json.loads(text)
    assert [e["index"] for e in entries] == list(range(count)), "wrong commits listed"
    assert all(e["signatureValid"] for e in entries), "a signature failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    asset = str(Nid.of_bytes(b"bench asset with a long history"))
    print(f"nit log --remote --json of one asset with {args.commits} commits")
    with Anvil() as anvil, tempfile.TemporaryDirectory() as home:
        network = deploy_register(anvil, NETWORK)

        started = time.perf_counter()
        commits = signed_commits(asset, args.commits)
        print(f"  set-up: signed {len(commits)} commits in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with ChainClient(network, poll_interval=0.02) as chain:
            chain.send_commits([(asset, c) for c in commits], anvil.keys[1])
        print(f"  set-up: registered them in {time.perf_counter() - started:.1f} s")

        os.environ["NIT_CONFIG_DIR"] = str(Path(home) / "config")
        os.environ.pop("NIT_NETWORK", None)
        use_network(network, network.name)
        argv = ["log", asset, "--remote", "--network", NETWORK, "--json"]

        print("timed:")

        script = Path(sys.executable).with_name("nit")
        nit = [str(script)] if script.exists() else [sys.executable, "-m", "numbers_cli"]
        cold: list[float] = []
        bare: list[float] = []
        cold_cpu: list[float] = []

        def cpu_now() -> float:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime

        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - started)
            cpu_before = cpu_now()
            started = time.perf_counter()
            done = subprocess.run(
                [*nit, *argv], cwd=home, capture_output=True, text=True, check=False
            )
            cold.append(time.perf_counter() - started)
            cold_cpu.append(cpu_now() - cpu_before)
            assert done.returncode == 0, done.stderr
            check_output(done.stdout, args.commits)
        for label, values in (
            ("anchor: `python -c pass`", bare),
            ("end to end, new process (`nit log ...`)", cold),
            ("  its CPU time (user + system)", cold_cpu),
        ):
            print_times(label, values, LABEL_WIDTH)

        from numbers_cli.cli.main import run

        def in_process() -> None:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = run(argv)
            assert code == 0
            check_output(out.getvalue(), args.commits)

        cwd = os.getcwd()
        os.chdir(home)
        try:
            timed("in-process (imports warm)", args.runs, in_process)
        finally:
            os.chdir(cwd)

        _phases(network, Nid(asset), args.runs)

    median = statistics.median(cold)
    verdict = "meets" if median <= TARGET_SECONDS else "MISSES"
    print(
        f"result: median {median:.2f} s end to end ({median - statistics.median(bare):.2f} s "
        f"over bare Python) {verdict} the {TARGET_SECONDS} s target"
    )
    return 0


def _phases(network: Network, asset: Nid, runs: int) -> None:
    """The same work, phase by phase, in this process."""
    from numbers_cli.model import jsjson
    from numbers_cli.ops.remote_history import remote_log
    from numbers_cli.ops.signatures import check_signature

    with ChainClient(network) as chain:
        chain.check()
        blocks: list[int] = []
        timed("  getCommits", runs, lambda: blocks.extend(chain.get_commits(asset)) or None)
        timed("  eth_getLogs (chunked ranges)", runs, lambda: chain.commit_logs(asset, blocks[:]))
        records = chain.commit_logs(asset, sorted(set(blocks)))
        parsed = [Commit.from_json(r.commit_data) for r in records]
        timed(
            "  decode + commit Nids",
            runs,
            lambda: [
                (Nid.of_bytes(r.commit_data.encode()), Commit.from_json(r.commit_data))
                for r in records
            ],
        )
        timed("  signature recovery", runs, lambda: [check_signature(c) for c in parsed])
        result = remote_log(chain, asset)
        timed("  JSON rendering", runs, lambda: jsjson.stringify(result.to_json(), indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
