"""When a chain that holds our transactions counts as stuck (chain.receipts).

A chain that makes blocks on demand (anvil) and stops with our transaction
in its pool is stuck within a fraction of a second; one with a 2 s block time
is merely between blocks for several seconds. The threshold follows the pace
seen while waiting: 3 block intervals, at least 0.5 s.
"""

from __future__ import annotations

import math

from numbers_cli.chain.receipts import _BlockPace


def test_no_pace_known_means_no_early_idle():
    pace = _BlockPace()
    assert pace.interval is None
    assert pace.idle_after(None) == math.inf  # the caller's idle_resend_after applies
    pace.saw(10, 0.0)
    pace.saw(10, 5.0)  # no new block seen yet
    assert pace.interval is None
    assert pace.idle_after(None) == math.inf


def test_on_demand_chain_is_idle_after_half_a_second():
    pace = _BlockPace()
    for n in range(64):  # a window mined one block per transaction, ~5 ms apart
        pace.saw(100 + n, n * 0.005)
    assert pace.interval is not None and abs(pace.interval - 0.005) < 1e-9
    assert pace.idle_after(None) == 0.5


def test_slow_chain_waits_three_blocks():
    pace = _BlockPace()
    pace.saw(7, 0.0)
    pace.saw(8, 2.0)
    pace.saw(8, 3.5)  # between blocks: not counted as a new one
    pace.saw(9, 4.0)
    assert pace.interval == 2.0
    assert pace.idle_after(None) == 6.0


def test_pace_of_an_earlier_wait_is_used_until_this_one_sees_a_block():
    pace = _BlockPace()
    pace.saw(50, 0.0)
    assert pace.idle_after(0.01) == 0.5
    assert pace.idle_after(1.5) == 4.5
