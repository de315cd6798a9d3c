"""`nit restore --staged` and `nit rm`: undoing `nit add`, and untracking files.

Both work through the repository's `Index` (its `staged` and `tracked`
maps, changed inside one `repo.transaction()`), never the index's storage, so
they keep working whatever the store keeps underneath.

Unstaging puts the index back as it was before `nit add`, as far as the index
can say: a *new* asset's file becomes untracked again; an *update* keeps its
file tracked (same bytes); a *derive* of an edited tracked file points the
path back at the asset it was derived from, with an unknown size and time, so
`nit status` re-reads it and reports it modified. History (commits, refs) is
never touched: it is immutable, and may already be on a chain.

`nit rm` untracks a path and drops what is staged for it, then deletes the
working file, but only when nothing is lost by doing so: the file still holds
the bytes of its tracked asset and those bytes are in the object store (so
`nit cat NID` gives them back). `cached` keeps the file; `force` deletes it
anyway. Every check is made before anything changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.errors import NitError, NotFound, UsageError
from numbers_cli.model.nid import Nid
from numbers_cli.ops.ingest import nid_of_file
from numbers_cli.repo.index import Index, Staged, Tracked
from numbers_cli.repo.repository import Repository, Transaction

#: Size and time recorded for a path whose current bytes are unknown: never equal
#: to a real file's, so `status` hashes the file and decides from its content.
_UNKNOWN = -1


@dataclass(frozen=True)
class Unstaged:
    """One staged tree dropped by `restore --staged`."""

    nid: Nid
    kind: str  # what was staged: new | update | derive
    path: str | None
    tracking: str  # what the path is now: untracked | tracked | parent (tracked as its parent)

    def to_json(self) -> dict[str, Any]:
        return {"nid": self.nid, "kind": self.kind, "path": self.path, "tracking": self.tracking}


@dataclass(frozen=True)
class Removed:
    """One path `nit rm` untracked."""

    path: str
    nid: Nid
    unstaged: bool  # a staged tree for it was dropped too
    deleted: bool  # the working file was deleted
    commits: int  # commits of its asset, which stay in the history

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "nid": self.nid,
            "unstaged": self.unstaged,
            "deleted": self.deleted,
            "commits": self.commits,
        }


def _rel(repo: Repository, cwd: Path, text: str) -> str:
    """A path argument as the index names it (relative to the repository, '/'-separated)."""
    return repo.relpath(Path(os.path.normpath(cwd / text)))


def _staged_for(index: Index, repo: Repository, cwd: Path, text: str) -> list[Staged]:
    """The staged trees `text` names: by path (tracked or staged there), else by Nid or short id."""
    rel = _rel(repo, cwd, text)
    if (cwd / text).is_dir():  # everything staged below it
        prefix = "" if rel == "." else rel.rstrip("/") + "/"
        return [s for s in index.staged.values() if (s.path or "").startswith(prefix)]
    tracked = index.tracked.get(rel)
    by_path = [
        s
        for s in index.staged.values()
        if s.path == rel or (tracked is not None and s.nid == tracked.nid)
    ]
    if by_path or tracked is not None:
        return by_path
    if (cwd / text).exists():
        raise NotFound(f"{text} is neither tracked nor staged", hint="`nit status` lists both")
    nid = repo.resolve_asset(text)  # a Nid or a short id; UsageError when neither
    staged = index.staged.get(nid)
    if staged is None:
        raise NotFound(f"nothing is staged for {text}", hint="`nit status` lists what is")
    return [staged]


def _history_len(txn: Transaction, nid: str) -> int:
    return len(txn.history(nid))


def restore_staged(repo: Repository, cwd: Path, targets: list[str]) -> list[Unstaged]:
    """Drop the staged trees of `targets` (paths, Nids or short ids); see the module docstring.

    NotFound for a target that is neither tracked nor staged (nothing changes
    then); a tracked path with nothing staged is no error and yields nothing.
    """
    if not targets:
        raise UsageError("name the files (or Nids) to unstage")
    results: list[Unstaged] = []
    with repo.transaction() as txn:
        index = txn.index
        chosen: dict[str, Staged] = {}
        for text in targets:
            for staged in _staged_for(index, repo, cwd, text):
                chosen.setdefault(staged.nid, staged)
        for nid, staged in chosen.items():
            del index.staged[nid]
            results.append(_untrack_unstaged(txn, staged))
    return results


def _untrack_unstaged(txn: Transaction, staged: Staged) -> Unstaged:
    """Put the path of a dropped staged tree back as it was before `nit add`."""
    index = txn.index
    nid = Nid(staged.nid)
    path = staged.path
    tracked = index.tracked.get(path) if path else None
    if path is None or tracked is None or tracked.nid != staged.nid:
        return Unstaged(nid, staged.kind, path, "tracked" if tracked else "untracked")
    if _history_len(txn, staged.nid):  # an update: the file is still that asset
        return Unstaged(nid, staged.kind, path, "tracked")
    parent = staged.tree.get("parentAssetCid")
    tracked_elsewhere = parent and any(
        t.nid == parent for p, t in index.tracked.items() if p != path
    )
    if staged.kind == "derive" and parent and _history_len(txn, parent) and not tracked_elsewhere:
        # The tracked file was edited: it is the parent asset again, with new bytes.
        index.tracked[path] = Tracked(str(parent), _UNKNOWN, _UNKNOWN)
        return Unstaged(nid, staged.kind, path, "parent")
    del index.tracked[path]
    return Unstaged(nid, staged.kind, path, "untracked")


def remove(
    repo: Repository, cwd: Path, paths: list[str], *, cached: bool = False, force: bool = False
) -> list[Removed]:
    """Untrack `paths` (and drop what is staged for them); delete the files unless `cached`.

    NotFound for a path that is not tracked; NitError, before anything
    changes, for a file whose deletion would lose bytes (see the module
    docstring) unless `force`.
    """
    if not paths:
        raise UsageError("name the files to remove")
    plan: list[tuple[str, Tracked]] = []
    index = repo.index()
    for text in paths:
        rel = _rel(repo, cwd, text)
        tracked = index.tracked.get(rel)
        if tracked is None:
            raise NotFound(f"{text} is not tracked", hint="`nit status` lists tracked files")
        plan.append((rel, tracked))
    if not cached and not force:
        for rel, tracked in plan:
            _check_deletable(repo, rel, tracked)
    results: list[Removed] = []
    with repo.transaction() as txn:
        for rel, _ in dict(plan).items():
            tracked = txn.index.tracked.pop(rel)
            dropped = [
                nid
                for nid, staged in txn.index.staged.items()
                if staged.path == rel and nid == tracked.nid
            ]
            for nid in dropped:
                del txn.index.staged[nid]
            results.append(
                Removed(rel, Nid(tracked.nid), bool(dropped), False, _history_len(txn, tracked.nid))
            )
    if cached:
        return results
    final = []
    for result in results:
        target = repo.workdir / result.path
        try:
            target.unlink()
            deleted = True
        except FileNotFoundError:
            deleted = False
        final.append(Removed(result.path, result.nid, result.unstaged, deleted, result.commits))
    return final


def _check_deletable(repo: Repository, rel: str, tracked: Tracked) -> None:
    """NitError unless deleting the working file of `rel` loses nothing."""
    target = repo.workdir / rel
    try:
        st = target.stat()
    except FileNotFoundError:
        return  # already gone: nothing to lose
    hint = "`nit rm --cached` keeps the file and only untracks it; --force deletes it anyway"
    unchanged = (st.st_size, st.st_mtime_ns) == (tracked.size, tracked.mtime_ns)
    if not unchanged and nid_of_file(target) != tracked.nid:
        raise NitError(f"{rel} has changes that were not added; not deleting it", hint=hint)
    nid = Nid(tracked.nid)
    # Added by reference (`--no-copy`), the working file *is* the stored copy.
    if not repo.objects.has(nid) or repo.objects.is_referenced(nid):
        raise NitError(
            f"the bytes of {rel} are not stored in this repository; not deleting it", hint=hint
        )
