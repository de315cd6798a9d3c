"""`<place>/market/<network>.journal`: market actions signed, until they are finished.

The place is the repository holding the asset's history (`.numbers/`), where
the action's record commit goes; or, when no repository here holds the asset
(a buyer, the common case, runs `nit license buy NID OFFER` anywhere), the
user data dir (`NIT_DATA_DIR`, XDG data home: `MarketJournal.of_user`), where
nothing is recorded but the transaction must still never be sent twice. One
format and one recovery path for both; only the directory differs.

Why: `nit mint`, `nit license buy`, `nit govern set`... send a transaction and
then commit a record of it on the asset's history. nit can die between the
two (SIGKILL, power cut, the laptop lid): the transaction is mined, and
without a note of it the record would never be written, while running the
command again would send it a second time (a second purchase, offer or
plan) or fail (a second mint reverts). So each action's transactions are
journalled here, signed, before they are broadcast, with what the record
needs; the next market command using this journal finishes them (chain.calls
`resume_calls`: receipts, the same raw transaction re-broadcast, or a dead
nonce dropped), writes the missing records, and only then settles the entry.

Lines are JSON, appended and fsync'ed, one per transaction snapshot: the
action's id, name, asset, request (the command as a retry would repeat it)
and record parameters, plus the pipeline's snapshot (nonce, hashes, raw
bytes). A re-send with higher fees appends a newer snapshot of the same
transaction; `actions` keeps the last one, with every hash seen. A torn last
line (a crash mid-append) is ignored: its transaction had not been broadcast.
Settling rewrites the file without the action (atomically), and removes it
when nothing is left.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.config import user_data_dir
from numbers_cli.errors import RepositoryLocked
from numbers_cli.fsio import append_lines, atomic_write, flocked, fsync_dir
from numbers_cli.model import json_input
from numbers_cli.repo.lock import exclusive

__all__ = ["JournalledAction", "MarketJournal"]

_HEADER = ("id", "action", "asset", "request", "params", "created")


@dataclass
class JournalledAction:
    """One market action whose record may still be missing."""

    id: str
    action: str  # a key of model.market.ACTION_NAMES ("mint", "license-buy", ...)
    asset: str  # the asset's Nid
    request: list[Any]  # the command, normalised: a retry of it has the same request
    params: dict[str, Any]  # what writing its record (and showing its result) needs
    created: int  # unix seconds when it was journalled
    snapshots: list[dict[str, Any]] = field(default_factory=list)  # by transaction index

    @property
    def sender(self) -> str:
        return str(self.snapshots[0].get("from", "")) if self.snapshots else ""

    def header(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "asset": self.asset,
            "request": self.request,
            "params": self.params,
            "created": self.created,
        }


class MarketJournal:
    """The journal of one network's market actions in one place: a repository's
    `.numbers/` (`repo_dir`), or the user data dir (`of_user`)."""

    def __init__(
        self, repo_dir: Path, network: str, lock_timeout: float = 10.0, *, user: bool = False
    ) -> None:
        self.path = repo_dir / "market" / f"{network}.journal"
        # In a repository, beside its other locks; in the data dir, inside the 0700 dir.
        self._lock_path = self.path.parent / "lock" if user else repo_dir / "market.lock"
        self._lock_timeout = lock_timeout
        self.user = user  # the user data dir's journal: no repository records its actions

    @classmethod
    def of_user(
        cls, network: str, lock_timeout: float = 10.0, env: dict[str, str] | None = None
    ) -> MarketJournal:
        """`<user data dir>/market/<network>.journal`: actions on assets no repository here
        holds (the same dir as the devnet's state: NIT_DATA_DIR, then XDG data home)."""
        return cls(user_data_dir(env), network, lock_timeout, user=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One market action at a time per journal, so two never finish the same entry."""
        if not self.user:
            with exclusive(self._lock_path, self._lock_timeout):
                yield
            return
        _private_dir(self._lock_path.parent)

        def busy(holder: str) -> RepositoryLocked:
            return RepositoryLocked(
                f"another nit process (pid {holder}) is running a market action "
                f"journalled in {self._lock_path.parent}",
                hint="wait for it to finish, then run the command again",
            )

        with flocked(self._lock_path, self._lock_timeout, busy, 0o600):
            yield

    def actions(self) -> list[JournalledAction]:
        """Journalled actions in the order they were first written."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        found: dict[str, JournalledAction] = {}
        for line in text.splitlines():
            try:
                entry = json_input.loads(line)
            except json.JSONDecodeError:
                continue  # torn by a crash mid-append: that transaction never left
            if not isinstance(entry, dict) or not all(k in entry for k in (*_HEADER, "tx")):
                continue
            action = found.setdefault(
                str(entry["id"]),
                JournalledAction(
                    id=str(entry["id"]),
                    action=str(entry["action"]),
                    asset=str(entry["asset"]),
                    request=list(entry["request"]),
                    params=dict(entry["params"]),
                    created=int(entry["created"]),
                ),
            )
            _merge(action.snapshots, dict(entry["tx"]))
        return list(found.values())

    def append(self, action: JournalledAction, snapshots: list[dict[str, Any]]) -> None:
        """Durably add transaction snapshots of `action` (one fsync), before they are sent."""
        if not snapshots:
            return
        header = action.header()
        data = "".join(
            json.dumps({**header, "tx": snap}, separators=(",", ":")) + "\n" for snap in snapshots
        )
        _private_dir(self.path.parent)
        append_lines(self.path, data)

    def settle(self, action_id: str) -> None:
        """Forget an action: its record is written, or it never reached the chain."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return
        kept = [line for line in lines if _action_id(line) not in (action_id, None)]
        if kept:
            atomic_write(self.path, "".join(line + "\n" for line in kept).encode(), 0o600)
        else:
            self.path.unlink(missing_ok=True)
            fsync_dir(self.path.parent)


def _private_dir(path: Path) -> None:
    """Make the journal's dir 0700 (its missing parents as usual): it holds signed
    transactions and what they bought, nobody else's business."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        fsync_dir(path.parent)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _merge(snapshots: list[dict[str, Any]], snap: dict[str, Any]) -> None:
    """Keep the newest snapshot of each transaction (by index), with every hash it had."""
    index = int(snap.get("index", 0))
    for position, known in enumerate(snapshots):
        if int(known.get("index", 0)) == index:
            hashes = list(dict.fromkeys([*known.get("hashes", []), *snap.get("hashes", [])]))
            snapshots[position] = {**snap, "hashes": hashes}
            return
    snapshots.append(snap)
    snapshots.sort(key=lambda s: int(s.get("index", 0)))


def _action_id(line: str) -> str | None:
    """The action id of a journal line; None for a torn or foreign line (dropped on rewrite)."""
    try:
        entry = json_input.loads(line)
    except json.JSONDecodeError:
        return None
    return str(entry["id"]) if isinstance(entry, dict) and "id" in entry else None
