"""`nit govern set`: an asset's usage flags and royalty, set by its controller.

The request is compared with the chain first, so a retry never sends the same
change again, journal or not:
- the chain already has every requested setting, made by this wallet's
  UsageSet/RoyaltySet that no commit of the asset records (its journal lost,
  or set from another clone or outside the repository): that change is
  recorded, nothing is sent (`fromChain`), as ops.market.chain_records does
  for the other actions;
- the chain already has them and they are recorded (or were set by someone
  else, or at the mint): nothing is sent or recorded (`unchanged`);
- otherwise only the settings that differ are sent (one transaction each).
`--calldata` is for a governor's later proposal: it gives every requested call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain.custody import CustodyRules, token_id
from numbers_cli.errors import UsageError
from numbers_cli.model.market import USES, format_uses, parse_bps, parse_uses
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.record import Recorded
from numbers_cli.ops.market.recovery import Finish, market_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome
from numbers_cli.repo.repository import Repository

__all__ = ["RuleChange", "change_of", "finish_set", "parse_assignments", "set_rules"]

_YES = {"yes", "true", "on", "1", "allow", "allowed"}
_NO = {"no", "false", "off", "0", "deny", "denied"}


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
    #: `govern set`: the chain already had every requested setting; nothing was sent.
    unchanged: bool = False

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
            "unchanged": self.unchanged,
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
    with market_action(
        session,
        repo,
        ["govern-set", nid, list(assignments)],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
        calldata_only=calldata_only,
    ) as action:
        if action.recovered is not None:
            return cast(RuleChange, action.recovered)
        rules = session.rules(nid)
        usage, royalty = parse_assignments(assignments, rules.usage)
        params = {
            "nid": nid,
            "before": dataclasses.asdict(rules),
            "usage": usage,
            "royaltyBps": royalty,
            "assignments": list(assignments),
            "contract": session.custody.address,
        }
        usage_differs = usage is not None and usage != rules.usage
        royalty_differs = royalty is not None and royalty != rules.royalty_bps
        if not calldata_only and not usage_differs and not royalty_differs:
            # set before from here or elsewhere, its record (and journal) lost: record it
            found = chain_records.unrecorded_rules(session, repo, nid, usage, royalty)
            if found:
                outcome = chain_records.chain_outcome(session, action, found, dry_run)
                if dry_run:
                    return change_of(params, outcome)
                return finish_set(session, params, outcome, action.finish())
        if not calldata_only:
            session.require_controller(nid, session.actor())
        if not calldata_only and not usage_differs and not royalty_differs:
            return _unchanged(session, params, dry_run, action.finished)
        tid = token_id(nid)
        calls = []
        if usage is not None and (calldata_only or usage_differs):
            calls.append(session.custody.set_usage_call(tid, usage))
        if royalty is not None and (calldata_only or royalty_differs):
            calls.append(session.custody.set_royalty_call(tid, royalty))
        return action.perform(
            calls,
            action="govern-set",
            nid=nid,
            params=params,
            what="rules transaction",
            explain=custody_binding.explain,
            unsent=change_of,
            finisher=finish_set,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )


def _unchanged(
    session: MarketSession,
    params: Mapping[str, Any],
    dry_run: bool,
    finished: list[dict[str, Any]],
) -> RuleChange:
    """The chain already has every requested setting, recorded (or not this wallet's
    doing): a transaction would change nothing, so none is sent and nothing recorded."""
    outcome = Outcome(session.network, [], dry_run=dry_run)
    outcome.finished = list(finished)
    change = change_of(params, outcome)
    change.unchanged = True
    settings = []
    if change.usage is not None:
        settings.append("usage " + (", ".join(format_uses(change.usage)) or "none"))
    if change.royalty_bps is not None:
        settings.append(f"royalty {change.royalty_bps} bps")
    change.notes.append(
        f"{change.nid} already has {' and '.join(settings)} on {session.network.name}: "
        "nothing was sent"
    )
    return change


def change_of(params: Mapping[str, Any], outcome: Outcome) -> RuleChange:
    """The RuleChange a set / hand-over / take-back request (`params`) describes."""

    def optional_int(value: Any) -> int | None:
        return None if value is None else int(value)

    return RuleChange(
        Nid(params["nid"]),
        CustodyRules(**dict(params["before"])),
        usage=optional_int(params.get("usage")),
        royalty_bps=optional_int(params.get("royaltyBps")),
        governor=params.get("governor"),
        outcome=outcome,
    )


def finish_set(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> RuleChange:
    """Record mined rule changes: the commit names the last transaction, and its action
    record lists them all (`transactions`), so none is later taken for unrecorded."""
    change = change_of(params, outcome)
    details: dict[str, Any] = {"contract": params["contract"]}
    if change.usage is not None:
        details["usage"] = format_uses(change.usage)
    if change.royalty_bps is not None:
        details["royaltyBps"] = change.royalty_bps
    details["transactions"] = [receipt.tx_hash for receipt in outcome.receipts]
    change.record = finish.record(
        session,
        change.nid,
        tx_hash=outcome.receipts[-1].tx_hash,
        action="govern-set",
        message=f"Set the rules of {change.nid}: " + ", ".join(params["assignments"]) + ".",
        details=details,
    )
    return change
