"""Who owns a registered asset, and whether a place holds a licence for it.

Through the market operations (issue 12) on the network where the asset's
custody NFT is: the owner is the holder of that NFT (the Custody contract's
`rulesOf`), and a place's owner address is licensed when `nit license check`
on that network says so (`ops.market.check.license_status`), or when it is
the asset's owner itself.

Which network: the asset's head tree records its NFTs (`nftRecord`, each
naming a network, a contract and a token; `nit mint` adds one). The networks
those records name, the latest first, are asked in turn (a name is resolved
through this repository's configured networks and the presets), and the first
one whose Custody contract holds the asset's token is the custody network.
When no record names a network, or the records' networks were all asked and
none holds the token, `core.network` is asked (the asset may have been minted
from another clone that never recorded it here). When a record names a network
that cannot be asked (not configured here, no market contracts, no answer),
and no other one holds the token, the answer is "cannot tell": the owner
falls back to the tree's `creatorWallet`, `licensed` is None, and a note says
why, rather than asking a network that is not where the asset's market is.

Monitor must work where there is no market: a network without Custody and
Licenses contracts (every preset until they are deployed), a node that does
not answer, or a build without `numbers_cli.ops.market`. Then the owner falls
back to the tree's `creatorWallet` and `licensed` is None ("cannot tell").
Each network is opened once per scan, on first need, and one that fails is not
asked again in the same scan. A node that stops answering later (a timeout, a
refused connection, a reply that is not JSON-RPC: anything but the node's own
JSON-RPC error for one call) makes its network unreachable for the rest of the
scan too: every other asset's owner and licence there are "cannot tell" at
once, not one timeout each, and one note says which network and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import NetworkError, NitError


@dataclass(frozen=True)
class Ownership:
    owner: str | None
    custody: bool  # owner is the custody NFT's holder
    #: The network whose market answers for the asset (its custody NFT's), or None
    #: when none can: `licensed` is then None.
    network: str | None = None


#: A network that failed to open (unknown, no market contracts, no answer).
_UNAVAILABLE = object()


class Licensing:
    """Owner and licence answers for one scan; close() when done."""

    def __init__(self, config: Config, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._sessions: dict[str, Any] = {}
        self._custody: dict[str, tuple[str | None, str | None]] = {}  # nid -> (network, holder)
        self._default: list[str | None] = []  # [core.network's name] once resolved
        self._down: set[str] = set()  # networks whose node failed: not asked again
        #: What could not be asked, for the scan's notes (each said once).
        self.notes: list[str] = []

    def close(self) -> None:
        for session in self._sessions.values():
            if session is not _UNAVAILABLE:
                session.close()
        self._sessions.clear()

    def __enter__(self) -> Licensing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _market(self, network: str) -> Any:
        """The market session on `network`, or None if unavailable."""
        if network not in self._sessions:
            self._sessions[network] = self._open(network)
        session = self._sessions[network]
        return None if session is _UNAVAILABLE else session

    def _open(self, network: str) -> Any:
        try:
            from numbers_cli.ops.market.session import open_market
        except ImportError:
            return _UNAVAILABLE
        try:
            return open_market(self.config, network, client_options={"timeout": self.timeout})
        except NetworkError as exc:  # no answer, or not the chain it should be
            self._unreachable(network, exc)
            return _UNAVAILABLE
        except NitError:  # unknown here, or no market contracts: nothing to tell there
            return _UNAVAILABLE

    def _failed(self, network: str, exc: NitError) -> None:
        """A call on `network` failed: when its node is what failed, stop asking it."""
        from numbers_cli.chain.rpc import RpcError

        if isinstance(exc, NetworkError) and not isinstance(exc, RpcError):
            session = self._sessions.get(network)
            if session is not None and session is not _UNAVAILABLE:
                session.close()
            self._unreachable(network, exc)

    def _unreachable(self, network: str, exc: NitError) -> None:
        self._sessions[network] = _UNAVAILABLE
        self._down.add(network)
        self._note(
            f"network {network} cannot be asked ({exc.message}): owners and licences "
            "there are unknown for this scan"
        )

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def custody(self, nid: str, networks: list[str]) -> tuple[str | None, str | None]:
        """(network, holder) of the asset's custody NFT; see the module docstring.

        `networks`: those the asset's nftRecord entries name, in record order.
        The network is None when nothing can tell; the holder None when not minted.
        """
        if nid not in self._custody:
            self._custody[nid] = self._locate(nid, list(dict.fromkeys(reversed(networks))))
        return self._custody[nid]

    def _locate(self, nid: str, candidates: list[str]) -> tuple[str | None, str | None]:
        unanswered: list[str] = []
        asked: set[str] = set()
        for name in candidates:
            found = self._holder(name, nid)
            if found is _UNAVAILABLE:
                unanswered.append(name)
                continue
            asked.add(name)
            if found is not None:
                return name, str(found)
        if unanswered:
            if set(unanswered) <= self._down:  # said once for the network, not per asset
                return None, None
            self._note(
                f"{nid}: its nftRecord names network {', '.join(unanswered)}, which cannot "
                "be asked here (not configured, no market contracts, or no answer): owner "
                "and licence unknown"
            )
            return None, None
        default = self._default_name()
        if default is None:
            return None, None
        if default in asked:  # its market answered: not minted there, licences still tell
            return default, None
        found = self._holder(default, nid)
        if found is _UNAVAILABLE:
            return None, None
        return default, None if found is None else str(found)

    def _default_name(self) -> str | None:
        """core.network's name (None when it cannot be resolved)."""
        if not self._default:
            from numbers_cli.ops.networks import resolve_network

            try:
                self._default.append(resolve_network(self.config).name)
            except NitError:
                self._default.append(None)
        return self._default[0]

    def _holder(self, network: str, nid: str) -> object:
        """The custody NFT's holder on `network`; None if not minted there, or
        _UNAVAILABLE when the network cannot tell."""
        session = self._market(network)
        if session is None:
            return _UNAVAILABLE
        from numbers_cli.chain.custody import token_id

        try:
            tid = token_id(nid)
            if not session.custody.exists(tid):
                return None
            return str(session.custody.rules(tid).holder)
        except NitError as exc:
            self._failed(network, exc)
            return _UNAVAILABLE

    def ownership(
        self, nid: str, creator_wallet: str | None, networks: list[str] | None = None
    ) -> Ownership:
        network, holder = self.custody(nid, networks or [])
        if holder:
            return Ownership(holder, True, network)
        return Ownership(creator_wallet, False, network)

    def licensed(
        self, nid: str, place_owner: str | None, owner: str | None, network: str | None
    ) -> bool | None:
        """True/False when the place has an owner address and the asset's market (on
        `network`) can tell, else None."""
        if not place_owner or network is None:
            return None
        session = self._market(network)
        if session is None:
            return None
        if owner and owner.lower() == place_owner.lower():
            return True  # the owner's own place
        from numbers_cli.model.nid import Nid
        from numbers_cli.ops.market.check import license_status

        try:
            return bool(license_status(session, place_owner, Nid(nid)).licensed)
        except NitError as exc:
            self._failed(network, exc)
            return None
