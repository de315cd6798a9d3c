"""`nit status`: what is staged, what is committed but not yet on any chain,
and which tracked files changed on disk since they were added.

Every list is sorted by path (entries without a path, by Nid, last), and a
summary counts each list by kind, so a repository of thousands of assets can
be told about in a few lines. The work is a few queries and one `stat` per
tracked file; only a file whose stat moved is hashed again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from numbers_cli.errors import NitError
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

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts: staged by kind, unpushed assets and commits, changed by state."""
        return {
            "staged": dict(sorted(Counter(s.kind for s in self.staged).items())),
            "unpushed": {
                "assets": len(self.unpushed),
                "commits": sum(u.commits for u in self.unpushed),
            },
            "changed": dict(sorted(Counter(c.state for c in self.changed).items())),
        }


def _by_path(path: str | None, nid: str) -> tuple[int, str, str]:
    return (path is None, path or "", nid)


def status(repo: Repository) -> Status:
    index = repo.index()
    result = Status()
    for nid, staged in index.staged.items():
        result.staged.append(StagedEntry(Nid(nid), staged.kind, staged.path))
    result.staged.sort(key=lambda s: _by_path(s.path, s.nid))
    paths = index.paths_by_nid()
    pushed = repo.refs.remote_counts()
    # stamp (issue 14): a stamped commit goes on chain through its batch (listed itself).
    from numbers_cli.repo.stamps import StampRecords

    stamped = StampRecords(repo.db).stamped_counts()
    for nid, count in repo.refs.head_counts().items():
        ahead = count - stamped.get(nid, 0) - pushed.get(nid, 0)
        if ahead > 0:
            result.unpushed.append(UnpushedEntry(Nid(nid), ahead, paths.get(nid)))
    result.unpushed.sort(key=lambda u: _by_path(u.path, u.nid))
    for rel, tracked in sorted(index.tracked.items()):
        path = repo.workdir / rel
        try:
            st = path.stat()
        except FileNotFoundError:
            result.changed.append(ChangedEntry(rel, Nid(tracked.nid), "deleted"))
            continue
        except OSError:
            continue  # unreadable now: not a change nit can tell
        if (st.st_size, st.st_mtime_ns) == (tracked.size, tracked.mtime_ns):
            continue
        # Size or time moved: only the content decides (a `touch` is no change).
        if st.st_size != tracked.size or _nid_or_none(path) != tracked.nid:
            result.changed.append(ChangedEntry(rel, Nid(tracked.nid), "modified"))
    return result


def _nid_or_none(path: Path) -> str | None:
    try:
        return nid_of_file(path)
    except NitError:
        return None
