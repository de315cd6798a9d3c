"""A push waits for its receipts block by block: while the chain makes no
block, only the head is polled; receipts are asked for once per new block.

On the real anvil with automining off, a helper thread mines one block after
a pause; the test counts what the client asked the node in the meantime.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.support.anvil import Anvil

from numbers_cli.chain import ChainClient, Network

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def test_receipts_are_fetched_per_block_not_per_tick(
    devnet: Network, anvil: Anvil, manual_mining: None
) -> None:
    pause = 0.8
    calls: list[tuple[float, list[str]]] = []
    with ChainClient(devnet, poll_interval=0.1, resend_after=60, idle_resend_after=60) as chain:
        real_batch, real_call = chain._rpc.batch, chain._rpc.call

        def batch(requests: Any) -> Any:
            calls.append((time.monotonic(), [method for method, _ in requests]))
            return real_batch(requests)

        def call(method: str, params: Any = ()) -> Any:
            calls.append((time.monotonic(), [method]))
            return real_call(method, params)

        chain._rpc.batch, chain._rpc.call = batch, call  # type: ignore[method-assign]
        sent = threading.Event()

        def mine_later() -> None:
            sent.wait(20)
            time.sleep(pause)
            anvil.rpc("evm_mine")  # one block with all three transactions

        miner = threading.Thread(target=mine_later, daemon=True)
        miner.start()
        receipts = chain.send_commits(
            [(NID, f"commit {n}") for n in range(3)],
            anvil.keys[1],
            on_sent=lambda *_: sent.set(),
        )
        miner.join()

    assert len({r.block_number for r in receipts}) == 1 and all(r.succeeded for r in receipts)
    after_send = [
        (at, methods)
        for at, methods in calls
        if "eth_sendRawTransaction" not in methods
        and at >= min(at for at, m in calls if "eth_sendRawTransaction" in m)
    ]
    receipt_rounds = [m for _, m in after_send if "eth_getTransactionReceipt" in m]
    head_polls = [m for _, m in after_send if m == ["eth_blockNumber"]]
    # One look right after sending, one after the block: never one per poll tick
    # (at most one more if a round straddles the block).
    assert 2 <= len(receipt_rounds) <= 3, receipt_rounds
    # Meanwhile the head was watched, with pauses capped at poll_interval.
    assert len(head_polls) >= pause / 0.1 - 2, len(head_polls)
