"""The IntegrityRegister and ChainClient on a real anvil: what is recorded, and how it reads back.

Log checks decode raw JSON-RPC logs independently (eth_abi/eth_utils here, not
the adapter's decoder), so a bug shared by the writer and the reader of the
adapter cannot make the test pass.
"""

from __future__ import annotations

import json

import pytest
from eth_abi import decode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from tests.support.anvil import Anvil

from numbers_cli.chain import ChainClient, CommitRecord, Network
from numbers_cli.chain.history_reads import _block_ranges
from numbers_cli.chain.register import encode_call
from numbers_cli.errors import NetworkError

NID_A = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
NID_B = "bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu"


def commit_json(nid: str, n: int) -> str:
    """A compact commit-shaped string (its content does not matter to the chain)."""
    return json.dumps(
        {"assetTreeCid": nid, "abstract": f"commit {n}", "timestampCreated": 1_700_000_000 + n},
        separators=(",", ":"),
    )


def address_of(key: str) -> str:
    return str(Account.from_key(key).address)


def test_commits_are_recorded_in_order_per_nid(chain: ChainClient, anvil: Anvil) -> None:
    items = [(NID_A, commit_json(NID_A, 0)), (NID_B, commit_json(NID_B, 0))]
    items += [(NID_A, commit_json(NID_A, 1)), (NID_A, commit_json(NID_A, 2))]
    receipts = chain.send_commits(items, anvil.keys[1])

    blocks_a = [r.block_number for (nid, _), r in zip(items, receipts, strict=True) if nid == NID_A]
    assert chain.get_commits(NID_A) == blocks_a
    assert chain.get_commits(NID_B) == [receipts[1].block_number]
    assert chain.get_commits("bafkreinothere") == []

    history = chain.history(NID_A)
    assert [record.commit_data for record in history] == [commit_json(NID_A, n) for n in range(3)]
    assert [record.tx_hash for record in history] == [
        receipts[0].tx_hash,
        receipts[2].tx_hash,
        receipts[3].tx_hash,
    ]
    assert all(record.nid == NID_A for record in history)
    assert all(record.recorder == address_of(anvil.keys[1]) for record in history)
    assert chain.history("bafkreinothere") == []


def test_commit_returns_its_block_number(chain: ChainClient, anvil: Anvil) -> None:
    data = "0x" + encode_call("commit", NID_A, "{}").hex()
    call = {"from": address_of(anvil.keys[2]), "to": chain.contract_address(), "data": data}
    result = anvil.rpc("eth_call", [call, "pending"])
    (block,) = decode(["uint256"], bytes.fromhex(str(result)[2:]))
    assert block == chain.block_number() + 1


def test_commit_event_topics_and_data(chain: ChainClient, anvil: Anvil) -> None:
    commit_data = commit_json(NID_A, 7) + " ünïcode ✓"
    (receipt,) = chain.send_commits([(NID_A, commit_data)], anvil.keys[3])
    raw = anvil.rpc("eth_getTransactionReceipt", [receipt.tx_hash])
    assert isinstance(raw, dict)
    (log,) = raw["logs"]
    assert to_checksum_address(log["address"]) == chain.contract_address()
    topic0, topic1, topic2 = log["topics"]
    assert topic0 == "0x" + keccak(text="Commit(address,string,string)").hex()
    assert to_checksum_address("0x" + topic1[-40:]) == address_of(anvil.keys[3])
    assert topic2 == "0x" + keccak(NID_A.encode("utf-8")).hex()
    assert decode(["string"], bytes.fromhex(log["data"][2:])) == (commit_data,)

    (record,) = chain.history(NID_A)
    assert record == CommitRecord(
        nid=NID_A,
        commit_data=commit_data,
        recorder=address_of(anvil.keys[3]),
        block_number=receipt.block_number,
        tx_hash=receipt.tx_hash,
        log_index=int(log["logIndex"], 16),
    )


def test_any_address_may_commit(chain: ChainClient, anvil: Anvil) -> None:
    chain.send_commits([(NID_A, "first")], anvil.keys[4])
    stranger = Account.create()
    chain.fund(anvil.keys[0], stranger.address, 10**17)
    chain.send_commits([(NID_A, "second")], stranger.key)
    history = chain.history(NID_A)
    assert [(r.commit_data, r.recorder) for r in history] == [
        ("first", address_of(anvil.keys[4])),
        ("second", stranger.address),
    ]


def _first_per_index(events: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    """Each index's first (index, hash, nonce) event, in the order they happened."""
    seen: set[int] = set()
    firsts = []
    for event in events:
        if event[0] not in seen:
            seen.add(event[0])
            firsts.append(event)
    return firsts


@pytest.mark.parametrize("max_in_flight", [64, 7])
def test_pipelined_send_of_50_commits(devnet: Network, anvil: Anvil, max_in_flight: int) -> None:
    """All land, in nonce order, each signed and sent once unless a stall made it re-sent;
    also when sent 7 at a time."""
    chain = ChainClient(devnet, poll_interval=0.02, max_in_flight=max_in_flight, resend_after=2.0)
    nids = [NID_A, NID_B, "bafkreithird"]
    items = [(nids[n % 3], commit_json(nids[n % 3], n) + "x" * 500) for n in range(50)]
    signed: list[tuple[int, str, int]] = []
    sent: list[tuple[int, str, int]] = []
    mined: dict[int, str] = {}
    sender = address_of(anvil.keys[5])
    start_nonce = int(str(anvil.rpc("eth_getTransactionCount", [sender, "pending"])), 16)

    receipts = chain.send_commits(
        items,
        anvil.keys[5],
        on_signed=lambda i, h, n: signed.append((i, h, n)),
        on_sent=lambda i, h, n: sent.append((i, h, n)),
        on_mined=lambda i, r: mined.__setitem__(i, r.tx_hash),
    )

    assert len(receipts) == 50
    assert all(r.succeeded for r in receipts)
    # Each index signed and sent once, in nonce order. A chain that stalls (a loaded
    # machine) gets a stuck transaction re-sent with higher fees: same index and
    # nonce, a new hash, and either version may be the one mined.
    first_signed = _first_per_index(signed)
    assert [n for _, _, n in first_signed] == list(range(start_nonce, start_nonce + 50))
    assert [i for i, _, _ in first_signed] == list(range(50))
    first_sent = _first_per_index(sent)
    assert first_sent == first_signed
    nonce_of = {i: n for i, _, n in first_signed}
    assert all(n == nonce_of[i] for i, _, n in signed + sent)
    hashes: dict[int, set[str]] = {}
    for i, h, _ in sent:
        hashes.setdefault(i, set()).add(h)
    assert set(mined) == set(range(50)) and all(mined[i] in hashes[i] for i in mined)
    assert [r.tx_hash for r in receipts] == [mined[i] for i in range(50)]
    blocks = [r.block_number for r in receipts]
    assert blocks == sorted(blocks)  # nonce order is chain order
    assert all(40_000 < r.gas_used < 120_000 for r in receipts)
    for nid in nids:
        expected = [data for item_nid, data in items if item_nid == nid]
        assert [r.commit_data for r in chain.history(nid)] == expected
        assert chain.get_commits(nid) == [
            r.block_number
            for (item_nid, _), r in zip(items, receipts, strict=True)
            if item_nid == nid
        ]


def test_logs_are_read_in_chunks_across_gaps(chain: ChainClient, anvil: Anvil) -> None:
    chain.send_commits([(NID_A, "one")], anvil.keys[6])
    anvil.rpc("anvil_mine", [hex(25)])
    chain.send_commits([(NID_A, "two"), (NID_A, "three")], anvil.keys[6])
    anvil.rpc("anvil_mine", [hex(7)])
    chain.send_commits([(NID_A, "four")], anvil.keys[6])
    blocks = chain.get_commits(NID_A)
    assert len(_block_ranges(blocks, 3)) == 3
    for chunk in (1, 3, 5000):
        records = chain.commit_logs(NID_A, blocks, chunk=chunk)
        assert [r.commit_data for r in records] == ["one", "two", "three", "four"]


def test_a_listed_block_without_its_event_is_an_error(chain: ChainClient, anvil: Anvil) -> None:
    (receipt,) = chain.send_commits([(NID_A, "only")], anvil.keys[6])
    with pytest.raises(NetworkError, match=r"no Commit event of .* in block 1\b"):
        chain.commit_logs(NID_A, [1, receipt.block_number])


def test_integrity_records(chain: ChainClient, anvil: Anvil) -> None:
    receipt = chain.register_integrity_record(NID_A, '{"device":"x"}', b"\x01" * 65, anvil.keys[7])
    assert receipt.succeeded
    assert chain.get_record_logs(NID_A) == [receipt.block_number]
    assert chain.get_commits(NID_A) == []
    raw = anvil.rpc("eth_getTransactionReceipt", [receipt.tx_hash])
    assert isinstance(raw, dict)
    (log,) = raw["logs"]
    assert log["topics"][0] == "0x" + keccak(text="Integrity(address,string,string,bytes)").hex()
    assert decode(["string", "bytes"], bytes.fromhex(log["data"][2:])) == (
        '{"device":"x"}',
        b"\x01" * 65,
    )


def test_initialize_runs_once(devnet: Network, anvil: Anvil) -> None:
    call = {"to": devnet.contract, "data": "0x" + encode_call("initialize").hex()}
    with pytest.raises(RuntimeError, match="revert"):
        anvil.rpc("eth_call", [call, "latest"])


def test_deploy_leaves_code_matching_the_artifact(devnet: Network, anvil: Anvil) -> None:
    from numbers_cli.contracts import load_artifact

    code = anvil.rpc("eth_getCode", [devnet.contract, "latest"])
    assert code == load_artifact("IntegrityRegister").deployed_bytecode
