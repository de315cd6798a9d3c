"""`nit log`, `nit show`, `nit diff`: reading an asset's local history."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import InvalidFormat, NotFound, UsageError
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.trees import load_commit, tree_of
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.shortid import KnownId, expand


@dataclass(frozen=True)
class LogEntry:
    asset: Nid
    index: int  # position in the asset's history, 0 = initial registration
    commit_nid: Nid
    commit: Commit
    path: str | None = None  # the tracked file of the asset, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "index": self.index,
            "commitCid": self.commit_nid,
            "commit": self.commit.as_dict(),
            "path": self.path,
        }


def log(repo: Repository, asset: str | None = None) -> list[LogEntry]:
    """Newest first; one asset's history, or every asset's interleaved by time."""
    assets = [repo.resolve_asset(asset)] if asset else repo.refs.assets()
    entries: list[LogEntry] = []
    paths = {tracked.nid: path for path, tracked in sorted(repo.index().tracked.items())}
    for nid in assets:
        history = repo.refs.history(nid)
        if asset and not history:
            raise NotFound(f"no commits for {nid}", hint="`nit commit` after `nit add`")
        path = paths.get(nid)
        for i, commit_nid in enumerate(history):
            entries.append(LogEntry(nid, i, commit_nid, load_commit(repo, commit_nid), path))
    entries.sort(key=lambda e: (e.commit.get("timestampCreated") or 0, e.index), reverse=True)
    return entries


@dataclass(frozen=True)
class Shown:
    kind: str  # commit | asset | tree
    nid: Nid
    commit_nid: Nid | None
    commit: Commit | None
    tree: AssetTree | None
    asset: Nid | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cid": self.nid,
            "asset": self.asset,
            "commitCid": self.commit_nid,
            "commit": self.commit.as_dict() if self.commit else None,
            "assetTree": self.tree.as_dict() if self.tree else None,
        }


def show(repo: Repository, target: str) -> Shown:
    """A commit with its tree; an asset's head commit; or a tree object."""
    nid = repo.resolve_asset(target)
    history = repo.refs.history(nid)
    if history:
        commit = load_commit(repo, history[-1])
        tree = tree_of(repo, commit)
        return Shown("asset", nid, history[-1], commit, tree, nid)
    if not repo.objects.has(nid):
        raise NotFound(f"{nid} is neither an asset nor an object in this repository")
    data = repo.objects.get(nid)
    value = jsjson.parse(data) if data[:1] == b"{" else None
    if isinstance(value, dict) and "assetTreeSignature" in value:
        commit = Commit.from_json(data)
        tree = tree_of(repo, commit)
        return Shown("commit", nid, nid, commit, tree, tree.asset_cid)
    if isinstance(value, dict) and "assetCid" in value:
        tree = AssetTree.from_bytes(data)
        return Shown("tree", nid, None, None, tree, tree.asset_cid)
    raise UsageError(f"{nid} is a file block, not a commit or tree; use `nit cat {nid}`")


@dataclass(frozen=True)
class DiffPart:
    value: str
    added: bool
    removed: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "added": self.added, "removed": self.removed}


@dataclass(frozen=True)
class Diff:
    asset: Nid
    from_label: str
    to_label: str
    commit_diff: list[DiffPart]
    tree_diff: list[DiffPart]

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "from": self.from_label,
            "to": self.to_label,
            "commitDiff": [p.to_json() for p in self.commit_diff],
            "assetTreeDiff": [p.to_json() for p in self.tree_diff],
        }


def json_diff(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[DiffPart]:
    """Line diff of pretty JSON, grouped into runs like jsdiff's diffJson parts."""
    left = jsjson.stringify(a, indent=2).splitlines(keepends=True) if a is not None else []
    right = jsjson.stringify(b, indent=2).splitlines(keepends=True) if b is not None else []
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, left, right, autojunk=False
    ).get_opcodes():
        if op == "equal":
            parts.append(DiffPart("".join(left[i1:i2]), False, False))
            continue
        if i2 > i1:
            parts.append(DiffPart("".join(left[i1:i2]), False, True))
        if j2 > j1:
            parts.append(DiffPart("".join(right[j1:j2]), True, False))
    return parts


def _side(
    repo: Repository, asset: Nid, history: list[Nid], ref: str
) -> tuple[str, Commit | None, dict[str, Any] | None]:
    """Resolve one side of a diff: an index into the history, a commit Nid, or 'staged'."""
    if ref == "staged":
        staged = repo.index().staged.get(asset)
        if staged is None:
            raise NotFound(f"nothing staged for {asset}")
        return "staged", None, staged.tree
    if ref.lstrip("-").isdigit():
        i = int(ref)
        if not -len(history) <= i < len(history):
            raise UsageError(f"{asset} has {len(history)} commits; index {i} is out of range")
        commit_nid = history[i]
        label = f"#{i % len(history)}"
    else:
        commit_nid = _commit_of(repo, asset, history, ref)
        label = commit_nid
    commit = load_commit(repo, commit_nid)
    tree = tree_of(repo, commit).as_dict()
    return label, commit, tree


def _commit_of(repo: Repository, asset: Nid, history: list[Nid], ref: str) -> Nid:
    """A commit of `asset` named by its Nid or a short id of it (among its commits only)."""
    try:
        commit_nid = Nid.parse(ref)
    except InvalidFormat:
        among = [KnownId(c, "commit", f"#{i}") for i, c in enumerate(history)]
        found = expand(repo, ref, among)
        if found is None:
            raise UsageError(
                f"{ref!r} is no commit index, commit Nid or short id of a commit of {asset}"
            ) from None
        return found
    if commit_nid not in history:
        raise NotFound(f"{commit_nid} is not a commit of {asset}")
    return commit_nid


def diff(repo: Repository, asset_ref: str, a: str | None = None, b: str | None = None) -> Diff:
    """Differences between two versions; by default the last commit and what is staged,
    or, with nothing staged, the last two commits (the reference tool's default)."""
    asset = repo.resolve_asset(asset_ref)
    history = repo.refs.history(asset)
    if a is None and b is None:
        if asset in repo.index().staged:
            a, b = ("-1" if history else None), "staged"
        elif len(history) >= 2:
            a, b = "-2", "-1"
        elif history:
            a, b = None, "-1"
        else:
            raise NotFound(f"no commits or staged changes for {asset}")
    elif b is None:
        b = "staged" if asset in repo.index().staged else "-1"
    left = _side(repo, asset, history, a) if a is not None else ("(none)", None, None)
    right = _side(repo, asset, history, b)
    return Diff(
        asset,
        left[0],
        right[0],
        json_diff(left[1].as_dict() if left[1] else None, right[1].as_dict() if right[1] else None),
        json_diff(left[2], right[2]),
    )
