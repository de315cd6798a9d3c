"""A node that is late the way a loaded anvil is (tests/support/lagging_node.py, in
front of a real anvil): exactly-once must hold, and a late answer is waited for,
not taken for a final one.

Seen under load (load average 10-18): a journalled transaction whose nonce the
node counted as used but whose receipt it served seconds later was judged dead,
so a killed purchase's retry did not finish it; and a register read named a
block that `eth_getLogs` refused as past the node's head.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from eth_account import Account
from tests.support.anvil import Anvil
from tests.support.lagging_node import Lag, lagging_front

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.register import encode_call
from numbers_cli.chain.transactions import _account, _InFlight

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
KEY = 9  # this module's own account on the session's anvil


def sent_nonce(network: Network, key: str) -> int:
    with ChainClient(network) as client:
        address = Account.from_key(key).address
        return client._rpc.call_quantity("eth_getTransactionCount", [address, "pending"])


def test_a_mined_transaction_whose_receipt_is_late_is_finished_not_taken_for_dead(
    devnet: Network, anvil: Anvil
) -> None:
    key = anvil.keys[KEY]
    journal: list[dict[str, Any]] = []
    with ChainClient(devnet, poll_interval=0.02) as direct:
        (mined,) = direct.send_commits([(NID, "late receipt")], key, on_journal=journal.extend)
    before = sent_nonce(devnet, key)

    lag = Lag(late_receipts=12)
    with lagging_front(devnet.rpc_url, lag) as url:
        late = dataclasses.replace(devnet, rpc_url=url)
        with ChainClient(late, poll_interval=0.02) as client:
            (finished,) = client.resume_commits(journal, key)

    assert lag.withheld_receipts[mined.tx_hash.lower()] == 12  # it was late, and waited for
    assert finished is not None and finished.tx_hash == mined.tx_hash
    assert sent_nonce(devnet, key) == before  # nothing sent again
    with ChainClient(devnet) as client:
        assert [r.commit_data for r in client.history(NID)] == ["late receipt"]


def test_a_journalled_transaction_whose_nonce_another_took_is_dead_even_when_receipts_lag(
    devnet: Network, anvil: Anvil
) -> None:
    key = anvil.keys[KEY]
    account = _account(key)
    with ChainClient(devnet, poll_interval=0.02) as client:
        nonce = sent_nonce(devnet, key)
        call = {"to": devnet.contract, "data": encode_call("commit", NID, "never sent")}
        fees = client._fees()
        flight = _InFlight(0, call, 200_000, nonce, fees, [])
        client._sign(account, flight)  # journalled, never broadcast (killed before)
        journal = [flight.snapshot(account.address)]
        client.fund(key, account.address, 1)  # another transaction takes the nonce

    lag = Lag(late_receipts=3)
    with lagging_front(devnet.rpc_url, lag) as url:
        late = dataclasses.replace(devnet, rpc_url=url)
        with ChainClient(late, poll_interval=0.02, receipt_timeout=60) as client:
            assert client.resume_commits(journal, key) == [None]
    assert sent_nonce(devnet, key) == nonce + 1  # the rival alone: ours was not sent
    with ChainClient(devnet) as client:
        assert client.history(NID) == []


def test_a_history_read_tolerates_a_node_whose_logs_are_a_block_behind(
    devnet: Network, anvil: Anvil
) -> None:
    with ChainClient(devnet, poll_interval=0.02) as direct:
        direct.send_commits([(NID, "just mined")], anvil.keys[KEY])

    lag = Lag(late_head=2)
    with lagging_front(devnet.rpc_url, lag) as url:
        late = dataclasses.replace(devnet, rpc_url=url)
        with ChainClient(late, poll_interval=0.02) as client:
            records = client.history(NID)
    assert [r.commit_data for r in records] == ["just mined"]
    assert sum(lag.withheld_heads.values()) == 2


def test_a_block_a_receipt_names_is_read_when_the_node_serves_it_a_moment_later(
    devnet: Network, anvil: Anvil
) -> None:
    with ChainClient(devnet, poll_interval=0.02) as direct:
        (mined,) = direct.send_commits([(NID, "its block")], anvil.keys[KEY])

    lag = Lag(late_head=1)
    with lagging_front(devnet.rpc_url, lag) as url:
        late = dataclasses.replace(devnet, rpc_url=url)
        with ChainClient(late, poll_interval=0.02) as client:
            (block,) = client.blocks([mined.block_number])
    assert int(block["number"], 16) == mined.block_number
    assert sum(lag.withheld_heads.values()) == 1
