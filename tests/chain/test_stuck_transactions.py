"""Transactions that wait in the pool: re-sent with higher fees, or reported as replaced.

Found on anvil: under load its automining pool sometimes leaves a transaction
that arrived while the previous one was being mined queued forever, and a push
would wait out its whole timeout. Here anvil's automining is switched off and a
helper thread mines only when the test's condition is met, so each path runs
deterministically on the real node.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from eth_account import Account
from tests.support.anvil import Anvil

from numbers_cli.chain import ChainClient, Network
from numbers_cli.errors import NetworkError

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def when(condition: Callable[[], bool], action: Callable[[], None]) -> threading.Thread:
    """Run `action` once `condition` holds (checked for at most 20 s)."""

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if condition():
                action()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_stuck_transaction_is_resent_with_higher_fees(
    devnet: Network, anvil: Anvil, manual_mining: None
) -> None:
    sent: list[tuple[int, str, int]] = []
    helper = when(lambda: len(sent) >= 2, lambda: anvil.rpc("evm_mine"))
    with ChainClient(devnet, poll_interval=0.02, resend_after=0.3) as chain:
        (receipt,) = chain.send_commits(
            [(NID, "stuck")], anvil.keys[1], on_sent=lambda i, h, n: sent.append((i, h, n))
        )
        helper.join()
        (index_1, first, nonce_1), (index_2, second, nonce_2) = sent
        assert (index_1, index_2) == (0, 0) and nonce_1 == nonce_2 and first != second
        assert receipt.tx_hash == second and receipt.succeeded
        assert chain.receipt(first) is None
        assert [r.commit_data for r in chain.history(NID)] == ["stuck"]


def test_a_nonce_taken_by_another_transaction_is_reported(
    devnet: Network, anvil: Anvil, manual_mining: None
) -> None:
    key = anvil.keys[2]
    sender = Account.from_key(key).address
    sent: list[tuple[int, str, int]] = []

    def replace_and_mine() -> None:
        _, _, nonce = sent[0]
        rival = Account.sign_transaction(
            {
                "chainId": devnet.chain_id,
                "nonce": nonce,
                "to": sender,
                "value": 0,
                "gas": 21_000,
                "maxFeePerGas": 500 * 10**9,
                "maxPriorityFeePerGas": 100 * 10**9,
            },
            key,
        )
        anvil.rpc("eth_sendRawTransaction", ["0x" + rival.raw_transaction.hex()])
        anvil.rpc("evm_mine")

    helper = when(lambda: bool(sent), replace_and_mine)
    with (
        ChainClient(devnet, poll_interval=0.02, resend_after=0.5) as chain,
        pytest.raises(NetworkError, match=r"\(nonce \d+\) was replaced by another transaction"),
    ):
        chain.send_commits([(NID, "lost")], key, on_sent=lambda i, h, n: sent.append((i, h, n)))
    helper.join()


def test_nothing_mined_times_out_with_a_clear_message(
    devnet: Network, anvil: Anvil, manual_mining: None
) -> None:
    with (
        ChainClient(devnet, poll_interval=0.05, receipt_timeout=1, resend_after=60) as chain,
        pytest.raises(NetworkError, match=r"1 commit transaction not final on devnet after 1 s"),
    ):
        chain.send_commits([(NID, "waiting")], anvil.keys[3])
