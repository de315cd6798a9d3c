"""Usage rules on chain: what `nit dataset export` asks the governance contract.

An asset's custody holder (or its governor) sets usage flags on the network's
Custody contract (`nit govern set NID ai-training=no`, issue 12: bits
commercial = 1, ai-training = 2, derivatives = 4). When that contract is
reachable, its rules win over the terms a tree records, term by term
(`model.usage.merged`): a minted asset's flags say `allowed` or `notAllowed`
for `commercialUse`, `aiTraining` and `derivatives`; an asset without a
custody token has no on-chain rules, and its tree's terms stand.

`chain_rules` returns None, and the tree decides, when there is no market
package (`numbers_cli.ops.market`), no Custody contract on the network, or
no answer from its node.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol

from numbers_cli.config import Config
from numbers_cli.errors import ConfigError, NetworkError, NoMarketContracts, NotFound
from numbers_cli.model import usage
from numbers_cli.model.nid import Nid

MARKET_SESSION = "numbers_cli.ops.market.session"


class RulesSource(Protocol):
    """On-chain usage rules, per asset."""

    def usage_terms(self, nid: Nid) -> Mapping[str, str] | None:
        """The asset's rules in `model.usage` terms (e.g. {"aiTraining": "notAllowed",
        "commercialUse": "allowed", "derivatives": "allowed"}); None when the chain
        holds no rules for it."""
        ...


class CustodyRulesSource:
    """The Custody contract's usage flags, through a market session (one RPC per asset)."""

    def __init__(self, session: Any, uses: Mapping[str, int]) -> None:
        self.session = session
        self.uses = uses

    def usage_terms(self, nid: Nid) -> dict[str, str] | None:
        try:
            rules = self.session.rules(nid)
        except NotFound:
            return None  # no custody token: no rules on chain
        return {
            usage.USE_TO_TERM[use]: usage.ALLOWED if rules.usage & bit else usage.NOT_ALLOWED
            for use, bit in self.uses.items()
            if use in usage.USE_TO_TERM
        }

    def close(self) -> None:
        self.session.__exit__(None, None, None)


def chain_rules(config: Config, network: str | None = None) -> CustodyRulesSource | None:
    """The governance contract's rules on `network` (default `core.network`), or None."""
    try:
        market = importlib.import_module(MARKET_SESSION)
        from numbers_cli.model.market import USES
    except ModuleNotFoundError as exc:
        if exc.name and "market" in exc.name:
            return None
        raise
    try:
        session = market.open_market(config, network)
    except (ConfigError, NetworkError):
        return None  # no such network, or its node does not answer
    except NoMarketContracts:
        return None  # the network has no Custody contract of nit
    session.__enter__()
    return CustodyRulesSource(session, USES)
