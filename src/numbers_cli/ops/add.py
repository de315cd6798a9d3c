"""`nit add`: data preparation. Read each file once, learn what it says about
itself, and stage an AssetTree for the next commit.

Which kind of change is staged follows the Numbers action types:
- *new*: a file nit has never seen;
- *update*: a file whose Nid already has a history or a staged tree (same bytes,
  new facts: licence, creator, message ...);
- *derive*: different bytes, either with `--parent NID` or because a tracked
  path now holds edited content; the new asset records `parentAssetCid`.

A tracked file whose size, mtime and inode are what the index recorded is not
read again (one `stat`, as git's index does). With `reference` (`--no-copy`,
or `add.reference = true`) the bytes stay in the working tree and the store
records where they are.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.config import Config
from numbers_cli.errors import NitError, NotFound, UsageError
from numbers_cli.metadata import read_metadata
from numbers_cli.model.names import path_bytes, quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree, license_of, source_type_uri
from numbers_cli.ops.add_paths import SKIP_DIRS, expand
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.index import Staged, Tracked
from numbers_cli.repo.repository import DIRNAME, Repository, Transaction

__all__ = ["SKIP_DIRS", "AddOptions", "Added", "add", "add_stream", "expand"]

#: From this many files on, progress counts files rather than bytes.
MANY_FILES = 200

Warn = Callable[[str], None]


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
    reference: bool | None = None  # None: the config's add.reference

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
            "generatedThrough": self.generated_through,
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
    referenced: bool = False  # recorded by reference (--no-copy), not copied


@dataclass
class _Context:
    repo: Repository
    txn: Transaction
    fixed: dict[str, Any]
    options: AddOptions
    progress: Progress
    reference: bool
    now_ns: int
    by_files: bool = False  # progress counts files, not bytes


def _reference_default(options: AddOptions, config: Config) -> bool:
    if options.reference is not None:
        return options.reference
    return bool(config.get("add.reference"))


def add(
    repo: Repository,
    paths: list[Path],
    options: AddOptions | None = None,
    *,
    config: Config | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> list[Added]:
    """Stage `paths` (files, and files below directories).

    Below a directory, what cannot be an asset (a dangling symlink, a symlink
    out of the repository, a FIFO or device, an unreadable file or folder) is
    skipped with a warning through `warn`; a file named on its own is an error.
    """
    options = options or AddOptions()
    config = config or Config.load(repo.workdir)
    progress = progress or NoProgress()
    warn = warn or (lambda _message: None)
    files = list(dict.fromkeys(expand(paths, repo.workdir, warn)))
    if not files:
        raise UsageError("nothing to add: no files found")
    parent = Nid.parse(options.parent) if options.parent else None
    if parent is not None and len(files) > 1:
        raise UsageError("--parent names the parent of one file; add derived files one at a time")
    fixed = options.tree_fields(config)
    results: list[Added] = []
    many = len(files) > MANY_FILES
    if many:
        progress.start("adding", len(files), unit="files")
    else:
        progress.start("adding", sum(_size(f.path) for f in files))
    try:
        with repo.transaction() as txn:
            ctx = _Context(
                repo,
                txn,
                fixed,
                options,
                progress,
                _reference_default(options, config),
                time.time_ns(),
                many,
            )
            for entry in files:
                rel = _rel(repo, entry.path)
                if rel.split("/", 1)[0] == DIRNAME:
                    raise UsageError(f"{quote_path(rel)} is inside nit's own directory")
                try:
                    result = _add_one(ctx, entry.path, rel, parent)
                except NitError as exc:
                    if not entry.walked or not _unreadable(exc):
                        raise
                    warn(f"skipped {quote_path(rel)}: {exc.message}")
                    continue
                results.append(result)
                if many:
                    progress.advance(1)
    finally:
        progress.done()
    return results


def add_stream(
    repo: Repository,
    stream: BinaryIO,
    name: str,
    options: AddOptions | None = None,
    *,
    config: Config | None = None,
    progress: Progress | None = None,
) -> Added:
    """Stage what `stream` holds (`nit add - --name NAME`): copied into the store,
    not tracked as a working file; `name` gives its type and its label."""
    options = options or AddOptions()
    config = config or Config.load(repo.workdir)
    progress = progress or NoProgress()
    base = Path(name).name
    if not base or base in (".", ".."):
        raise UsageError(f"--name {name!r} is not a file name")
    if options.reference:
        raise UsageError("standard input cannot be added by reference (--no-copy)")
    options.reference = False
    fixed = options.tree_fields(config)
    parent = Nid.parse(options.parent) if options.parent else None
    progress.start(f"adding {base}", 0)
    try:
        with repo.transaction() as txn:
            spool_dir = repo.dir / "tmp" / f"stdin-{secrets.token_hex(6)}"
            spool_dir.mkdir(parents=True)
            spool = spool_dir / base
            try:
                with spool.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
                ctx = _Context(repo, txn, fixed, options, progress, False, time.time_ns())
                return _stage(ctx, spool, name, parent, track=False)
            finally:
                shutil.rmtree(spool_dir, ignore_errors=True)
    finally:
        progress.done()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _rel(repo: Repository, path: Path) -> str:
    """`path` relative to the working tree; paths from `expand` are already resolved."""
    text, root = str(path), str(repo.workdir)
    if text.startswith(root + os.sep):
        return Path(text[len(root) + 1 :]).as_posix()
    return repo.relpath(path)


def _unreadable(exc: NitError) -> bool:
    return isinstance(exc, NotFound) or exc.message.startswith("cannot read")


def _add_one(ctx: _Context, path: Path, rel: str, parent: Nid | None) -> Added:
    """Stage one working file; a tracked, unchanged one costs a stat."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"{quote_path(rel)}: no such file") from None
    previous = ctx.txn.index.tracked.get(rel)
    if (
        parent is None
        and previous is not None
        and previous.unchanged(st.st_size, st.st_mtime_ns, st.st_ino)
    ):
        base = _current_tree(ctx, Nid(previous.nid))
        if base is not None:
            return _update(ctx, rel, Nid(previous.nid), st.st_size, base, (), False)
    return _stage(ctx, path, rel, parent, track=True, st=st)


def _stage(
    ctx: _Context,
    path: Path,
    rel: str,
    parent: Nid | None,
    *,
    track: bool,
    st: os.stat_result | None = None,
) -> Added:
    meta = read_metadata(path)
    reference = path_bytes(rel) if ctx.reference and track else None
    advance = None if ctx.by_files or not track else ctx.progress.advance
    got = ingest(path, ctx.repo.objects, advance, reference=reference, expect=st)
    index = ctx.txn.index
    previous = index.tracked.get(rel) if track else None
    if track:
        index.tracked[rel] = Tracked(got.nid, got.size, got.mtime_ns, got.ino, ctx.now_ns)
    base = _current_tree(ctx, got.nid)
    if base is not None:
        return _update(ctx, rel, got.nid, got.size, base, meta.warnings, reference is not None)
    if parent is None and previous is not None and previous.nid != got.nid:
        parent = Nid(previous.nid)  # the tracked file was edited: a derived asset
    kind = "derive" if parent is not None else "new"
    custom: dict[str, Any] = {}
    if meta.camera:
        custom["camera"] = dict(meta.camera)
    custom.update(ctx.options.custom)
    tree = AssetTree.new(
        {
            "assetCid": got.nid,
            "assetSha256": got.sha256,
            "encodingFormat": meta.mime,
            "assetTimestampCreated": meta.created,
            "assetLocationCreated": meta.location,
            "parentAssetCid": parent,
            **_explicit(ctx),
            "custom": custom or None,
        }
    )
    index.staged[got.nid] = Staged(got.nid, kind, tree.as_dict(), rel)
    return Added(rel, got.nid, kind, got.size, parent, meta.warnings, reference is not None)


def _explicit(ctx: _Context) -> dict[str, Any]:
    explicit = {k: v for k, v in ctx.fixed.items() if v is not None}
    if ctx.options.custom:
        explicit["custom"] = dict(ctx.options.custom)
    return explicit


def _update(
    ctx: _Context,
    rel: str,
    nid: Nid,
    size: int,
    base: AssetTree,
    warnings: tuple[str, ...],
    referenced: bool,
) -> Added:
    """Same bytes as an asset already known: stage what the options change, if anything."""
    index = ctx.txn.index
    explicit = _explicit(ctx)
    kind = index.staged[nid].kind if nid in index.staged else "update"
    if "custom" in explicit:
        explicit["custom"] = {**(base.get("custom") or {}), **explicit["custom"]}
    tree = base.updated(explicit)
    parent_nid = base.get("parentAssetCid")
    if kind == "update" and nid not in index.staged and tree == base:
        # Same bytes, nothing new said about them: committing would only repeat history.
        return Added(rel, nid, "unchanged", size, parent_nid, warnings, referenced)
    staged = index.staged.get(nid)
    if staged is None or (staged.kind, staged.tree, staged.path) != (kind, tree.as_dict(), rel):
        index.staged[nid] = Staged(nid, kind, tree.as_dict(), rel)
    return Added(rel, nid, kind, size, parent_nid, warnings, referenced)


def _current_tree(ctx: _Context, nid: Nid) -> AssetTree | None:
    """The tree an update starts from: the staged one, else the head commit's."""
    staged = ctx.txn.index.staged.get(nid)
    if staged is not None:
        return AssetTree(tuple(staged.tree.items()))
    history = ctx.txn.history(nid)
    if not history:
        return None
    try:
        return load_tree(ctx.repo, history[-1])
    except NitError as exc:
        raise NitError(f"cannot update {nid}: its last tree is unreadable ({exc.message})") from exc
