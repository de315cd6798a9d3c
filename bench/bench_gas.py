"""Gas and throughput of registering commits, on a real anvil.

Why: `nit push` of a large library sends thousands of commits; this measures
what one costs in gas (the user pays it) and how fast the pipelined sender
goes, and how long reading back an asset with a long history takes.

Run:  .venv/bin/python bench/bench_gas.py [--commits 1000] [--history 1000]

Phase 1 registers --commits commits of distinct new assets (initial
registrations: each creates its asset's storage, the dearest case). Phase 2
gives one asset --history commits (updates), then times getCommits and the log
query that `nit log --remote` runs. commitData strings are realistic: compact
commit JSON shaped like the spec's real example (about 830 bytes: the
format's fixed fields alone take ~760, so no real commit is much smaller).
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.anvil import TEST_CHAIN_ID, Anvil  # noqa: E402

from numbers_cli.chain import ChainClient, Network, Receipt  # noqa: E402
from numbers_cli.chain.client import _account  # noqa: E402
from numbers_cli.chain.register import encode_call  # noqa: E402


def nid(seed: str) -> str:
    """A well-formed raw-leaf CIDv1 (base32) for a seed: bafkrei..., 59 characters."""
    digest = hashlib.sha256(seed.encode()).digest()
    cid = bytes([0x01, 0x55, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


def commit_data(asset: str, n: int) -> str:
    """Compact commit JSON shaped like the spec's real example (which is 840 bytes).

    Its fixed fields (CIDs, hashes, signature, addresses) alone take about 760
    bytes: a commit in the Numbers format is never much smaller.
    """
    tree = nid(f"tree-{asset}-{n}")
    author = "0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"
    commit = {
        "assetTreeCid": tree,
        "assetTreeSha256": hashlib.sha256(tree.encode()).hexdigest(),
        "assetTreeSignature": "0x" + hashlib.sha512(tree.encode()).hexdigest() + "1b",
        "author": author,
        "committer": author,
        "provider": "bafkreigtmno2wacf4ldb6ewbkboe7oojedsp3dky35djytor6guwzhbdpa",
        "timestampCreated": 1_700_000_000 + n,
        "action": "bafkreicptxn6f752c4pvb6gqwro7s7wb336idkzr6wmolkifj3aafhvwii",
        "actionResult": f"https://{tree}.ipfs.dweb.link",
        "abstract": f"Action action-initial-registration. Commit {n} of {asset[:12]}.",
        "actionName": "action-initial-registration-jade",
    }
    return json.dumps(commit, separators=(",", ":"))


def register(chain: ChainClient, items: list[tuple[str, str]], key: str) -> list[Receipt]:
    """send_commits, timed: total, and until the first transaction was signed
    (gas estimates of all items, fees, the balance check)."""
    first_signed: list[float] = []
    started = time.perf_counter()
    receipts = chain.send_commits(
        items, key, on_signed=lambda i, h, n: first_signed.append(time.perf_counter())
    )
    total = time.perf_counter() - started
    print(
        f"  {len(items)} commits in {total:.2f} s = {len(items) / total:.0f} commits/s "
        f"(checks and gas estimates of all items: {first_signed[0] - started:.2f} s)"
    )
    gas = [receipt.gas_used for receipt in receipts]
    sizes = [len(data.encode()) for _, data in items]
    print(
        f"  gas per commit: min {min(gas)}, avg {statistics.mean(gas):.0f}, max {max(gas)}"
        f"  (commitData {min(sizes)}-{max(sizes)} bytes)"
    )
    return receipts


def signing_cost(key: str, contract: str, data: str) -> str:
    """Milliseconds to sign one commit transaction locally (model.transaction over coincurve)."""
    signer = _account(key)
    calldata = encode_call("commit", nid("x"), data)
    tx = {"chainId": TEST_CHAIN_ID, "to": contract, "data": calldata, "gas": 100_000, "value": 0}
    tx |= {"maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9}
    started = time.perf_counter()
    for nonce in range(200):
        signer.sign({**tx, "nonce": nonce})
    per_tx = (time.perf_counter() - started) / 200 * 1000
    return f"{per_tx:.3f} ms per transaction (libsecp256k1 through coincurve)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000, help="new assets to register")
    parser.add_argument("--history", type=int, default=1000, help="commits of the one long asset")
    parser.add_argument(
        "--max-in-flight", type=int, default=64, help="transactions waiting in the pool at once"
    )
    parser.add_argument("--batch-size", type=int, default=100, help="JSON-RPC calls per request")
    args = parser.parse_args()

    with Anvil() as anvil:
        bare = Network(name="bench", chain_id=TEST_CHAIN_ID, rpc_url=anvil.rpc_url, contract=None)
        with ChainClient(bare) as deployer:
            address = deployer.deploy_integrity_register(anvil.keys[0])
        network = dataclasses.replace(bare, contract=address)
        with ChainClient(
            network,
            batch_size=args.batch_size,
            max_in_flight=args.max_in_flight,
            poll_interval=0.02,
            resend_after=2.0,
        ) as chain:
            print(
                f"anvil {anvil.rpc_url}, IntegrityRegister at {address}, "
                f"max_in_flight {chain.max_in_flight}, batch_size {args.batch_size}"
            )

            print(f"local signing: {signing_cost(anvil.keys[1], address, commit_data('x', 0))}")
            print(f"phase 1: {args.commits} initial registrations (distinct assets)")
            items = [
                (nid(f"asset-{n}"), commit_data(nid(f"asset-{n}"), n)) for n in range(args.commits)
            ]
            register(chain, items, anvil.keys[1])

            long_asset = nid("the-long-asset")
            print(f"phase 2: {args.history} commits of one asset")
            items = [(long_asset, commit_data(long_asset, n)) for n in range(args.history)]
            register(chain, items, anvil.keys[2])

            started = time.perf_counter()
            blocks = chain.get_commits(long_asset)
            got_blocks = time.perf_counter()
            records = chain.commit_logs(long_asset, blocks)
            got_logs = time.perf_counter()
            assert len(records) == args.history, (len(records), args.history)
            print(
                f"read back {len(records)} commits of one asset: getCommits "
                f"{(got_blocks - started) * 1000:.1f} ms, eth_getLogs+decode "
                f"{(got_logs - got_blocks) * 1000:.1f} ms (blocks {blocks[0]}-{blocks[-1]}, "
                f"log_chunk {chain.log_chunk})"
            )


if __name__ == "__main__":
    main()
