"""One file of `nit add`: read it (or, if its stat says it did not change, do not),
and stage the tree of a new, updated or derived asset.

Precedence of what goes into a tree, lowest first: the file's own metadata
(Exif) < its C2PA manifest (`ops.claims`) < what the user says.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import InvalidFormat, NitError, NotFound
from numbers_cli.metadata import read_metadata
from numbers_cli.model import jsjson
from numbers_cli.model.names import path_bytes, quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.progress import Progress
from numbers_cli.ops.trees import read_file
from numbers_cli.repo.index import Staged, Tracked
from numbers_cli.repo.repository import Repository, Transaction

if TYPE_CHECKING:
    from numbers_cli.ops import claims as claims_op
    from numbers_cli.ops.add import AddOptions


@dataclass(frozen=True)
class Added:
    path: str
    nid: Nid
    kind: str  # new | update | derive | unchanged (nothing staged)
    size: int
    parent: str | None
    warnings: tuple[str, ...]
    referenced: bool = False  # recorded by reference (--no-copy), not copied


@dataclass
class Batch:
    """What is the same for every file of one `nit add`."""

    repo: Repository
    txn: Transaction
    progress: Progress
    now_ns: int
    by_files: bool = False  # progress counts files, not bytes
    dry_run: bool = False


@dataclass
class FileJob:
    """One file to stage, and what was said about it."""

    path: Path
    rel: str
    options: AddOptions
    fixed: dict[str, Any]  # options.tree_fields(config)
    parent: Nid | None
    reference: bool
    claims: claims_op.Claims | None = None
    stat: os.stat_result | None = None  # taken before the C2PA read, if any
    track: bool = True  # a working file (not standard input)


def add_one(batch: Batch, job: FileJob) -> Added:
    """Stage one working file; a tracked, unchanged one costs the stat already taken."""
    st = job.stat
    if st is None:
        try:
            st = os.stat(job.path)
        except FileNotFoundError:
            raise NotFound(f"{quote_path(job.rel)}: no such file") from None
    previous = batch.txn.index.tracked.get(job.rel)
    if (
        job.parent is None
        and previous is not None
        and previous.unchanged(st.st_size, st.st_mtime_ns, st.st_ino)
    ):
        base = current_tree(batch, Nid(previous.nid))
        if base is not None:
            return _update(batch, job, Nid(previous.nid), st.st_size, base, (), False)
    job.stat = st
    return stage(batch, job)


def stage(batch: Batch, job: FileJob) -> Added:
    """Read the file (once) and stage what it is: new, an update or a derived asset."""
    meta = read_metadata(job.path)
    reference = path_bytes(job.rel) if job.reference and job.track else None
    advance = None if batch.by_files or not job.track else batch.progress.advance
    store = None if batch.dry_run else batch.repo.objects
    got = ingest(job.path, store, advance, reference=reference, expect=job.stat)
    referenced = reference is not None and store is not None
    index = batch.txn.index
    previous = index.tracked.get(job.rel) if job.track else None
    if job.track:
        index.tracked[job.rel] = Tracked(got.nid, got.size, got.mtime_ns, got.ino, batch.now_ns)
    warnings = meta.warnings + (job.claims.warnings if job.claims else ())
    base = current_tree(batch, got.nid)
    if base is not None:
        return _update(batch, job, got.nid, got.size, base, warnings, referenced)
    explicit = _explicit(job)
    parent = job.parent
    if parent is None and explicit.get("parentAssetCid"):
        parent = Nid(explicit["parentAssetCid"])  # named by the file's C2PA manifest
    if parent is None and previous is not None and previous.nid != got.nid:
        parent = Nid(previous.nid)  # the tracked file was edited: a derived asset
    kind = "derive" if parent is not None else "new"
    custom: dict[str, Any] = {}
    if meta.camera:
        custom["camera"] = dict(meta.camera)
    custom.update(explicit.get("custom") or {})
    tree = AssetTree.new(
        {
            "assetCid": got.nid,
            "assetSha256": got.sha256,
            "encodingFormat": meta.mime,
            "assetTimestampCreated": meta.created,
            "assetLocationCreated": meta.location,
            **explicit,
            "parentAssetCid": parent,
            "custom": custom or None,
        }
    )
    index.staged[got.nid] = Staged(got.nid, kind, tree.as_dict(), job.rel)
    return Added(job.rel, got.nid, kind, got.size, parent, warnings, referenced)


def _explicit(job: FileJob) -> dict[str, Any]:
    """Tree fields the user gave (and the file's C2PA claims beneath them)."""
    explicit = {k: v for k, v in job.fixed.items() if v is not None}
    if job.options.custom:
        explicit["custom"] = dict(job.options.custom)
    if job.claims is None and not job.options.usage_terms:
        return explicit  # nothing to merge: ops.claims (and the C2PA mapping) stay unloaded
    from numbers_cli.ops import claims as claims_op

    return claims_op.with_claims(explicit, job.claims, job.options.usage_terms)


def _update(
    batch: Batch,
    job: FileJob,
    nid: Nid,
    size: int,
    base: AssetTree,
    warnings: tuple[str, ...],
    referenced: bool,
) -> Added:
    """Same bytes as an asset already known: stage what the options change, if anything."""
    index = batch.txn.index
    explicit = _explicit(job)
    kind = index.staged[nid].kind if nid in index.staged else "update"
    if "custom" in explicit:
        from numbers_cli.ops import claims as claims_op

        explicit["custom"] = claims_op.merge_custom(base.get("custom"), explicit["custom"])
    tree = base.updated(explicit)
    parent_nid = base.get("parentAssetCid")
    if kind == "update" and nid not in index.staged and tree == base:
        # Same bytes, nothing new said about them: committing would only repeat history.
        return Added(job.rel, nid, "unchanged", size, parent_nid, warnings, referenced)
    staged = index.staged.get(nid)
    rel = job.rel
    if staged is None or (staged.kind, staged.tree, staged.path) != (kind, tree.as_dict(), rel):
        index.staged[nid] = Staged(nid, kind, tree.as_dict(), rel)
    return Added(rel, nid, kind, size, parent_nid, warnings, referenced)


def current_tree(batch: Batch, nid: Nid) -> AssetTree | None:
    """The tree an update starts from: the staged one, else the head commit's.

    Only the tree is needed here: the head commit is read for its tree's Nid
    (its bytes are checked against its CID on the way), not validated as a
    whole, which costs a checksum of its committer's address per asset
    (`nit verify` and `nit fsck` do that).
    """
    staged = batch.txn.index.staged.get(nid)
    if staged is not None:
        return AssetTree(tuple(staged.tree.items()))
    history = batch.txn.history(nid)
    if not history:
        return None
    try:
        commit = jsjson.parse(batch.repo.objects.get(history[-1]))
        if not isinstance(commit, dict):
            raise InvalidFormat("its head commit is not a JSON object")
        tree_cid = Nid.parse(str(commit.get("assetTreeCid")))
        return AssetTree.from_bytes(read_file(batch.repo, tree_cid))
    except NitError as exc:
        raise NitError(f"cannot update {nid}: its last tree is unreadable ({exc.message})") from exc
