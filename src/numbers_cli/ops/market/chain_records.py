"""Market actions the chain shows but the repository never recorded, found from the
chain alone.

The market journal (ops.market.recovery) finishes an action nit sent and then
lost track of, but only where that journal is: deleted, or the action done
from another clone or machine with the same wallet, or from outside the
repository (nothing to record on there), and the repository holding the
asset's history has no record and no note of it. For a mint that matters
most: the token can be minted only once, so a retry would be refused and the
`nftRecord` never written. Here such a mint is found on the chain (the
Custody contract's `CustodyMinted` event of the token, by eth_getLogs from
the asset's registration block: its transaction, recipient, royalty and
metadata digest), so `nit mint` can record it instead of refusing, sending
nothing. The caller holds the market journal's lock, so two runs never
record it twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from numbers_cli.chain.abi import DecodedEvent
from numbers_cli.chain.custody import token_id
from numbers_cli.errors import InvalidFormat
from numbers_cli.model.market import ACTION_NAMES
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market.record import tx_uri
from numbers_cli.ops.market.session import MarketSession
from numbers_cli.ops.trees import load_commit, load_tree
from numbers_cli.repo.repository import Repository

__all__ = ["minted_metadata", "recorded_commit", "unrecorded_mint"]


def recorded_commit(
    repo: Repository, session: MarketSession, nid: str, tx_hash: str, action: str
) -> Nid | None:
    """The commit of `nid`'s history recording `tx_hash` as `action`, if there is one."""
    result_uri = tx_uri(session.network, tx_hash)
    name = ACTION_NAMES[action]
    for commit_nid in reversed(repo.refs.history(Nid(nid))):
        commit = load_commit(repo, commit_nid)
        if commit.get("actionResult") == result_uri and commit.get("actionName") == name:
            return commit_nid
    return None


def unrecorded_mint(
    session: MarketSession, repo: Repository | None, nid: str, from_block: int
) -> DecodedEvent | None:
    """The chain's mint of `nid`'s custody token when `repo` holds the asset's history
    but neither its head tree's `nftRecord` nor any commit records it; else None."""
    if repo is None:
        return None
    head = repo.refs.head(Nid(nid))
    if head is None:
        return None
    tid = token_id(nid)
    contract = session.custody.address.lower()
    for nft in load_tree(repo, head).get("nftRecord") or []:
        if (
            isinstance(nft, dict)
            and nft.get("network") == session.network.name
            and str(nft.get("contractAddress", "")).lower() == contract
            and str(nft.get("tokenId")) == str(tid)
        ):
            return None
    event = session.custody.minted_log(tid, from_block)
    if event is None:
        return None
    if recorded_commit(repo, session, nid, event.tx_hash, "mint") is not None:
        return None
    return event


def minted_metadata(repo: Repository, token_uri: str, candidates: Iterable[bytes]) -> bytes | None:
    """The metadata JSON `token_uri` (`ipfs://<cid>`, from the chain) names: stored here
    already, or one of `candidates` (rebuilt as the mint would have built it) whose CID
    matches; None when neither is it (it lives only where it was minted, or on IPFS)."""
    cid = token_uri.removeprefix("ipfs://")
    try:
        nid = Nid.parse(cid)
    except InvalidFormat:
        return None
    if repo.objects.has(nid):
        return repo.objects.get(nid)
    for candidate in candidates:
        if Nid.of_bytes(candidate) == nid:
            return candidate
    return None
