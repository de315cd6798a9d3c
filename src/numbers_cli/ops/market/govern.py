"""`nit govern show | set | hand-over | take-back`: the rules only an asset's custody
holder (or the governor it appointed) sets.

Rules: usage flags (commercial, ai-training, derivatives), the ERC-2981
royalty, and the governor itself. A governor is any address: a Safe, the
TimelockController of an OpenZeppelin Governor. While one is appointed, only it
changes rules, offers and the plan, and only it can hand control back;
transferring the custody token clears it (control moves to the new holder).
`--calldata` gives the transactions for such a governor to execute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain.custody import CustodyRules, token_id
from numbers_cli.chain.licenses import Offer, Plan
from numbers_cli.errors import UsageError
from numbers_cli.model.market import ACTION_NAMES, USES, format_uses, parse_bps, parse_uses
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market.record import Recorded, record_action
from numbers_cli.ops.market.royalty import plan_json
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome, check_address
from numbers_cli.repo.repository import Repository

__all__ = [
    "Governance",
    "RuleChange",
    "hand_over",
    "parse_assignments",
    "set_rules",
    "show",
    "take_back",
]

_YES = {"yes", "true", "on", "1", "allow", "allowed"}
_NO = {"no", "false", "off", "0", "deny", "denied"}


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


@dataclass
class RuleChange:
    """The outcome of set / hand-over / take-back."""

    nid: Nid
    before: CustodyRules
    usage: int | None = None
    royalty_bps: int | None = None
    governor: str | None = None  # hand-over: the new governor; take-back: None
    outcome: Outcome | None = None
    record: Recorded | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": self.nid,
            "before": {
                "holder": self.before.holder,
                "governor": self.before.governor,
                "usage": format_uses(self.before.usage),
                "royaltyBps": self.before.royalty_bps,
            },
            "usage": format_uses(self.usage) if self.usage is not None else None,
            "royaltyBps": self.royalty_bps,
            "governor": self.governor,
            **(self.outcome.to_json() if self.outcome else {}),
            "record": self.record.to_json() if self.record else None,
            "notes": self.notes,
        }


def parse_assignments(
    assignments: Sequence[str], current_usage: int
) -> tuple[int | None, int | None]:
    """`KEY=VALUE` rule changes as (new usage bits or None, new royalty bps or None).

    Keys: a use name (commercial, ai-training, derivatives) = yes|no; `usage` =
    a comma-separated list of the uses to permit (exactly those; `none` for
    none); `royalty` = basis points or a percentage (`250`, `2.5%`).
    """
    if not assignments:
        raise UsageError("nothing to set: give KEY=VALUE (e.g. ai-training=no royalty=2.5%)")
    usage: int | None = None
    royalty: int | None = None
    for item in assignments:
        key, sep, value = item.partition("=")
        key, value = key.strip().lower().replace("_", "-"), value.strip()
        if not sep or not key:
            raise UsageError(f"{item!r} is not KEY=VALUE")
        if key in USES:
            flag = value.lower()
            if flag not in _YES | _NO:
                raise UsageError(f"{key}={value!r}: use yes or no")
            base = current_usage if usage is None else usage
            usage = base | USES[key] if flag in _YES else base & ~USES[key]
        elif key in ("usage", "uses", "allow"):
            usage = 0 if value.lower() in ("none", "") else parse_uses(value)
        elif key == "royalty":
            royalty = parse_bps(value, what="royalty")
        else:
            known = ", ".join([*USES, "usage", "royalty"])
            raise UsageError(f"unknown rule {key!r} (known: {known})")
    return usage, royalty


def set_rules(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    assignments: Sequence[str],
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> RuleChange:
    rules = session.rules(nid)
    usage, royalty = parse_assignments(assignments, rules.usage)
    if not calldata_only:
        session.require_controller(nid, session.actor())
    tid = token_id(nid)
    calls = []
    if usage is not None:
        calls.append(session.custody.set_usage_call(tid, usage))
    if royalty is not None:
        calls.append(session.custody.set_royalty_call(tid, royalty))
    change = RuleChange(nid, rules, usage=usage, royalty_bps=royalty)
    change.outcome = session.execute(
        calls,
        what="rules transaction",
        explain=custody_binding.explain,
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
    )
    if change.outcome.receipts:
        details: dict[str, Any] = {"contract": session.custody.address}
        if usage is not None:
            details["usage"] = format_uses(usage)
        if royalty is not None:
            details["royaltyBps"] = royalty
        change.record = record_action(
            repo,
            session.config,
            session.signer(get_signer),
            nid,
            network=session.network,
            tx_hash=change.outcome.receipts[-1].tx_hash,
            action_name=ACTION_NAMES["govern-set"],
            message=f"Set the rules of {nid}: " + ", ".join(assignments) + ".",
            details=details,
            push=push,
        )
    return change


def _governor_change(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    governor: str | None,
    *,
    action: str,
    message: str,
    get_signer: GetSigner | None,
    dry_run: bool,
    calldata_only: bool,
    push: bool,
) -> RuleChange:
    rules = session.rules(nid)
    if not calldata_only:
        session.require_controller(nid, session.actor())
    change = RuleChange(nid, rules, governor=governor)
    change.outcome = session.execute(
        [session.custody.set_governor_call(token_id(nid), governor)],
        what="governance transaction",
        explain=custody_binding.explain,
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
    )
    if change.outcome.receipts:
        change.record = record_action(
            repo,
            session.config,
            session.signer(get_signer),
            nid,
            network=session.network,
            tx_hash=change.outcome.receipts[0].tx_hash,
            action_name=ACTION_NAMES[action],
            message=message,
            details={
                "contract": session.custody.address,
                "previousGovernor": rules.governor,
                "governor": governor,
            },
            push=push,
        )
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
    """Appoint `governor` to set the rules instead of the holder."""
    address = check_address(governor, "governor")
    change = _governor_change(
        session,
        repo,
        nid,
        address,
        action="hand-over",
        message=f"Handed the governance of {nid} to {address}.",
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
        push=push,
    )
    if address.lower() == change.before.holder.lower():
        change.notes.append("the governor is the holder itself: the same as no governor")
    return change


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
    rules = session.rules(nid)
    if rules.governor is None:
        raise UsageError(f"{nid} has no governor: its holder {rules.holder} already governs it")
    return _governor_change(
        session,
        repo,
        nid,
        None,
        action="take-back",
        message=f"Handed the governance of {nid} back to its holder {rules.holder}.",
        get_signer=get_signer,
        dry_run=dry_run,
        calldata_only=calldata_only,
        push=push,
    )
