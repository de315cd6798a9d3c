"""Set-up shared by bench_trace.py and bench_scan.py: signed lineages, stored and registered.

Commits are real (trees as `nit add` writes them, EIP-191 signatures with the
model code `nit commit` uses) and are written straight into a repository's
store and refs, then registered with the pipelined sender: building 10,000
of them through the CLI would time the CLI, not what is measured.
"""

from __future__ import annotations

import hashlib
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.chain_history import signed_commit  # noqa: E402

from numbers_cli.model.nid import Nid  # noqa: E402
from numbers_cli.model.tree import AssetTree  # noqa: E402
from numbers_cli.repo.repository import Repository  # noqa: E402
from numbers_cli.wallet import Signer, parse_private_key  # noqa: E402

SIGNING_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
_SIGNER = Signer(parse_private_key(SIGNING_KEY))


def asset_nid(label: str) -> str:
    return str(Nid.of_bytes(label.encode()))


def signed(asset: str, n: int, parent: str | None = None) -> tuple[bytes, str]:
    """(tree bytes, commitData) of version `n` of `asset`."""
    tree = AssetTree.new(
        {
            "assetCid": asset,
            "assetSha256": hashlib.sha256(asset.encode()).hexdigest(),
            "encodingFormat": "image/jpeg",
            "assetTimestampCreated": 1_700_000_000,
            "assetCreator": "Bench",
            "parentAssetCid": parent,
            "license": {
                "name": "CC-BY-4.0",
                "document": "https://creativecommons.org/licenses/by/4.0/legalcode",
            },
            "abstract": f"version {n}",
        }
    )
    data = tree.to_bytes()
    commit = signed_commit(
        data,
        _SIGNER,
        abstract=f"Commit {n}.",
        timestamp=1_700_000_000 + n,
        action="action-initial-registration" if n == 0 else "action-commit",
    )
    return data, commit.to_chain()


def store(
    repo: Repository,
    items: Sequence[tuple[str, bytes, str]],
    *,
    refs: bool = True,
    trees_of: set[str] | None = None,
) -> None:
    """Put (asset, tree, commitData) into the store; with `refs`, append them to refs/heads.

    `trees_of`: only these assets' trees are stored (None: all), the others' trees
    being somewhere else (an IPFS node) as if made on another machine.
    """
    with repo.transaction() as txn:
        for asset, tree, commit_data in items:
            if trees_of is None or asset in trees_of:
                repo.objects.put_block(Nid.of_bytes(tree), tree)
            data = commit_data.encode()
            commit = Nid.of_bytes(data)
            repo.objects.put_block(commit, data)
            if refs:
                txn.append_commit(asset, commit)


def nit_process(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Run `python -m numbers_cli ARGV`: (seconds, peak RSS in KiB of that process, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "numbers_cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # grows monotonically: see peak_rss
    if process.returncode not in (0,):
        raise SystemExit(f"nit {' '.join(argv)} failed ({process.returncode}): {err[-800:]}")
    return elapsed, int(usage.ru_maxrss), out


def peak_rss_of(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Like nit_process, but the peak RSS of that one process (os.wait4), in KiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "numbers_cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"nit {' '.join(argv)} failed ({process.returncode}): {err[-800:]}")
    return elapsed, int(usage.ru_maxrss), out


def timed(label: str, runs: int, fn: Callable[[], object], width: int = 52) -> list[float]:
    """Run `fn` `runs` times and print the times (`print_times`)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    print_times(label, times, width)
    return times


def print_times(label: str, times: Sequence[float], width: int = 52) -> None:
    """One result line: min, median and every time, the label `width` wide."""
    print(
        f"  {label:{width}} min {min(times):.3f} s  median {statistics.median(times):.3f} s"
        f"  ({', '.join(f'{t:.3f}' for t in times)})"
    )
