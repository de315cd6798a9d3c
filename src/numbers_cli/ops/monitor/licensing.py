"""Who owns a registered asset, and whether a place holds a licence for it.

The market operations (custody NFTs, `nit license check`; issue 12) are built
on their own branch. Monitor must work without them, so it reaches them only
through this module: when `numbers_cli.ops.market` is importable and offers
the two functions below, their answers are used; otherwise owner is the
tree's `creatorWallet` (if any) and `licensed` is None ("cannot tell").

The functions looked for in `numbers_cli.ops.market` (connect them there):

    custody_holder(repo, config, nid: str) -> str | None
        address holding the asset's custody NFT, None when not minted
    check_license(repo, config, nid: str, holder: str) -> bool
        whether `holder` holds a licence for the asset (what `nit license check` says)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from numbers_cli.config import Config
from numbers_cli.repo.repository import Repository


@dataclass(frozen=True)
class Ownership:
    owner: str | None
    custody: bool  # owner is the custody NFT's holder


def _market() -> Any | None:
    try:
        return importlib.import_module("numbers_cli.ops.market")
    except ImportError:
        return None


def ownership(repo: Repository, config: Config, nid: str, creator_wallet: str | None) -> Ownership:
    market = _market()
    holder_of = getattr(market, "custody_holder", None) if market else None
    if holder_of is not None:
        holder = holder_of(repo, config, nid)
        if holder:
            return Ownership(str(holder), True)
    return Ownership(creator_wallet, False)


def licensed(repo: Repository, config: Config, nid: str, place_owner: str | None) -> bool | None:
    """True/False when the place has an owner address and the licence check exists, else None."""
    if not place_owner:
        return None
    market = _market()
    check = getattr(market, "check_license", None) if market else None
    if check is None:
        return None
    return bool(check(repo, config, nid, place_owner))
