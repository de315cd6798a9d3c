"""`nit status`: what is staged, what is committed but not yet on any chain,
and which tracked files changed on disk since they were added."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from numbers_cli.model.nid import Nid
from numbers_cli.ops.ingest import nid_of_file
from numbers_cli.repo.repository import Repository


@dataclass(frozen=True)
class StagedEntry:
    nid: Nid
    kind: str
    path: str | None


@dataclass(frozen=True)
class UnpushedEntry:
    nid: Nid
    commits: int
    path: str | None


@dataclass(frozen=True)
class ChangedEntry:
    path: str
    nid: Nid
    state: str  # modified | deleted


@dataclass
class Status:
    staged: list[StagedEntry] = field(default_factory=list)
    unpushed: list[UnpushedEntry] = field(default_factory=list)
    changed: list[ChangedEntry] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.staged or self.unpushed or self.changed)


def status(repo: Repository) -> Status:
    index = repo.index()
    result = Status()
    for nid, staged in index.staged.items():
        result.staged.append(StagedEntry(Nid(nid), staged.kind, staged.path))
    # stamp (issue 14): a stamped commit goes on chain through its batch (listed itself).
    from numbers_cli.repo.stamps import StampRecords

    stamped = StampRecords(repo.dir).stamped_commits()
    for nid in repo.refs.assets():
        local = [commit for commit in repo.refs.history(nid) if commit not in stamped]
        pushed = repo.refs.pushed_count(nid)
        if len(local) > pushed:
            result.unpushed.append(UnpushedEntry(nid, len(local) - pushed, index.path_of(nid)))
    for rel, tracked in sorted(index.tracked.items()):
        path = repo.workdir / rel
        try:
            st = path.stat()
        except FileNotFoundError:
            result.changed.append(ChangedEntry(rel, Nid(tracked.nid), "deleted"))
            continue
        if (st.st_size, st.st_mtime_ns) == (tracked.size, tracked.mtime_ns):
            continue
        # Size or time moved: only the content decides (a `touch` is no change).
        if st.st_size != tracked.size or nid_of_file(Path(path)) != tracked.nid:
            result.changed.append(ChangedEntry(rel, Nid(tracked.nid), "modified"))
    return result
