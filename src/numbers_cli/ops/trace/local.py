"""Local descendants of `nit trace`: parent → child assets of this repository.

The answer comes from the lineage index in store.db (repo.lineage), brought up
to date first: only assets whose heads moved since the last trace (the index's
stale marks, set by triggers on every head write) are read, and commits whose
tree could not be read before are tried again. A trace of a small lineage in a
repository of 10,000 unrelated assets therefore reads a few rows, not 10,000
commits and trees (bench/bench_local_children.py).

The update is saved under the repository's write lock when it is free at once;
when it is not (another command is writing) or the store cannot be written,
what was read is used for this trace only and the assets stay stale.
"""

from __future__ import annotations

from collections.abc import Callable

from numbers_cli.errors import InvalidFormat, NitError
from numbers_cli.model.nid import Nid
from numbers_cli.repo.lineage import LineageIndex, LineageRow
from numbers_cli.repo.lock import exclusive
from numbers_cli.repo.repository import Repository

__all__ = ["LocalChildren", "ParentReader"]

#: commit Nid → (the parentAssetCid its tree names or None, state: read | unknown | bad-parent)
ParentReader = Callable[[str], tuple[str | None, str]]


class LocalChildren:
    """The children of any asset among this repository's assets, every version counted."""

    def __init__(self, repo: Repository, read_parent: ParentReader) -> None:
        self.repo = repo
        self.index = LineageIndex(repo.db)
        self.read_parent = read_parent
        #: parent → children read by this trace but not saved (the lock was busy)
        self.unsaved: dict[str, set[str]] = {}
        #: assets whose stored rows are out of date and must not be used
        self.hidden: set[str] = set()
        #: commits read to bring the index up to date (what a trace cost: tests, bench)
        self.reads = 0
        self._refresh()

    def children(self, nid: str) -> list[str]:
        stored = [c for c in self.index.children(nid) if c not in self.hidden]
        return sorted({*stored, *self.unsaved.get(nid, ())})

    # -- bringing the index up to date ----------------------------------------------

    def _read(self, commit: str) -> LineageRow:
        self.reads += 1
        return (commit, *self.read_parent(commit))

    def _refresh(self) -> None:
        stale = self.index.stale()
        heads = self.index.heads(stale)
        known = self.index.rows_of(stale)
        updates: dict[str, tuple[str | None, list[LineageRow]]] = {}
        for asset in stale:
            head = heads.get(asset)
            rows = []
            for commit in dict.fromkeys(_commits(head)):
                row = known[asset].get(commit)
                rows.append(row if row is not None and row[2] != "unknown" else self._read(commit))
            updates[asset] = (head, rows)
        retried: list[tuple[str, LineageRow]] = []
        for asset, commits in self.index.unknown().items():
            if asset not in updates:
                for commit in commits:
                    row = self._read(commit)
                    if row[2] != "unknown":
                        retried.append((asset, row))
        written = self._save(updates, retried) if updates or retried else []
        for asset in set(updates) - set(written):
            self.hidden.add(asset)
            self._remember(asset, updates[asset][1])
        if not written:
            for asset, row in retried:
                self._remember(asset, [row])

    def _remember(self, asset: str, rows: list[LineageRow]) -> None:
        for _, parent, state in rows:
            if parent is not None and state == "read":
                self.unsaved.setdefault(parent, set()).add(asset)

    def _save(
        self,
        updates: dict[str, tuple[str | None, list[LineageRow]]],
        retried: list[tuple[str, LineageRow]],
    ) -> list[str]:
        """Write under the repository's lock if it is free now; [] when it is not."""
        try:
            with exclusive(self.repo.dir / "lock", 0):
                return self.index.save(updates, retried)
        except (NitError, OSError):  # busy, read-only, full: it is an index, used unsaved
            return []


def _commits(head: str | None) -> list[str]:
    """The commit Nids of a head's text; a damaged line is skipped here (`nit fsck`
    reports it), not a failure of every trace of the repository."""
    commits = []
    for line in (head or "").split():
        try:
            commits.append(str(Nid.parse(line)))
        except InvalidFormat:
            continue
    return commits
