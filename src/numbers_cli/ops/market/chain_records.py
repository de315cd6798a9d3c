"""Market actions the chain shows but the repository never recorded, found from the
chain alone.

The market journal (ops.market.recovery) finishes an action nit sent and then
lost track of, but only where that journal is: deleted, or the action done
from another clone or machine with the same wallet, or from outside the
repository (nothing to record on there), and the repository holding the
asset's history has no record and no note of it. A retry would then be
refused (a second mint reverts; a hand-over's wallet no longer governs; a
take-back finds no governor), or send it again (a second identical offer, a
second licence bought, the same plan or close once more). Here the action is
found on the chain instead: the contract's event (CustodyMinted,
OfferCreated, Purchased, OfferClosed, PlanSet, GovernorSet, UsageSet,
RoyaltySet), by eth_getLogs
from the asset's registration block, done by this wallet, matching the
request, and whose transaction no commit of the asset records; the command
then records it (its finisher, as for a journalled action) and sends
nothing. The caller holds the market journal's lock, so two runs never
record it twice. A purchase found this way where there is no history to
record on (a buyer outside the repository) is `earlier_purchase`: the retry
is refused unless asked to buy again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from numbers_cli.chain.abi import DecodedEvent
from numbers_cli.chain.custody import token_id
from numbers_cli.errors import InvalidFormat, NetworkError, NitError
from numbers_cli.model.market import ACTION_NAMES
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market.record import tx_uri
from numbers_cli.ops.market.recovery import MarketAction
from numbers_cli.ops.market.session import MarketSession, Outcome
from numbers_cli.ops.trees import load_commit, load_tree
from numbers_cli.repo.repository import Repository

__all__ = [
    "chain_outcome",
    "earlier_purchase",
    "minted_metadata",
    "recorded_commit",
    "registered_from",
    "unrecorded_event",
    "unrecorded_governor",
    "unrecorded_mint",
    "unrecorded_offer",
    "unrecorded_offer_event",
    "unrecorded_plan",
    "unrecorded_rules",
]


def recorded_commit(
    repo: Repository, session: MarketSession, nid: str, tx_hash: str, action: str
) -> Nid | None:
    """The commit of `nid`'s history recording `tx_hash` as `action`, if there is one."""
    result_uri = tx_uri(session.network, tx_hash)
    name = ACTION_NAMES[action]
    for commit_nid in reversed(repo.refs.history(Nid(nid))):
        commit = load_commit(repo, commit_nid)
        if commit.get("actionName") != name:
            continue
        if commit.get("actionResult") == result_uri or tx_hash in _listed(repo, commit):
            return commit_nid
    return None


def _listed(repo: Repository, commit: Mapping[str, Any]) -> list[str]:
    """The `transactions` an action record lists (a `govern set` of two transactions:
    the commit names the last, its record lists both); [] when there is none."""
    try:
        attachment = Nid.parse(str(commit.get("attachment") or ""))
        record = json.loads(repo.objects.get(attachment))
    except (InvalidFormat, NitError, ValueError):
        return []
    listed = record.get("transactions") if isinstance(record, dict) else None
    return [str(tx) for tx in listed] if isinstance(listed, list) else []


def unrecorded_mint(
    session: MarketSession, repo: Repository | None, nid: str, from_block: int
) -> DecodedEvent | None:
    """The chain's mint of `nid`'s custody token, with this wallet's consent as its
    registrant, when `repo` holds the asset's history but neither its head tree's
    `nftRecord` nor any commit records it; else None."""
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
    # The contract takes any registrant's own consent: a token another wallet minted
    # (squatted) is not this wallet's mint, and is refused as minted, never adopted.
    if event is None or str(event.args.get("registrant", "")).lower() != session.actor().lower():
        return None
    if recorded_commit(repo, session, nid, event.tx_hash, "mint") is not None:
        return None
    return event


def registered_from(session: MarketSession, nid: str) -> int:
    """The block the asset was first registered in: no market action of it is older, so
    event lookups start there (0 when the register lists it nowhere)."""
    blocks = session.client.get_commits(nid) if session.network.contract else []
    return min(blocks) if blocks else 0


def unrecorded_event(
    session: MarketSession,
    repo: Repository | None,
    nid: str,
    action: str,
    events: Sequence[DecodedEvent],
    matches: Callable[[Mapping[str, Any]], bool],
    *,
    who: str = "by",
) -> DecodedEvent | None:
    """The latest of `events` (chain order) done by this wallet (argument `who`) that
    `matches` the request, when `repo` holds the asset's history and no commit of it
    records that transaction as `action`; None otherwise (the latest one is recorded)."""
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return None
    actor = session.actor().lower()
    for event in reversed(events):
        if str(event.args.get(who, "")).lower() != actor or not matches(event.args):
            continue
        if recorded_commit(repo, session, nid, event.tx_hash, action) is not None:
            return None
        return event
    return None


def unrecorded_offer(
    session: MarketSession,
    repo: Repository | None,
    nid: str,
    *,
    price_wei: int,
    supply: int,
    expiry: int | None,
    uses: int,
    terms: str,
) -> DecodedEvent | None:
    """This wallet's latest OfferCreated of the asset with these terms (any expiry when
    `expiry` is None: the request gave a duration, counted from a different now), if
    it is not recorded. A retry adopts it rather than offering the same licence twice."""
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return None
    events = session.licenses.logs(
        "OfferCreated", None, token_id(nid), from_block=registered_from(session, nid)
    )

    def same(args: Mapping[str, Any]) -> bool:
        return (
            int(args["price"]) == price_wei
            and int(args["supply"]) == supply
            and int(args["uses"]) == uses
            and str(args["terms"]) == terms
            and (expiry is None or int(args["expiry"]) == expiry)
            and _still_on_sale(session, int(args["offerId"]))
        )

    return unrecorded_event(session, repo, nid, "license-offer", events, same)


def _still_on_sale(session: MarketSession, offer_id: int) -> bool:
    """Whether an offer can still be bought: one closed, expired or sold out since cannot
    be the offer a retry asks for now, so it is not adopted and a new one is made."""
    offer = session.licenses.offer(offer_id)
    return not offer.closed and offer.sold < offer.supply and offer.valid_at(int(time.time()))


def unrecorded_offer_event(
    session: MarketSession, repo: Repository | None, nid: str, action: str, offer_id: int
) -> DecodedEvent | None:
    """This wallet's latest unrecorded OfferClosed (`license-close`) or Purchased
    (`license-buy`, as the buyer) of offer `offer_id`. A retry of the close records it
    rather than closing it again; a retry of the purchase, rather than buying twice."""
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return None
    name, who = ("OfferClosed", "by") if action == "license-close" else ("Purchased", "buyer")
    events = session.licenses.logs(
        name, offer_id, token_id(nid), from_block=registered_from(session, nid)
    )
    return unrecorded_event(session, repo, nid, action, events, lambda _: True, who=who)


def earlier_purchase(session: MarketSession, nid: str, offer_id: int) -> DecodedEvent | None:
    """This wallet's latest Purchased of offer `offer_id` (the buyer is an indexed topic,
    so the node filters it), from the asset's registration block; None if it never
    bought it. With no journal left, nothing else tells a buyer's retry from a second
    purchase: ops.market.purchase refuses it unless asked to buy again."""
    buyer = int(session.actor(), 16)
    events = session.licenses.logs(
        "Purchased", offer_id, token_id(nid), buyer, from_block=registered_from(session, nid)
    )
    return events[-1] if events else None


def unrecorded_plan(
    session: MarketSession, repo: Repository | None, nid: str, shares: Sequence[tuple[str, int]]
) -> DecodedEvent | None:
    """The PlanSet of this wallet that made the asset's current plan `shares`, if it is
    not recorded (a plan set since by anyone else, or recorded, makes it None)."""
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return None
    wanted = [(payee.lower(), int(bps)) for payee, bps in shares]
    current = session.licenses.plan(token_id(nid)).shares
    if [(payee.lower(), int(bps)) for payee, bps in current] != wanted:
        return None
    events = session.licenses.logs(
        "PlanSet", token_id(nid), from_block=registered_from(session, nid)
    )

    def same(args: Mapping[str, Any]) -> bool:
        got = [(str(p).lower(), int(b)) for p, b in zip(args["payees"], args["bps"], strict=True)]
        return got == wanted

    return unrecorded_event(session, repo, nid, "royalty-plan", events[-1:], same)


def unrecorded_governor(
    session: MarketSession,
    repo: Repository | None,
    nid: str,
    action: str,
    current: str | None,
    governor: str | None,
) -> DecodedEvent | None:
    """The GovernorSet of this wallet that appointed `governor` (None: handed back), when
    that is the asset's `current` governor and nothing records it. Without it a retry is
    refused (the wallet no longer governs; there is no governor to take back from)."""
    if (current or "").lower() != (governor or "").lower():
        return None
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return None
    events = session.custody.logs(
        "GovernorSet", token_id(nid), from_block=registered_from(session, nid)
    )
    zero = "0x" + "00" * 20
    wanted = (governor or zero).lower()
    return unrecorded_event(
        session, repo, nid, action, events[-1:], lambda a: str(a["governor"]).lower() == wanted
    )


def unrecorded_rules(
    session: MarketSession,
    repo: Repository | None,
    nid: str,
    usage: int | None,
    royalty: int | None,
) -> list[DecodedEvent]:
    """This wallet's UsageSet (when `usage` is asked) and RoyaltySet (`royalty`) that
    made the asset's current rules, in chain order, that no commit records; [] unless
    each asked setting was last set by this wallet to the asked value (one set at the
    mint, or by anyone else since, is not this request's doing) and one is unrecorded.
    The caller has checked that the chain holds the asked settings."""
    if repo is None or repo.refs.head(Nid(nid)) is None:
        return []
    actor = session.actor().lower()
    start = registered_from(session, nid)
    found = []
    for name, key, wanted in (("UsageSet", "usage", usage), ("RoyaltySet", "royaltyBps", royalty)):
        if wanted is None:
            continue
        events = session.custody.logs(name, token_id(nid), from_block=start)
        if not events:
            return []
        last = events[-1]
        if int(last.args[key]) != wanted or str(last.args["by"]).lower() != actor:
            return []
        found.append(last)
    found.sort(key=lambda e: (e.block_number, e.log_index))
    return [e for e in found if not recorded_commit(repo, session, nid, e.tx_hash, "govern-set")]


def chain_outcome(
    session: MarketSession, action: MarketAction, events: Sequence[DecodedEvent], dry_run: bool
) -> Outcome:
    """The Outcome of an action found on the chain: its receipts, nothing sent."""
    outcome = Outcome(session.network, [], dry_run=dry_run, recovered=True, from_chain=True)
    for event in events:
        receipt = session.client.receipt(event.tx_hash)
        if receipt is None:
            raise NetworkError(f"the node lists {event.tx_hash} but has no receipt of it")
        outcome.receipts.append(receipt)
    outcome.finished = list(action.finished)
    return outcome


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
