"""Who owns a registered asset, and whether a place holds a licence for it.

Through the market operations (issue 12) on `core.network`: the owner is the
holder of the asset's custody NFT (the Custody contract's `rulesOf`), and a
place's owner address is licensed when `nit license check` says so
(`ops.market.check.license_status`), or when it is the asset's owner itself.

Monitor must work where there is no market: a network without Custody and
Licenses contracts (every preset until they are deployed), a node that does
not answer, or a build without `numbers_cli.ops.market`. Then the owner falls
back to the tree's `creatorWallet` and `licensed` is None ("cannot tell").
The market is asked once per scan: a session is opened on first need, and a
network that fails is not asked again in the same scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import NitError


@dataclass(frozen=True)
class Ownership:
    owner: str | None
    custody: bool  # owner is the custody NFT's holder


class Licensing:
    """Owner and licence answers for one scan; close() when done."""

    def __init__(self, config: Config, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._session: Any = None
        self._unavailable = False
        self._holders: dict[str, str | None] = {}

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> Licensing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _market(self) -> Any:
        if self._unavailable:
            return None
        if self._session is None:
            try:
                from numbers_cli.ops.market.session import open_market
            except ImportError:
                self._unavailable = True
                return None
            try:
                self._session = open_market(self.config, client_options={"timeout": self.timeout})
            except NitError:  # no market contracts on the network, or no answer
                self._unavailable = True
                return None
        return self._session

    def custody_holder(self, nid: str) -> str | None:
        """The address holding the asset's custody NFT; None when not minted or unknown."""
        if nid not in self._holders:
            self._holders[nid] = self._holder(nid)
        return self._holders[nid]

    def _holder(self, nid: str) -> str | None:
        session = self._market()
        if session is None:
            return None
        from numbers_cli.chain.custody import token_id

        try:
            tid = token_id(nid)
            if not session.custody.exists(tid):
                return None
            return str(session.custody.rules(tid).holder)
        except NitError:
            return None

    def ownership(self, nid: str, creator_wallet: str | None) -> Ownership:
        holder = self.custody_holder(nid)
        if holder:
            return Ownership(holder, True)
        return Ownership(creator_wallet, False)

    def licensed(self, nid: str, place_owner: str | None, owner: str | None) -> bool | None:
        """True/False when the place has an owner address and the market can tell, else None."""
        if not place_owner:
            return None
        session = self._market()
        if session is None:
            return None
        if owner and owner.lower() == place_owner.lower():
            return True  # the owner's own place
        from numbers_cli.model.nid import Nid
        from numbers_cli.ops.market.check import license_status

        try:
            return bool(license_status(session, place_owner, Nid(nid)).licensed)
        except NitError:
            return None
