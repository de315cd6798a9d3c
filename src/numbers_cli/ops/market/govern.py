"""`nit govern show | set | hand-over | take-back`: the rules only an asset's custody
holder (or the governor it appointed) sets.

Rules: usage flags (commercial, ai-training, derivatives), the ERC-2981
royalty, and the governor itself. A governor is any address: a Safe, the
TimelockController of an OpenZeppelin Governor. While one is appointed, only it
changes rules, offers and the plan, and only it can hand control back;
transferring the custody token clears it (control moves to the new holder).
`--calldata` gives the transactions for such a governor to execute.
`govern set` itself (and the RuleChange all three return) is ops.market.rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain.custody import CustodyRules, token_id
from numbers_cli.chain.licenses import Offer, Plan
from numbers_cli.errors import UsageError
from numbers_cli.model.market import USES
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.recovery import Finish, market_action
from numbers_cli.ops.market.royalty import plan_json
from numbers_cli.ops.market.rules import (
    RuleChange,
    change_of,
    finish_set,
    parse_assignments,
    set_rules,
)
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome, check_address
from numbers_cli.repo.repository import Repository

#: Addresses below this are precompiles or reserved: no key sends from them.
_RESERVED = 0x10000

__all__ = [
    "Governance",
    "RuleChange",
    "finish_governor",
    "finish_set",
    "hand_over",
    "parse_assignments",
    "set_rules",
    "show",
    "take_back",
]


@dataclass
class Governance:
    """Everything `nit govern show` reports about one asset."""

    nid: Nid
    rules: CustodyRules
    plan: Plan
    offers: list[Offer]
    token_uri: str
    network: str
    custody: str
    licenses: str

    def to_json(self) -> dict[str, Any]:
        rules = self.rules
        return {
            "nid": self.nid,
            "network": self.network,
            "custody": self.custody,
            "licenses": self.licenses,
            "tokenId": str(rules.token_id),
            "tokenURI": self.token_uri,
            "holder": rules.holder,
            "governor": rules.governor,
            "controller": rules.controller,
            "usage": {name: bool(rules.usage & bit) for name, bit in USES.items()},
            "royaltyBps": rules.royalty_bps,
            "plan": plan_json(self.plan),
            "offers": [o.offer_id for o in self.offers],
        }


def show(session: MarketSession, nid: Nid) -> Governance:
    rules = session.rules(nid)
    tid = token_id(nid)
    return Governance(
        nid=nid,
        rules=rules,
        plan=session.licenses.plan(tid),
        offers=session.licenses.offers_of(tid),
        token_uri=session.custody.token_uri(tid),
        network=session.network.name,
        custody=session.custody.address,
        licenses=session.licenses.address,
    )


def _governor_change(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    governor: str | None,
    *,
    action_name: str,
    get_signer: GetSigner | None,
    dry_run: bool,
    calldata_only: bool,
    push: bool,
) -> RuleChange:
    with market_action(
        session,
        repo,
        [action_name, nid, governor],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
        calldata_only=calldata_only,
    ) as action:
        if action.recovered is not None:
            return cast(RuleChange, action.recovered)
        rules = session.rules(nid)
        params = {
            "nid": nid,
            "before": dataclasses.asdict(rules),
            "governor": governor,
            "action": action_name,
            "contract": session.custody.address,
        }
        found = None
        if not calldata_only:  # done before, its record (and journal) lost: record it
            found = chain_records.unrecorded_governor(
                session, repo, nid, action_name, rules.governor, governor
            )
        if found is not None:
            previous = str(found.args["previous"])
            was = None if int(previous, 16) == 0 else previous
            params["before"] = dataclasses.asdict(dataclasses.replace(rules, governor=was))
            outcome = chain_records.chain_outcome(session, action, [found], dry_run)
            if dry_run:
                return change_of(params, outcome)
            return finish_governor(session, params, outcome, action.finish())
        if action_name == "take-back" and rules.governor is None:
            raise UsageError(f"{nid} has no governor: its holder {rules.holder} already governs it")
        if governor is not None and (rules.governor or "").lower() == governor.lower():
            # appointing it again would change nothing on chain but add a record
            raise UsageError(f"{governor} already governs {nid}: nothing to hand over")
        if not calldata_only:
            session.require_controller(nid, session.actor())
        return action.perform(
            [session.custody.set_governor_call(token_id(nid), governor)],
            action=action_name,
            nid=nid,
            params=params,
            what="governance transaction",
            explain=custody_binding.explain,
            unsent=change_of,
            finisher=finish_governor,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )


def finish_governor(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> RuleChange:
    """Record a mined hand-over or take-back."""
    change = change_of(params, outcome)
    before = change.before
    if params["action"] == "hand-over":
        message = f"Handed the governance of {change.nid} to {change.governor}."
    else:
        message = f"Handed the governance of {change.nid} back to its holder {before.holder}."
    change.record = finish.record(
        session,
        change.nid,
        tx_hash=outcome.receipts[0].tx_hash,
        action=str(params["action"]),
        message=message,
        details={
            "contract": params["contract"],
            "previousGovernor": before.governor,
            "governor": change.governor,
        },
    )
    if change.governor is not None and change.governor.lower() == before.holder.lower():
        change.notes.append("the governor is the holder itself: the same as no governor")
    return change


def hand_over(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    governor: str,
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> RuleChange:
    """Appoint `governor` to set the rules instead of the holder.

    Only the governor can hand control back, so an address known never to send a
    transaction (nit's own contracts, the register, a precompile) is refused, and
    one that shows no sign of life gets a note to check it."""
    address = check_address(governor, "governor")
    _refuse_dead_governor(session, address)
    change = _governor_change(
        session,
        repo,
        nid,
        address,
        action_name="hand-over",
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
        push=push,
    )
    if not change.notes and address.lower() == change.before.holder.lower():
        change.notes.append("the governor is the holder itself: the same as no governor")
    elif not change.outcome or not change.outcome.from_chain:
        change.notes += _governor_notes(session, address)
    return change


def _refuse_dead_governor(session: MarketSession, address: str) -> None:
    """UsageError for a governor that can never call `setGovernor`: the asset's rules
    would be frozen for good (until the custody token is transferred)."""
    known = {
        session.custody.address.lower(): "the Custody contract",
        session.licenses.address.lower(): "the Licenses contract",
    }
    if session.network.contract:
        known[session.network.contract.lower()] = "the IntegrityRegister contract"
    what = known.get(address.lower())
    if what is None and int(address, 16) < _RESERVED:
        what = "a reserved address (a precompile)"
    if what is not None:
        raise UsageError(
            f"governor {address} is {what}: it can never set the rules or hand them back"
        )


def _governor_notes(session: MarketSession, address: str) -> list[str]:
    """What the holder should know before giving control away to `address`."""
    if session.client.has_code(address):
        return [
            f"{address} is a contract: only a transaction it makes (a Safe's, a DAO "
            "timelock's) changes the rules or hands them back; `--calldata` gives those calls"
        ]
    if session.client.sent_count(address) == 0 and session.client.balance(address) == 0:
        return [
            f"{address} has never sent a transaction and holds nothing on "
            f"{session.network.name}: make sure it is the governor you mean (a Safe not yet "
            "deployed looks like this); only it can hand governance back"
        ]
    return []


def take_back(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> RuleChange:
    """Hand control back to the holder; sent by the current governor (a DAO: `--calldata`)."""
    return _governor_change(
        session,
        repo,
        nid,
        None,
        action_name="take-back",
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
        push=push,
    )
