"""Fixtures of the trace stream (trace, proof, verify --remote) over a real anvil.

`on_chain`, `asset` and `registered` are the history tests' own (tests/chain):
a fresh register per test as the default network, an asset with three local
commits, and those commits registered by an anvil dev account.
"""

from __future__ import annotations

from tests.chain.conftest import asset, on_chain, registered

__all__ = ["asset", "on_chain", "registered"]
