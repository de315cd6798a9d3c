"""`nit license offer | list | buy | close`: licences of an asset, sold as ERC-1155.

`nit license buy` is `ops.market.purchase`; `nit license check` is
`ops.market.check` (its `check_license` is what scripts and `nit monitor` call).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from numbers_cli.chain import format_amount
from numbers_cli.chain import licenses as licenses_binding
from numbers_cli.chain.custody import token_id
from numbers_cli.chain.licenses import Offer
from numbers_cli.errors import InvalidFormat, MarketRefused, UsageError
from numbers_cli.model import jsjson
from numbers_cli.model.market import (
    format_uses,
    is_duration,
    parse_amount,
    parse_expiry,
    parse_uses,
)
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import LICENSES, license_of
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.record import Recorded
from numbers_cli.ops.market.recovery import Finish, market_action
from numbers_cli.ops.market.session import (
    GetSigner,
    MarketSession,
    Outcome,
)
from numbers_cli.repo.repository import Repository

__all__ = [
    "OfferResult",
    "close_offer",
    "create_offer",
    "finish_close",
    "finish_offer",
    "list_offers",
    "offer_json",
    "offer_of",
    "resolve_terms",
]

#: Licence documents are read whole; anything larger is not a licence document.
MAX_TERMS_BYTES = 16 * 1024 * 1024


def offer_json(offer: Offer, now: int, currency: str) -> dict[str, Any]:
    """An offer as `--json` shows it, with its status at `now`."""
    if offer.closed:
        status = "closed"
    elif not offer.valid_at(now):
        status = "expired"
    elif offer.sold >= offer.supply:
        status = "sold out"
    else:
        status = "on sale"
    return {
        "offer": offer.offer_id,
        "status": status,
        "priceWei": str(offer.price_wei),
        "price": format_amount(offer.price_wei, currency),
        "supply": offer.supply,
        "sold": offer.sold,
        "remaining": max(offer.supply - offer.sold, 0),
        "expiry": offer.expiry or None,
        "uses": format_uses(offer.uses),
        "terms": offer.terms,
    }


def resolve_terms(text: str, repo: Repository | None) -> tuple[Nid, str]:
    """The Nid of a licence document, and how it was found ("licence", "file" or "nid").

    A short licence name (cc-by-4.0, mit...) becomes the document
    `{"name", "document"}` the AssetTree's `license` field uses; a file is
    hashed; a Nid is taken as it is. Documents are stored in `repo` when there
    is one, so `nit push` can publish them.
    """
    if text.lower() in LICENSES:
        data = jsjson.stringify(license_of(text), indent=2).encode("utf-8")
        kind = "licence"
    else:
        path = Path(text)
        if path.is_file():
            if path.stat().st_size > MAX_TERMS_BYTES:
                raise UsageError(f"{text} is too large for a licence document (16 MiB at most)")
            data = path.read_bytes()
            kind = "file"
        else:
            try:
                return Nid.parse(text), "nid"
            except InvalidFormat:
                known = ", ".join(LICENSES)
                raise UsageError(
                    f"--terms {text!r} is not a licence name ({known}), a file or a Nid"
                ) from None
    nid = repo.objects.put(data) if repo is not None else Nid.of_bytes(data)
    return nid, kind


# -- offer --------------------------------------------------------------------------


@dataclass
class OfferResult:
    nid: Nid
    offer_id: int | None  # None for dry runs
    price_wei: int
    supply: int
    expiry: int
    uses: int
    terms: Nid
    outcome: Outcome
    record: Recorded | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": self.nid,
            "offer": self.offer_id,
            "priceWei": str(self.price_wei),
            "supply": self.supply,
            "expiry": self.expiry or None,
            "uses": format_uses(self.uses),
            "terms": self.terms,
            **self.outcome.to_json(),
            "record": self.record.to_json() if self.record else None,
        }


def create_offer(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    *,
    price: str | int,
    supply: int,
    terms: str,
    expires: str | None = None,
    allow: str | Iterable[str] | None = None,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> OfferResult:
    """Offer `supply` licences of `nid` at `price` (wei, or text like "0.01 ETH")."""
    price_wei = parse_amount(price, what="--price") if isinstance(price, str) else price
    if price_wei < 0:
        raise UsageError("--price must not be negative")
    if not 1 <= supply < 2**32:
        raise UsageError(f"--supply must be between 1 and {2**32 - 1}, not {supply}")
    uses = parse_uses(allow)
    request = ["license-offer", nid, price_wei, supply, terms, expires, uses]
    with market_action(
        session,
        repo,
        request,
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
        calldata_only=calldata_only,
    ) as action:
        if action.recovered is not None:
            return cast(OfferResult, action.recovered)
        expiry = parse_expiry(expires, now=max(int(time.time()), session.client.block_timestamp()))
        terms_nid, _ = resolve_terms(terms, repo)
        tid = token_id(nid)
        if not calldata_only:
            rules = session.require_controller(nid, session.actor())
            if uses & ~rules.usage:
                missing = format_uses(uses & ~rules.usage)
                raise MarketRefused(
                    f"{nid} does not permit {', '.join(missing)}; a licence cannot grant it",
                    hint=f"`nit govern set {nid} {missing[0]}=yes` permits it",
                )
        call = session.licenses.create_offer_call(tid, terms_nid, price_wei, supply, expiry, uses)
        params = {
            "nid": nid,
            "priceWei": str(price_wei),
            "supply": supply,
            "expiry": expiry,
            "uses": uses,
            "terms": terms_nid,
            "contract": session.licenses.address,
        }
        if not calldata_only:  # made before, its record (and journal) lost: record it
            found = chain_records.unrecorded_offer(
                session,
                repo,
                nid,
                price_wei=price_wei,
                supply=supply,
                expiry=None if is_duration(expires) else expiry,
                uses=uses,
                terms=terms_nid,
            )
            if found is not None:
                params["expiry"] = int(found.args["expiry"])
                outcome = chain_records.chain_outcome(session, action, [found], dry_run)
                if dry_run:
                    result = _offer_result(params, outcome)
                    result.offer_id = int(found.args["offerId"])
                    return result
                return finish_offer(session, params, outcome, action.finish())
        return action.perform(
            [call],
            action="license-offer",
            nid=nid,
            params=params,
            what="offer transaction",
            explain=licenses_binding.explain,
            unsent=_offer_result,
            finisher=finish_offer,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )


def _offer_result(params: Mapping[str, Any], outcome: Outcome) -> OfferResult:
    return OfferResult(
        Nid(params["nid"]),
        None,
        int(params["priceWei"]),
        int(params["supply"]),
        int(params["expiry"]),
        int(params["uses"]),
        Nid(params["terms"]),
        outcome,
    )


def finish_offer(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> OfferResult:
    """Record a mined offer (its id read from the OfferCreated event)."""
    result = _offer_result(params, outcome)
    tx_hash = outcome.receipts[0].tx_hash
    (created,) = session.licenses.events(tx_hash, "OfferCreated")
    result.offer_id = int(created["offerId"])
    result.record = finish.record(
        session,
        result.nid,
        tx_hash=tx_hash,
        action="license-offer",
        message=f"Offered licence {result.offer_id} of {result.nid} on {session.network.name}.",
        details={
            "contract": params["contract"],
            "offer": result.offer_id,
            "priceWei": str(result.price_wei),
            "supply": result.supply,
            "expiry": result.expiry or None,
            "uses": format_uses(result.uses),
            "terms": result.terms,
        },
    )
    return result


def close_offer(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    offer_id: int,
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> Outcome:
    """Stop selling an offer (licences sold stay valid)."""
    with market_action(
        session,
        repo,
        ["license-close", nid, offer_id],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
        calldata_only=calldata_only,
    ) as action:
        if action.recovered is not None:
            return cast(Outcome, action.recovered)
        offer = offer_of(session, nid, offer_id)
        params = {"nid": nid, "offer": offer_id, "contract": session.licenses.address}
        if offer.closed and not calldata_only:  # closed before, never recorded: record it
            found = chain_records.unrecorded_offer_event(
                session, repo, nid, "license-close", offer_id
            )
            if found is not None:
                outcome = chain_records.chain_outcome(session, action, [found], dry_run)
                return (
                    outcome if dry_run else finish_close(session, params, outcome, action.finish())
                )
        if not calldata_only:
            session.require_controller(nid, session.actor())
        outcome = action.execute(
            [session.licenses.close_offer_call(offer_id)],
            action="license-close",
            nid=nid,
            params=params,
            what="close-offer transaction",
            explain=licenses_binding.explain,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )
        if outcome.receipts:
            finish_close(session, params, outcome, action.finish())
        return outcome


def finish_close(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> Outcome:
    """Record a mined close of an offer."""
    offer_id = int(params["offer"])
    finish.record(
        session,
        params["nid"],
        tx_hash=outcome.receipts[0].tx_hash,
        action="license-close",
        message=f"Closed licence offer {offer_id} of {params['nid']}.",
        details={"contract": params["contract"], "offer": offer_id},
    )
    return outcome


def offer_of(session: MarketSession, nid: Nid, offer_id: int) -> Offer:
    offer = session.licenses.offer(offer_id)
    if offer.asset != token_id(nid):
        raise UsageError(f"offer {offer_id} is not an offer of {nid}")
    return offer


# -- list ---------------------------------------------------------------------------


def list_offers(session: MarketSession, nid: Nid) -> tuple[list[Offer], int]:
    """The asset's offers in creation order, and the chain's time (to judge expiry)."""
    session.rules(nid)  # NotFound with how to mint, when there is no custody token
    return session.licenses.offers_of(token_id(nid)), session.client.block_timestamp()
