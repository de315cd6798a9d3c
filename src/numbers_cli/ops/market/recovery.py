"""Market actions that nothing can half-do: journalled before they are sent, finished
by the next run if nit dies between the chain and the record.

Every market command that records (mint, license offer/close/buy, royalty
plan, govern set/hand-over/take-back) runs inside `market_action`:

1. Under its journal's lock, it first finishes what an interrupted run of
   this wallet journalled on this network (`repo.market_journal`): each
   transaction is looked up, or re-broadcast exactly as signed, or known dead
   (its nonce taken); for what was mined, the action's own finisher writes
   the record commit, as the interrupted run would have; then the entry is
   settled. A record already written (nit died after it, before settling) is
   found in the asset's history rather than written twice.
2. If one of those was this very request (the same command run again), its
   result is returned: the retry sends nothing.
3. Otherwise the command runs. `MarketAction.execute` journals its signed
   transactions (with what the record needs) before they are broadcast, and
   its finisher settles the entry once the record is committed.

Where the journal lives follows where the record goes: the repository
holding the asset's history (`.numbers/market/`), else the user data dir
(`MarketJournal.of_user`: a buyer with no copy of the asset, the common case,
or a seller outside its repository). Actions journalled there are finished
the same way but never recorded (no history to record on), and their
retry returns the finished result. Dry runs and `--calldata` neither finish
nor journal: a dry run only reads the journal, and reports (`finished`, state
"pending") what the real run would finish first; when that is this very
request, its result as the real run would return it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from numbers_cli.chain.calls import Call
from numbers_cli.chain.pipeline import Explain
from numbers_cli.model.market import ACTION_NAMES
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market.record import Recorded, TreeChanges, record_action
from numbers_cli.ops.market.session import GetSigner, MarketSession, Outcome
from numbers_cli.repo.market_journal import JournalledAction, MarketJournal
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer

__all__ = ["Finish", "MarketAction", "market_action"]

#: action → (module, function) of the finisher that records it: `(session, params,
#: outcome, finish) -> result`, the same function the command itself ends with.
FINISHERS: dict[str, tuple[str, str]] = {
    "mint": ("numbers_cli.ops.market.mint", "finish_mint"),
    "license-offer": ("numbers_cli.ops.market.licenses", "finish_offer"),
    "license-close": ("numbers_cli.ops.market.licenses", "finish_close"),
    "license-buy": ("numbers_cli.ops.market.purchase", "finish_buy"),
    "royalty-plan": ("numbers_cli.ops.market.royalty", "finish_plan"),
    "govern-set": ("numbers_cli.ops.market.rules", "finish_set"),
    "hand-over": ("numbers_cli.ops.market.govern", "finish_governor"),
    "take-back": ("numbers_cli.ops.market.govern", "finish_governor"),
}
assert set(FINISHERS) == set(ACTION_NAMES)

Finisher = Callable[[MarketSession, Mapping[str, Any], Outcome, "Finish"], Any]


def _normal(value: Any) -> Any:
    """JSON's view of a value: how a request compares with a journalled one."""
    return json.loads(json.dumps(value, default=str))


_R = TypeVar("_R")


@dataclass
class Finish:
    """How an action's finisher records: the signer, push or not, and (for a journalled
    action) the settling of its entry and how far back its record may already be."""

    repo: Repository | None
    signer: Signer | None  # None only for a preview, which records nothing
    push: bool
    settle: Callable[[], None] | None = None
    since: int | None = None
    #: A dry run's view of what the real run would finish: nothing recorded, no notes
    #: about a missing history.
    preview: bool = False

    def record(
        self,
        session: MarketSession,
        nid: str,
        *,
        tx_hash: str,
        action: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        attachment: bytes | None = None,
        tree_changes: TreeChanges | None = None,
    ) -> Recorded | None:
        if self.preview or self.signer is None:
            return None
        recorded = record_action(
            self.repo,
            session.config,
            self.signer,
            Nid(nid),
            network=session.network,
            tx_hash=tx_hash,
            action_name=ACTION_NAMES[action],
            message=message,
            details=details,
            attachment=attachment,
            tree_changes=tree_changes,
            push=self.push,
            on_committed=self.settle,
            recorded_since=self.since,
        )
        if recorded is None and self.settle is not None:
            self.settle()  # the asset's history is not here (any more): nothing to record
        return recorded


class MarketAction:
    """One run of a recording market command; see the module docstring."""

    def __init__(
        self,
        session: MarketSession,
        repo: Repository | None,
        journal: MarketJournal | None,
        request: Sequence[Any],
        *,
        get_signer: GetSigner | None,
        push: bool,
    ) -> None:
        self.session = session
        self.repo = repo
        self.journal = journal
        self.request = _normal(list(request))
        self.get_signer = get_signer
        self.push = push
        self.recovered: Any = None  # the result of this request, finished from the journal
        self.finished: list[dict[str, Any]] = []  # other interrupted actions finished first
        self._journalled: JournalledAction | None = None

    # -- finishing interrupted runs ---------------------------------------------------

    def recover(self) -> None:
        """Finish this wallet's journalled actions (see the module docstring)."""
        if self.journal is None:
            return
        actions = self.journal.actions()
        if not actions:
            return
        actor = self.session.actor().lower()
        for action in actions:
            if action.sender.lower() != actor or action.action not in FINISHERS:
                self.finished.append(
                    {
                        "action": action.action,
                        "asset": action.asset,
                        "state": "waiting",
                        "note": f"interrupted while sent by {action.sender}: "
                        "that wallet's next market command here finishes it",
                    }
                )
                continue
            result = self._finish(action)
            if result is not None and _normal(action.request) == self.request:
                self.recovered = result

    def _finish(self, action: JournalledAction) -> Any:
        journal = self.journal
        assert journal is not None
        signer = self.session.signer(self.get_signer)
        receipts = self.session.client.resume_calls(
            action.snapshots,
            signer,
            what=f"interrupted {action.action} transaction",
            on_journal=lambda snapshots: journal.append(action, snapshots),
        )
        mined = [receipt for receipt in receipts if receipt is not None]
        if not mined:  # never mined, and never will be: the action did not happen
            journal.settle(action.id)
            return None
        outcome = Outcome(
            self.session.network, [_call_of(s) for s in action.snapshots], recovered=True
        )
        outcome.receipts = mined
        finish = Finish(
            self.repo,
            signer,
            self.push,
            settle=lambda: journal.settle(action.id),
            since=action.created - 60,  # clocks of one machine; a minute of slack
        )
        module, name = FINISHERS[action.action]
        finisher: Finisher = getattr(importlib.import_module(module), name)
        result = finisher(self.session, action.params, outcome, finish)
        record: Recorded | None = getattr(result, "record", None)
        self.finished.append(
            {
                "action": action.action,
                "asset": action.asset,
                "state": "finished",
                "tx": mined[-1].tx_hash,
                "commit": record.commit if record else None,
            }
        )
        return result

    def preview(self) -> None:
        """A dry run's report of what the real run would finish first (`finished`, state
        "pending", or "waiting" for another wallet's), sending and settling nothing.

        When this very request is journalled and mined, `recovered` holds its result as
        the real run would return it (built by its finisher, recording nothing)."""
        if self.journal is None:
            return
        actor = self.session.actor().lower()
        for action in self.journal.actions():
            mine = action.sender.lower() == actor and action.action in FINISHERS
            same = mine and _normal(action.request) == self.request
            hashes = [str(h) for snap in action.snapshots for h in snap.get("hashes", [])]
            entry: dict[str, Any] = {
                "action": action.action,
                "asset": action.asset,
                "state": "pending" if mine else "waiting",
                "tx": hashes[-1] if hashes else None,
                "sameRequest": same,
            }
            if not mine:
                entry["note"] = (
                    f"interrupted while sent by {action.sender}: "
                    "that wallet's next market command here finishes it"
                )
            self.finished.append(entry)
            if same:
                self.recovered = self._preview(action)

    def _preview(self, action: JournalledAction) -> Any:
        """The result of a journalled action as its finisher gives it, from receipts read
        (never re-broadcast); None while one of its transactions is not mined."""
        receipts = []
        for snapshot in action.snapshots:
            found = None
            for tx_hash in snapshot.get("hashes", []):
                found = self.session.client.receipt(str(tx_hash))
                if found is not None:
                    break
            if found is None or not found.succeeded:
                return None
            receipts.append(found)
        if not receipts:
            return None
        outcome = Outcome(
            self.session.network,
            [_call_of(s) for s in action.snapshots],
            dry_run=True,
            recovered=True,
        )
        outcome.receipts = receipts
        outcome.finished = self.finished
        module, name = FINISHERS[action.action]
        finisher: Finisher = getattr(importlib.import_module(module), name)
        preview = Finish(None, None, False, preview=True)
        return finisher(self.session, action.params, outcome, preview)

    # -- this run -------------------------------------------------------------------

    def execute(
        self,
        calls: Sequence[Call],
        *,
        action: str,
        nid: str,
        params: Mapping[str, Any],
        what: str,
        explain: Explain,
        dry_run: bool = False,
        calldata_only: bool = False,
        sender: str | None = None,
    ) -> Outcome:
        """`MarketSession.execute`, journalling the signed calls (and `params`) first."""
        on_journal = None
        if self.journal is not None and not dry_run and not calldata_only:
            journalled = JournalledAction(
                id=secrets.token_hex(8),
                action=action,
                asset=str(nid),
                request=self.request,
                params=_normal(dict(params)),
                created=int(time.time()),
            )
            self._journalled = journalled
            journal = self.journal

            def on_journal(snapshots: list[dict[str, Any]]) -> None:
                journal.append(journalled, snapshots)

        outcome = self.session.execute(
            calls,
            what=what,
            explain=explain,
            get_signer=self.get_signer,
            dry_run=dry_run,
            calldata_only=calldata_only,
            sender=sender,
            on_journal=on_journal,
        )
        outcome.finished = list(self.finished)
        return outcome

    def perform(
        self,
        calls: Sequence[Call],
        *,
        action: str,
        nid: str,
        params: Mapping[str, Any],
        what: str,
        explain: Explain,
        unsent: Callable[[Mapping[str, Any], Outcome], _R],
        finisher: Callable[[MarketSession, Mapping[str, Any], Outcome, Finish], _R],
        dry_run: bool = False,
        calldata_only: bool = False,
    ) -> _R:
        """`execute`, then the action's result: `unsent` when nothing was mined (a dry
        run, calldata only), else `finisher`, which records it (as a later run would)."""
        outcome = self.execute(
            calls,
            action=action,
            nid=nid,
            params=params,
            what=what,
            explain=explain,
            dry_run=dry_run,
            calldata_only=calldata_only,
        )
        if not outcome.receipts:
            return unsent(params, outcome)
        return finisher(self.session, params, outcome, self.finish())

    def finish(self) -> Finish:
        """How this run's finisher records (settling its journal entry, if any)."""
        journalled, journal = self._journalled, self.journal
        settle = None
        if journalled is not None and journal is not None:
            settle = lambda: journal.settle(journalled.id)  # noqa: E731
        return Finish(self.repo, self.session.signer(self.get_signer), self.push, settle=settle)


def _call_of(snapshot: Mapping[str, Any]) -> Call:
    call: Call = {"to": snapshot.get("to"), "data": bytes.fromhex(str(snapshot["data"])[2:])}
    if snapshot.get("value"):
        call["value"] = int(snapshot["value"])
    return call


@contextlib.contextmanager
def market_action(
    session: MarketSession,
    repo: Repository | None,
    request: Sequence[Any],
    *,
    get_signer: GetSigner | None,
    push: bool,
    dry_run: bool = False,
    calldata_only: bool = False,
) -> Iterator[MarketAction]:
    """A recording market command's run: interrupted ones finished first (`recovered`
    holds this request's result when it was one of them); see the module docstring.

    `request` is `[action, nid, ...]`: its asset decides the journal.
    """
    if calldata_only:
        yield MarketAction(session, None, None, request, get_signer=get_signer, push=push)
        return
    nid = str(request[1])
    if repo is not None and repo.refs.head(nid) is not None:
        journal = MarketJournal(repo.dir, session.network.name, repo.lock_timeout)
    else:  # nothing here to record on, but nothing may be sent twice either
        repo = None
        journal = MarketJournal.of_user(session.network.name)
    if dry_run:  # read the journal only: a dry run finishes, journals and locks nothing
        preview = MarketAction(session, None, None, request, get_signer=get_signer, push=push)
        preview.journal = journal
        preview.preview()
        preview.journal = None  # so its execute journals nothing
        yield preview
        return
    with journal.lock():
        action = MarketAction(session, repo, journal, request, get_signer=get_signer, push=push)
        action.recover()
        yield action
