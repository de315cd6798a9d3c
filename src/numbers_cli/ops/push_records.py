"""`nit push`'s record of what it registered: `refs/remotes/<network>/`, in batches.

Split from `ops.push` (one job per module): mined commits are noted as their
receipts come, and written through `Repository.record_remote` once
RECORD_EVERY are waiting and whenever the push ends, however it ends.
"""

from __future__ import annotations

import contextlib
from typing import Any

from numbers_cli.chain import Network
from numbers_cli.errors import NitError, RepositoryLocked
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository

#: Mined commits are recorded in refs/remotes at least this often during a push,
#: so an interrupted push of thousands leaves little for the next one to reconcile.
RECORD_EVERY = 256


class Recorder:
    """Records mined commits in refs/remotes: in batches while a push runs, and
    whatever is left when it ends, however it ends (error, Ctrl-C)."""

    def __init__(self, repo: Repository, network: Network) -> None:
        self.repo = repo
        self.network = network.name
        self.recorded: set[tuple[Nid, Nid]] = set()
        self._pending: list[tuple[Nid, RemoteEntry]] = []

    def known(self) -> set[tuple[Nid, Nid]]:
        """(asset, commit) pairs on record, in refs or about to be."""
        known = set(self.recorded)
        for asset, entries in self.repo.refs.remote_histories(self.network).items():
            known |= {(Nid(asset), e.commit) for e in entries}
        return known

    def add(self, entries: list[tuple[Nid, RemoteEntry]], *, flush: bool = True) -> None:
        """Note commits to record; with `flush`, record them once RECORD_EVERY are waiting."""
        for asset, entry in entries:
            if (asset, entry.commit) not in self.recorded:
                self.recorded.add((asset, entry.commit))
                self._pending.append((asset, entry))
        if flush:
            self.flush_when_due()

    def flush_when_due(self) -> None:
        """Record what is waiting if RECORD_EVERY commits are (a busy `nit add`: later)."""
        if len(self._pending) >= RECORD_EVERY:
            with contextlib.suppress(RepositoryLocked):
                self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.repo.record_remote(self.network, self._pending)
        self._pending = []

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.flush()
            return
        # Failing or interrupted: keep what is known; the journal covers the rest.
        with contextlib.suppress(NitError, OSError, KeyboardInterrupt):
            self.flush()
