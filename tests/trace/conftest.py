"""Fixtures of the trace stream (trace, proof, verify --remote, conflicts) over a real anvil.

`on_chain`, `asset` and `registered` are the history tests' own (tests/chain):
a fresh register per test as the default network, an asset with three local
commits, and those commits registered by an anvil dev account. `on_devnet`
(tests/push) also funds the test wallet, for tests that run `nit push`.
"""

from __future__ import annotations

from tests.chain.conftest import asset, on_chain, registered
from tests.push.conftest import funded, on_devnet

__all__ = ["asset", "funded", "on_chain", "on_devnet", "registered"]
