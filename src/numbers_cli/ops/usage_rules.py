"""Usage rules on chain: where `nit dataset export` asks the governance contract.

The governance contract (issue 12, `numbers_cli.ops.market`, built on its own
branch) lets an asset's custody holder set usage flags on chain. When it is
reachable, those rules win over the terms a tree records, term by term
(`model.usage.merged`). This module is the seam between the two streams:

    numbers_cli.ops.market.usage_rules_source(config, network) -> RulesSource | None

The market package provides that function; it returns None when the contract
is not deployed on the network or cannot be reached. Until it exists, or when
it returns None, `chain_rules` returns None and the tree's terms stand.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Protocol

from numbers_cli.config import Config
from numbers_cli.model.nid import Nid

MARKET_MODULE = "numbers_cli.ops.market"
FACTORY = "usage_rules_source"


class RulesSource(Protocol):
    """On-chain usage rules, per asset."""

    def usage_terms(self, nid: Nid) -> Mapping[str, str] | None:
        """The asset's rules in `model.usage` terms (e.g. {"aiTraining": "notAllowed",
        "commercialUse": "allowed", "derivatives": "allowed"}); None when the chain
        holds no rules for it."""
        ...


def chain_rules(config: Config, network: str | None = None) -> RulesSource | None:
    """The governance contract's rules for `network`, or None when there is no such
    contract (not built, not deployed there, or not reachable)."""
    try:
        market = importlib.import_module(MARKET_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and MARKET_MODULE.startswith(exc.name):
            return None
        raise
    factory = getattr(market, FACTORY, None)
    if factory is None:
        return None
    source: RulesSource | None = factory(config, network)
    return source
