"""Gas of every market action on a real anvil, next to its anchors measured in the same run.

Why: each action costs its sender gas. The issue's targets are mint <= 120k
and buy <= 150k gas, each including the EIP-712 check; the anchors are a bare
OpenZeppelin ERC-721 mint (tests/support/contracts/PlainERC721) and a Numbers
commit on the IntegrityRegister (a realistic ~830-byte commit JSON, as
bench/bench_gas.py sends). Gas is deterministic for a given state, so one run
is the figure; the state each action runs in is said (a first purchase
creates the payees' balances, a later one only adds to them).

Run:  .venv/bin/python bench/bench_market_gas.py [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from bench_gas import commit_data, nid  # noqa: E402
from tests.support.anvil import TEST_CHAIN_ID, Anvil  # noqa: E402
from tests.support.market import address_of, deploy, deploy_market, sign_mint, test_abi  # noqa: E402

from numbers_cli.chain import ChainClient, Network  # noqa: E402
from numbers_cli.chain.custody import CustodyContract, token_id  # noqa: E402
from numbers_cli.chain.licenses import LicensesContract  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows: list[tuple[str, int, str]] = []

    with Anvil() as node:
        bare = Network(name="bench", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=None)
        with ChainClient(bare, poll_interval=0.02) as client:
            admin, holder_key, buyer_key, payee_key = (
                node.keys[0],
                node.keys[1],
                node.keys[2],
                node.keys[3],
            )
            holder, payee = address_of(holder_key), address_of(payee_key)

            def gas(calls: list[dict], key: str) -> int:
                (receipt,) = client.send_calls(calls, key, what="bench")
                return receipt.gas_used

            # Anchors.
            register = client.deploy_integrity_register(admin)
            reg_client = ChainClient(Network("bench", TEST_CHAIN_ID, node.rpc_url, register))
            first = nid("anchor-1")
            (r1,) = reg_client.send_commits([(first, commit_data(first, 0))], holder_key)
            (r2,) = reg_client.send_commits([(first, commit_data(first, 1))], holder_key)
            reg_client.close()
            plain_abi = test_abi("PlainERC721")
            plain = deploy(client, admin, plain_abi)
            plain_first = gas(
                [{"to": plain, "data": plain_abi.encode_call("mint", holder, 1)}], holder_key
            )
            plain_next = gas(
                [{"to": plain, "data": plain_abi.encode_call("mint", holder, 2)}], holder_key
            )
            newcomer = address_of(node.keys[6])  # holds no token of either contract yet
            plain_move = gas(
                [{"to": plain, "data": plain_abi.encode_call("transferFrom", holder, newcomer, 1)}],
                holder_key,
            )
            rows += [
                ("anchor: OpenZeppelin ERC-721 mint, recipient's first token", plain_first, ""),
                ("anchor: OpenZeppelin ERC-721 mint, recipient holds one", plain_next, ""),
                ("anchor: OpenZeppelin ERC-721 transfer to a new holder", plain_move, ""),
                ("anchor: Numbers commit, first of an asset", r1.gas_used, ""),
                ("anchor: Numbers commit, later one", r2.gas_used, ""),
            ]

            custody_address, licenses_address = deploy_market(client, admin)
            custody = CustodyContract(client, custody_address)
            licenses = LicensesContract(client, licenses_address)
            metadata = hashlib.sha256(b"metadata").digest()

            def mint(asset: str, royalty: int, to: str = holder) -> int:
                signature = sign_mint(holder_key, asset, to, TEST_CHAIN_ID, custody_address)
                call = custody.mint_call(asset, to, metadata, royalty, holder, signature)
                return gas([call], holder_key)

            assets = [nid(f"asset-{n}") for n in range(4)]
            fresh = address_of(node.keys[5])
            rows += [
                ("mint, holder's first token, no royalty", mint(assets[0], 0), "<= 120000"),
                ("mint, holder has tokens, no royalty", mint(assets[1], 0), "<= 120000"),
                ("mint, holder has tokens, with royalty", mint(assets[2], 250), "<= 120000"),
                (
                    "mint, recipient's first token, with royalty",
                    mint(assets[3], 250, fresh),
                    "<= 120000",
                ),
            ]
            # Transfers to new holders: the first one of a token also writes ERC721's owner
            # slot (Custody's mint keeps the holder in its packed per-token slot instead).
            moved = token_id(assets[1])
            first_move = gas([custody.transfer_call(holder, newcomer, moved)], holder_key)
            later_move = gas([custody.transfer_call(newcomer, fresh, moved)], node.keys[6])
            rows += [
                ("transfer to a new holder, the token's first transfer", first_move, ""),
                ("transfer to a new holder, a later one (sender's last token)", later_move, ""),
            ]
            tid = token_id(assets[0])
            rows.append(
                ("set rules (usage flags)", gas([custody.set_usage_call(tid, 7)], holder_key), "")
            )
            rows.append(
                (
                    "set revenue plan (2 payees)",
                    gas([licenses.set_plan_call(tid, [(holder, 7000), (payee, 3000)])], holder_key),
                    "",
                )
            )
            terms = nid("terms")
            offer_gas = gas([licenses.create_offer_call(tid, terms, 10**16, 100, 0, 3)], holder_key)
            rows.append(("offer (first of the asset)", offer_gas, ""))
            rows.append(
                (
                    "offer (later one)",
                    gas([licenses.create_offer_call(tid, terms, 10**16, 100, 0, 2)], holder_key),
                    "",
                )
            )
            buy = licenses.buy_call(1, 10**16)
            rows.append(
                ("buy, 2 payees credited for the first time", gas([buy], buyer_key), "<= 150000")
            )
            rows.append(("buy, same buyer and payees again", gas([buy], buyer_key), "<= 150000"))
            other_buyer = node.keys[4]
            rows.append(("buy, a new buyer", gas([buy], other_buyer), "<= 150000"))
            rows.append(("withdraw", gas([licenses.withdraw_call()], payee_key), ""))
            rows.append(
                (
                    "hand-over (appoint a governor)",
                    gas([custody.set_governor_call(tid, payee)], holder_key),
                    "",
                )
            )
            rows.append(
                (
                    "take-back (by the governor)",
                    gas([custody.set_governor_call(tid, None)], payee_key),
                    "",
                )
            )

    if args.json:
        print(
            json.dumps([{"action": a, "gas": g, "target": t or None} for a, g, t in rows], indent=2)
        )
        return
    anchor = next(
        g
        for a, g, _ in rows
        if a.startswith("anchor: OpenZeppelin ERC-721 mint, recipient's first")
    )
    print(f"{'action':<58} {'gas':>8}  {'vs ERC-721 mint':>15}  target")
    for action, used, target in rows:
        ok = ""
        if target:
            ok = " ok" if used <= int(target.split()[-1]) else " OVER"
        print(f"{action:<58} {used:>8}  {used / anchor:>14.2f}x  {target}{ok}")


if __name__ == "__main__":
    main()
