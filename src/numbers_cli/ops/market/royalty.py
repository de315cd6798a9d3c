"""`nit royalty plan | balance | withdraw`: how an asset's licence sales are split, and
payees taking what they are owed (pull payments: nobody is ever paid unasked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from numbers_cli.chain import format_amount
from numbers_cli.chain import licenses as licenses_binding
from numbers_cli.chain.custody import token_id
from numbers_cli.chain.licenses import Plan
from numbers_cli.errors import MarketRefused
from numbers_cli.model.market import parse_payees
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market import chain_records
from numbers_cli.ops.market.record import Recorded
from numbers_cli.ops.market.recovery import Finish, market_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome, check_address
from numbers_cli.repo.repository import Repository

__all__ = [
    "Balance",
    "PlanResult",
    "balance",
    "finish_plan",
    "plan_json",
    "set_plan",
    "show_plan",
    "withdraw",
]


def plan_json(plan: Plan) -> list[dict[str, Any]]:
    return [{"payee": payee, "bps": bps} for payee, bps in plan.shares]


@dataclass
class PlanResult:
    nid: Nid
    plan: Plan
    holder: str
    outcome: Outcome | None = None  # None: only shown
    record: Recorded | None = None
    #: `royalty plan --payee`: the chain already had exactly this plan; nothing was sent.
    unchanged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": self.nid,
            "plan": plan_json(self.plan),
            # An asset without a plan credits its custody holder with every sale.
            "default": not self.plan.shares,
            "holder": self.holder,
            "unchanged": self.unchanged,
            **(self.outcome.to_json() if self.outcome else {}),
            "record": self.record.to_json() if self.record else None,
        }


def show_plan(session: MarketSession, nid: Nid) -> PlanResult:
    rules = session.rules(nid)
    return PlanResult(nid, session.licenses.plan(token_id(nid)), rules.holder)


def set_plan(
    session: MarketSession,
    repo: Repository | None,
    nid: Nid,
    payees: Sequence[str],
    *,
    get_signer: GetSigner | None,
    dry_run: bool = False,
    calldata_only: bool = False,
    push: bool = True,
) -> PlanResult:
    """Replace the plan with `ADDR:BPS` payees (distinct, positive, summing to 10,000).

    The first payee also receives the rounding dust of every split.
    """
    shares = [(check_address(a, "payee"), bps) for a, bps in parse_payees(payees)]
    with market_action(
        session,
        repo,
        ["royalty-plan", nid, shares],
        get_signer=get_signer,
        push=push,
        dry_run=dry_run,
        calldata_only=calldata_only,
    ) as action:
        if action.recovered is not None:
            return cast(PlanResult, action.recovered)
        rules = session.rules(nid)
        if not calldata_only:
            session.require_controller(nid, session.actor())
        params = {
            "nid": nid,
            "plan": shares,
            "holder": rules.holder,
            "contract": session.licenses.address,
        }
        found = None if calldata_only else chain_records.unrecorded_plan(session, repo, nid, shares)
        if found is not None:  # set before, its record (and journal) lost: record it
            outcome = chain_records.chain_outcome(session, action, [found], dry_run)
            if dry_run:
                return _plan_result(params, outcome)
            return finish_plan(session, params, outcome, action.finish())
        current = session.licenses.plan(token_id(nid)).shares
        if not calldata_only and _same_plan(current, shares):
            # recorded already, or set by another wallet: a transaction would change nothing
            unchanged = _plan_result(params, Outcome(session.network, [], dry_run=dry_run))
            assert unchanged.outcome is not None
            unchanged.outcome.finished = list(action.finished)
            unchanged.unchanged = True
            return unchanged
        return action.perform(
            [session.licenses.set_plan_call(token_id(nid), shares)],
            action="royalty-plan",
            nid=nid,
            params=params,
            what="plan transaction",
            explain=licenses_binding.explain,
            unsent=_plan_result,
            finisher=finish_plan,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )


def _same_plan(current: Sequence[tuple[str, int]], wanted: Sequence[tuple[str, int]]) -> bool:
    """Whether the plan on chain is `wanted`, payee for payee in order (the first payee
    gets the rounding dust, so the order matters)."""
    return [(p.lower(), int(b)) for p, b in current] == [(p.lower(), int(b)) for p, b in wanted]


def _plan_result(params: Mapping[str, Any], outcome: Outcome) -> PlanResult:
    shares = tuple((str(payee), int(bps)) for payee, bps in params["plan"])
    return PlanResult(Nid(params["nid"]), Plan(shares), str(params["holder"]), outcome)


def finish_plan(
    session: MarketSession, params: Mapping[str, Any], outcome: Outcome, finish: Finish
) -> PlanResult:
    """Record a mined revenue plan."""
    result = _plan_result(params, outcome)
    result.record = finish.record(
        session,
        result.nid,
        tx_hash=outcome.receipts[0].tx_hash,
        action="royalty-plan",
        message=f"Set the revenue plan of {result.nid}: "
        + ", ".join(f"{payee} {bps / 100:g}%" for payee, bps in result.plan.shares)
        + ".",
        details={"contract": params["contract"], "plan": plan_json(result.plan)},
    )
    return result


@dataclass(frozen=True)
class Balance:
    address: str
    owed_wei: int
    currency: str
    network: str

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "network": self.network,
            "owedWei": str(self.owed_wei),
            "owed": format_amount(self.owed_wei, self.currency),
        }


def balance(session: MarketSession, address: str | None = None) -> Balance:
    """What `address` (default: the wallet) may withdraw from the Licenses contract."""
    who = check_address(address) if address else session.actor()
    return Balance(who, session.licenses.owed(who), session.network.currency, session.network.name)


@dataclass
class WithdrawResult:
    balance: Balance
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        return {**self.balance.to_json(), **self.outcome.to_json()}


def withdraw(
    session: MarketSession, *, get_signer: GetSigner | None, dry_run: bool = False
) -> WithdrawResult:
    """Pay the wallet everything it is owed; MarketRefused when nothing is."""
    due = balance(session)
    if due.owed_wei == 0:
        raise MarketRefused(f"nothing is owed to {due.address} on {session.network.name}")
    outcome = session.execute(
        [session.licenses.withdraw_call()],
        what="withdraw transaction",
        explain=licenses_binding.explain,
        get_signer=get_signer,
        dry_run=dry_run,
    )
    return WithdrawResult(due, outcome)
