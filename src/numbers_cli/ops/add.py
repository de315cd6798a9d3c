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
records where they are. The per-file work is in `ops.add_stage`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.config import Config
from numbers_cli.errors import NitError, NotFound, UsageError
from numbers_cli.metadata import sniff_mime
from numbers_cli.metadata.c2pa import may_carry_manifest
from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import license_of, require_url, source_type_uri
from numbers_cli.ops.add_paths import SKIP_DIRS, Found, expand
from numbers_cli.ops.add_stage import Added, Batch, FileJob, add_one, stage
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.repo.index import Index
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
    usage_terms: dict[str, str] = field(default_factory=dict)  # custom.usageTerms (model.usage)
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
            "generatedThrough": require_url(self.generated_through, "--generated-through")
            if self.generated_through
            else None,
            "digitalSourceType": source_type_uri(self.source_type) if self.source_type else None,
            "integrityCid": Nid.parse(self.integrity_cid) if self.integrity_cid else None,
        }

    def by_reference(self, config: Config) -> bool:
        if self.reference is not None:
            return self.reference
        return bool(config.get("add.reference"))


def add(
    repo: Repository,
    paths: list[Path],
    options: AddOptions | None = None,
    *,
    config: Config | None = None,
    progress: Progress | None = None,
    warn: Warn | None = None,
    per_file: Mapping[Path, AddOptions] | None = None,
    dry_run: bool = False,
) -> list[Added]:
    """Stage `paths` (files, and files below directories).

    Below a directory, what cannot be an asset (a dangling symlink, a symlink
    out of the repository, a FIFO or device, an unreadable file or folder) is
    skipped with a warning through `warn`; a file named on its own is an error.
    `per_file` (resolved path -> options) replaces `options` for the files it
    names (`nit add --manifest`); `dry_run` reads and reports, writing nothing.
    """
    options = options or AddOptions()
    config = config or Config.load(repo.workdir)
    progress = progress or NoProgress()
    warn = warn or (lambda _message: None)
    per_file = per_file or {}
    files = list(dict.fromkeys(expand(paths, repo.workdir, warn)))
    if not files:
        raise UsageError("nothing to add: no files found")
    if options.parent and len(files) > 1:
        raise UsageError("--parent names the parent of one file; add derived files one at a time")
    rels = {}
    for entry in files:
        rels[entry.path] = rel = _rel(repo, entry.path)
        if rel.split("/", 1)[0] == DIRNAME:
            raise UsageError(f"{quote_path(rel)} is inside nit's own directory")
    # Before anything is written: the stat of each file (an unchanged tracked one is not
    # read again), and every embedded C2PA manifest (a corrupt one fails the add).
    stats, claims = _prepare(repo, files, rels, config, warn)
    results: list[Added] = []
    many = len(files) > MANY_FILES
    if many:
        progress.start("adding", len(files), unit="files")
    else:
        progress.start("adding", sum(st.st_size for st in stats.values()))
    fields: dict[int, dict[str, Any]] = {}  # options object → its tree fields, made once
    try:
        with contextlib.nullcontext(Transaction(repo)) if dry_run else repo.transaction() as txn:
            batch = Batch(repo, txn, progress, time.time_ns(), many, dry_run)
            for entry in files:
                if entry.path not in stats:
                    continue  # skipped with a warning by _prepare
                opts = per_file.get(entry.path, options)
                if id(opts) not in fields:
                    fields[id(opts)] = opts.tree_fields(config)
                job = FileJob(
                    entry.path,
                    rels[entry.path],
                    opts,
                    fields[id(opts)],
                    Nid.parse(opts.parent) if opts.parent else None,
                    opts.by_reference(config),
                    claims.get(entry.path),
                    stats[entry.path],
                )
                try:
                    result = add_one(batch, job)
                except NitError as exc:
                    if not entry.walked or not _unreadable(exc):
                        raise
                    warn(f"skipped {quote_path(job.rel)}: {exc.message}")
                    continue
                results.append(result)
                if many:
                    progress.advance(1)
    finally:
        progress.done()
    return results


def _prepare(
    repo: Repository,
    files: list[Found],
    rels: dict[Path, str],
    config: Config,
    warn: Warn,
) -> tuple[dict[Path, os.stat_result], dict[Path, Any]]:
    """Stat every file; read the C2PA manifests of those that may have changed."""
    tracked = Index.load_tracked(repo.db)
    stats: dict[Path, os.stat_result] = {}
    claims: dict[Path, Any] = {}
    for entry in files:
        try:
            st = os.stat(entry.path)
        except OSError as exc:
            if not entry.walked:
                raise NotFound(f"{quote_path(rels[entry.path])}: no such file") from None
            warn(f"skipped {quote_path(rels[entry.path])}: {exc.strerror}")
            continue
        known = tracked.get(rels[entry.path])
        if known is None or not known.unchanged(st.st_size, st.st_mtime_ns, st.st_ino):
            try:
                found = _claims(repo, entry.path, config)
            except NitError as exc:
                if not entry.walked or not _unreadable(exc):
                    raise
                warn(f"skipped {quote_path(rels[entry.path])}: {exc.message}")
                continue
            if found is not None:
                claims[entry.path] = found
        stats[entry.path] = st
    return stats, claims


def _claims(repo: Repository, path: Path, config: Config) -> Any:
    """The C2PA claims of the file at `path` (`ops.claims.Claims`), or None.

    ops.claims, the C2PA mapping and the SDK are imported only for a file
    whose type may carry a manifest (media, PDF): a data or text file costs
    one sniff of its first bytes, not their ~3 ms of imports (issue 9).
    """
    if not may_carry_manifest(sniff_mime(path)):
        return None
    from numbers_cli.ops import claims as claims_op

    return claims_op.read_all(repo, [path], config).get(path)


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
    parent = Nid.parse(options.parent) if options.parent else None
    import shutil  # standard input only (shutil imports bz2 and lzma)

    progress.start(f"adding {base}", 0)
    try:
        with repo.transaction() as txn:
            spool_dir = repo.dir / "tmp" / f"stdin-{os.urandom(6).hex()}"
            spool_dir.mkdir(parents=True)
            spool = spool_dir / base
            try:
                with spool.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
                batch = Batch(repo, txn, progress, time.time_ns())
                fixed = options.tree_fields(config)
                job = FileJob(spool, name, options, fixed, parent, False, track=False)
                return stage(batch, job)
            finally:
                shutil.rmtree(spool_dir, ignore_errors=True)
    finally:
        progress.done()


def _rel(repo: Repository, path: Path) -> str:
    """`path` relative to the working tree; paths from `expand` are already resolved."""
    text, root = str(path), str(repo.workdir)
    if text.startswith(root + os.sep):
        return Path(text[len(root) + 1 :]).as_posix()
    return repo.relpath(path)


def _unreadable(exc: NitError) -> bool:
    return isinstance(exc, NotFound) or exc.message.startswith("cannot read")
