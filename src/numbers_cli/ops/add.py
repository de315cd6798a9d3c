"""`nit add`: data preparation. Read each file once, learn what it says about
itself, and stage an AssetTree for the next commit.

Which kind of change is staged follows the Numbers action types:
- *new*: a file nit has never seen;
- *update*: a file whose Nid already has a history or a staged tree (same bytes,
  new facts: licence, creator, message ...);
- *derive*: different bytes, either with `--parent NID` or because a tracked
  path now holds edited content; the new asset records `parentAssetCid`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numbers_cli.config import Config
from numbers_cli.errors import NitError, UsageError
from numbers_cli.metadata import read_metadata
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree, license_of, require_url, source_type_uri
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.index import Staged, Tracked
from numbers_cli.repo.repository import DIRNAME, Repository, Transaction

if TYPE_CHECKING:  # data stream (issue 15): C2PA in, usage terms (imported when adding)
    from numbers_cli.ops import claims as claims_op

SKIP_DIRS = {DIRNAME, ".git", "node_modules", "__pycache__"}


@dataclass
class AddOptions:
    """What the user says about the files, beyond what the files say themselves."""

    message: str | None = None
    license: str | None = None  # short name, or NAME=URL
    creator: str | None = None
    parent: str | None = None
    generated_by: str | None = None
    generated_through: str | None = None
    source_type: str | None = None
    custom: dict[str, str] = field(default_factory=dict)
    integrity_cid: str | None = None
    usage_terms: dict[str, str] = field(default_factory=dict)  # custom.usageTerms (model.usage)

    def tree_fields(self, config: Config) -> dict[str, Any]:
        """Tree fields set by options (or config defaults); absent ones are None."""
        lic = self.license or str(config.get("add.license") or "") or None
        license_obj = None
        if lic:
            name, sep, url = lic.partition("=")
            license_obj = license_of(name, url if sep else None)
        return {
            "assetCreator": self.creator or (str(config.get("user.name") or "") or None),
            "license": license_obj,
            "abstract": self.message,
            "generatedBy": self.generated_by,
            "generatedThrough": require_url(self.generated_through, "--generated-through")
            if self.generated_through
            else None,
            "digitalSourceType": source_type_uri(self.source_type) if self.source_type else None,
            "integrityCid": Nid.parse(self.integrity_cid) if self.integrity_cid else None,
        }


@dataclass(frozen=True)
class Added:
    path: str
    nid: Nid
    kind: str  # new | update | derive | unchanged (nothing staged)
    size: int
    parent: str | None
    warnings: tuple[str, ...]


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files below directories named (hidden entries skipped)."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        elif path.exists():
            yield path
        else:
            raise UsageError(f"{path}: no such file or directory")


def add(
    repo: Repository,
    paths: list[Path],
    options: AddOptions | None = None,
    *,
    config: Config | None = None,
    progress: Progress | None = None,
    per_file: Mapping[Path, AddOptions] | None = None,
    dry_run: bool = False,
) -> list[Added]:
    """Stage `paths`. `per_file` (resolved path -> options) replaces `options` for the
    files it names (`nit add --manifest`); `dry_run` reads and reports, writing nothing."""
    options = options or AddOptions()
    config = config or Config.load(repo.workdir)
    progress = progress or NoProgress()
    per_file = per_file or {}
    files = list(dict.fromkeys(p.resolve() for p in expand(paths)))
    if not files:
        raise UsageError("nothing to add: no files found")
    if options.parent and len(files) > 1:
        raise UsageError("--parent names the parent of one file; add derived files one at a time")
    for path in files:
        if repo.relpath(path).split("/", 1)[0] == DIRNAME:
            raise UsageError(f"{repo.relpath(path)} is inside nit's own directory")
    # data stream (issue 15): every embedded C2PA manifest is read before anything is
    # written, so a corrupt one fails the add with nothing changed.
    from numbers_cli.ops import claims as claims_op

    claims = claims_op.read_all(repo, files, config)
    results: list[Added] = []
    progress.start("adding", sum(f.stat().st_size for f in files))
    try:
        with contextlib.nullcontext(Transaction(repo)) if dry_run else repo.transaction() as txn:
            for path in files:
                opts = per_file.get(path, options)
                results.append(
                    _add_one(
                        repo,
                        txn,
                        path,
                        repo.relpath(path),
                        opts.tree_fields(config),
                        opts,
                        Nid.parse(opts.parent) if opts.parent else None,
                        progress,
                        claims.get(path),
                        dry_run,
                    )
                )
    finally:
        progress.done()
    return results


def _add_one(
    repo: Repository,
    txn: Transaction,
    path: Path,
    rel: str,
    fixed: dict[str, Any],
    options: AddOptions,
    parent: Nid | None,
    progress: Progress,
    claims: claims_op.Claims | None = None,
    dry_run: bool = False,
) -> Added:
    meta = read_metadata(path)
    stat = path.stat()
    got = ingest(path, None if dry_run else repo.objects, progress.advance)
    index = txn.index
    previous = index.tracked.get(rel)
    explicit = {k: v for k, v in fixed.items() if v is not None}
    if options.custom:
        explicit["custom"] = dict(options.custom)
    # data stream (issue 15): C2PA claims under the explicit options; usage terms
    from numbers_cli.ops import claims as claims_op

    explicit = claims_op.with_claims(explicit, claims, options.usage_terms)
    warnings = meta.warnings + (claims.warnings if claims else ())

    base = _current_tree(repo, txn, got.nid)
    if base is not None:
        kind = index.staged[got.nid].kind if got.nid in index.staged else "update"
        if "custom" in explicit:
            explicit["custom"] = claims_op.merge_custom(base.get("custom"), explicit["custom"])
        tree = base.updated(explicit)
        parent_nid = base.get("parentAssetCid")
    else:
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
        parent_nid = parent
    index.tracked[rel] = Tracked(got.nid, stat.st_size, stat.st_mtime_ns)
    if kind == "update" and got.nid not in index.staged and tree == base:
        # Same bytes, nothing new said about them: committing would only repeat history.
        return Added(rel, got.nid, "unchanged", got.size, parent_nid, warnings)
    index.staged[got.nid] = Staged(got.nid, kind, tree.as_dict(), rel)
    return Added(rel, got.nid, kind, got.size, parent_nid, warnings)


def _current_tree(repo: Repository, txn: Transaction, nid: Nid) -> AssetTree | None:
    """The tree an update starts from: the staged one, else the head commit's."""
    staged = txn.index.staged.get(nid)
    if staged is not None:
        return AssetTree(tuple(staged.tree.items()))
    history = txn.history(nid)
    if not history:
        return None
    try:
        return load_tree(repo, history[-1])
    except NitError as exc:
        raise NitError(f"cannot update {nid}: its last tree is unreadable ({exc.message})") from exc
