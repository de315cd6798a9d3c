"""`nit license buy`: one licence of an asset's offer, at its exact price.

The purchase is journalled before it is sent (ops.market.recovery): in the
repository holding the asset, or else (a buyer without its history, the
common case) in the user data dir. If nit dies after it was broadcast, the
next market command using that journal finishes it (and records it, in the
repository), and running `nit license buy` again buys nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from numbers_cli.chain import licenses as licenses_binding
from numbers_cli.chain.licenses import Offer
from numbers_cli.errors import MarketRefused
from numbers_cli.model.market import format_uses
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.licenses import offer_of
from numbers_cli.ops.market.record import Recorded
from numbers_cli.ops.market.recovery import Finish, market_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome
from numbers_cli.repo.repository import Repository

__all__ = ["PurchaseResult", "buy", "finish_buy"]


@dataclass
class PurchaseResult:
    nid: Nid
    offer: Offer
    buyer: str
    outcome: Outcome
    record: Recorded | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": self.nid,
            "offer": self.offer.offer_id,
            "buyer": self.buyer,
            "priceWei": str(self.offer.price_wei),
            "uses": format_uses(self.offer.uses),
            "terms": self.offer.terms,
            "expiry": self.offer.expiry or None,
            **self.outcome.to_json(),
            "record": self.record.to_json() if self.record else None,
        }


def buy(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    offer_id: int,
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    push: bool = True,
    again: bool = False,
) -> PurchaseResult:
    """Buy one licence of `offer_id` at its exact price (the funds check includes it).

    A purchase an interrupted run sent is finished instead (recorded, if this
    repository has the asset), never bought twice. With no journal of it left,
    this wallet's unrecorded purchase of the offer is recorded from the chain (in
    the repository holding the asset); any other earlier purchase of the offer by
    this wallet (recorded, or bought where there is no history) refuses the
    purchase unless `again`: nothing else tells a lost journal's retry from a
    deliberate second licence.
    """
    with market_action(
        session,
        repo,
        ["license-buy", nid, offer_id],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
    ) as action:
        if action.recovered is not None:
            return cast(PurchaseResult, action.recovered)
        offer = offer_of(session, nid, offer_id)
        params = {
            "nid": nid,
            "buyer": session.actor(),
            "offer": dataclasses.asdict(offer),
            "contract": session.licenses.address,
        }
        # bought before from here or elsewhere, its record (and journal) lost: record it
        found = chain_records.unrecorded_offer_event(session, repo, nid, "license-buy", offer_id)
        if found is not None:
            outcome = chain_records.chain_outcome(session, action, [found], dry_run)
            if dry_run:
                return PurchaseResult(nid, offer, str(params["buyer"]), outcome)
            return finish_buy(session, params, outcome, action.finish())
        now = session.client.block_timestamp()
        if offer.closed:
            raise MarketRefused(f"offer {offer_id} of {nid} is closed")
        if not offer.valid_at(now):
            raise MarketRefused(f"offer {offer_id} of {nid} has expired")
        if offer.sold >= offer.supply:
            raise MarketRefused(f"offer {offer_id} of {nid} is sold out ({offer.supply} licences)")
        earlier = None if again else chain_records.earlier_purchase(session, nid, offer_id)
        if earlier is not None:
            raise MarketRefused(
                f"{params['buyer']} already bought a licence of offer {offer_id} of {nid} "
                f"in tx {earlier.tx_hash} (block {earlier.block_number})",
                hint="`--again` buys another",
            )
        return action.perform(
            [session.licenses.buy_call(offer_id, offer.price_wei)],
            action="license-buy",
            nid=nid,
            params=params,
            what="purchase transaction",
            explain=licenses_binding.explain,
            unsent=lambda params, outcome: PurchaseResult(
                nid, offer, str(params["buyer"]), outcome
            ),
            finisher=finish_buy,
            dry_run=dry_run,
        )


def finish_buy(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> PurchaseResult:
    """Record a mined purchase (where the asset's history is)."""
    offer = Offer(**{key: value for key, value in dict(params["offer"]).items()})
    nid = Nid(params["nid"])
    result = PurchaseResult(nid, offer, str(params["buyer"]), outcome)
    result.record = finish.record(
        session,
        nid,
        tx_hash=outcome.receipts[0].tx_hash,
        action="license-buy",
        message=f"Bought a licence of {nid} (offer {offer.offer_id}).",
        details={
            "contract": params["contract"],
            "offer": offer.offer_id,
            "priceWei": str(offer.price_wei),
            "uses": format_uses(offer.uses),
            "terms": offer.terms,
        },
    )
    return result
