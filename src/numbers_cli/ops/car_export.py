"""`nit export --car`: an asset's provenance and content as one CARv1.

A CAR is what IPFS tools exchange (`ipfs dag import`, pinning services,
trustless gateways), so an export can be handed to any of them or to another
`nit import`. What goes in, and in which order (docs/formats.md, "CAR"):

- an asset (its Nid or tracked path): root = the asset's Nid; then, in history
  order, each commit followed by its AssetTree's blocks (and its committer's
  profile document when the committer is a profile Nid held here); then the
  file's DAG;
- a commit: root = the commit; the commit, its tree, the asset's file DAG;
- any other stored object (a file imported without history, a tree): its DAG.

DAGs are written root first, depth-first (the order of `ipfs dag export`), each
block once. Everything is read back verified and streamed block by block, so a
multi-GiB file costs constant memory. Before the first byte is written the whole
export is checked to be present, so a missing block is a clear error rather than
half a CAR on stdout; a file output is written to a temp file and renamed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.errors import InvalidFormat, NitError, NotFound, UsageError
from numbers_cli.fsio import fsync_dir
from numbers_cli.model import car
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import DAG_PB, Nid, is_nid
from numbers_cli.model.unixfs import dag_pb_links, decode_file_node
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import tree_of
from numbers_cli.repo.repository import Repository


@dataclass(frozen=True)
class ExportPlan:
    """What one export will write, resolved and checked before any output."""

    kind: str  # asset | commit | object
    root: Nid
    asset: Nid | None
    commits: tuple[Nid, ...]
    file: Nid | None  # the file DAG to include (None with --no-file)
    file_bytes: int  # block bytes of that DAG, for the progress bar


@dataclass(frozen=True)
class ExportReport:
    kind: str
    root: Nid
    asset: Nid | None
    commits: int
    file_included: bool
    blocks: int
    bytes: int  # size of the CAR written
    destination: str  # a path, or "-" for stdout

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "roots": [self.root],
            "asset": self.asset,
            "commits": self.commits,
            "fileIncluded": self.file_included,
            "blocks": self.blocks,
            "bytes": self.bytes,
            "out": self.destination,
        }


def export_car(
    repo: Repository,
    target: str,
    out: Path | BinaryIO,
    *,
    include_file: bool = True,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the CAR of `target` (asset Nid, tracked path, commit or object) to `out`.

    A path is written whole or not at all (temp file in its directory, then
    rename); a stream (stdout) gets the blocks as they are read.
    """
    plan = plan_export(repo, target, include_file=include_file)
    progress = progress or NoProgress()
    progress.start(f"exporting {plan.root}", plan.file_bytes)
    try:
        if isinstance(out, Path):
            with _replacing(out) as stream:
                blocks, size = write_car(repo, plan, stream, progress)
            destination = str(out)
        else:
            blocks, size = write_car(repo, plan, out, progress)
            out.flush()
            destination = "-"
    finally:
        progress.done()
    return ExportReport(
        plan.kind,
        plan.root,
        plan.asset,
        len(plan.commits),
        plan.file is not None,
        blocks,
        size,
        destination,
    )


def plan_export(repo: Repository, target: str, *, include_file: bool = True) -> ExportPlan:
    """Resolve `target` and make sure every block the CAR needs is here."""
    nid = repo.resolve_asset(target)
    history = repo.refs.history(nid)
    if history:
        kind, asset, commits = "asset", nid, tuple(history)
    elif repo.objects.has(nid) and (commit := _as_commit(repo, nid)) is not None:
        kind, commits = "commit", (nid,)
        asset = _asset_of(repo, nid, commit)
    elif repo.objects.has(nid):
        if not include_file:
            raise UsageError(f"{nid} has no commits here: with --no-file nothing is left to export")
        kind, asset, commits = "object", None, ()
    else:
        staged = nid in repo.index().staged
        raise NotFound(
            f"{nid} is neither an asset with commits nor an object in this repository",
            hint="`nit commit` it first" if staged else None,
        )
    for commit_nid in commits:
        _require_history_objects(repo, commit_nid, asset)
    file = (asset or nid) if include_file else None
    file_bytes = 0
    if file is not None:
        missing, file_bytes = _scan_dag(repo, file)
        if missing is not None:
            what = "is not" if missing == file else f"lacks block {missing}"
            raise NotFound(
                f"the file {file} {what} in this repository",
                hint="use --no-file to export the history without the file" if commits else None,
            )
    return ExportPlan(kind, nid, asset, commits, file, file_bytes)


def write_car(
    repo: Repository, plan: ExportPlan, stream: BinaryIO, progress: Progress | None = None
) -> tuple[int, int]:
    """Stream the planned CAR to `stream`; returns (blocks, bytes written)."""
    header = car.encode_header(plan.root.to_bytes())
    stream.write(header)
    blocks, size = 0, len(header)
    for nid, data, is_file in _blocks(repo, plan):
        frame = car.block_frame(nid.to_bytes(), len(data))
        stream.write(frame)
        stream.write(data)
        blocks += 1
        size += len(frame) + len(data)
        if progress is not None and is_file:
            progress.advance(len(data))
    return blocks, size


def _blocks(repo: Repository, plan: ExportPlan) -> Iterator[tuple[Nid, bytes, bool]]:
    """Each block once: commits (each followed by its tree and, when this repository
    has it, its committer's profile document), then the file's DAG."""
    seen: set[bytes] = set()
    for commit_nid in plan.commits:
        for nid, data in repo.objects.iter_dag(commit_nid, seen):
            yield nid, data, False
        commit = Commit.from_json(repo.objects.get(commit_nid))
        for nid, data in repo.objects.iter_dag(commit.tree_cid, seen):
            yield nid, data, False
        yield from _profile_blocks(repo, commit, seen)
    if plan.file is not None:
        for nid, data in repo.objects.iter_dag(plan.file, seen):
            yield nid, data, True


def _profile_blocks(
    repo: Repository, commit: Commit, seen: set[bytes]
) -> Iterator[tuple[Nid, bytes, bool]]:
    """The committer's profile, so that the receiver can tie the signer to it offline."""
    if not is_nid(commit.committer):
        return
    profile = Nid(commit.committer)
    missing, _ = _scan_dag(repo, profile)
    if missing is None:  # a profile we never had stays out; the receiver reports it untied
        for nid, data in repo.objects.iter_dag(profile, seen):
            yield nid, data, False


def _as_commit(repo: Repository, nid: Nid) -> Commit | None:
    """The stored object as a Numbers commit, or None when it is something else."""
    if not nid.is_raw:
        return None
    data = repo.objects.get(nid)
    if data[:1] != b"{" or b'"assetTreeSignature"' not in data:
        return None
    try:
        return Commit.from_json(data)
    except InvalidFormat:
        return None


def _asset_of(repo: Repository, commit_nid: Nid, commit: Commit) -> Nid:
    try:
        return Nid.parse(str(tree_of(repo, commit).get("assetCid")))
    except NotFound:
        raise NotFound(
            f"the AssetTree {commit.tree_cid} of commit {commit_nid} is not in this repository"
        ) from None


def _require_history_objects(repo: Repository, commit_nid: Nid, asset: Nid | None) -> None:
    """A ref naming a commit or tree we do not hold is a damaged repository, not a choice."""
    whose = f" of {asset}" if asset else ""
    if not repo.objects.has(commit_nid):
        raise NotFound(
            f"commit {commit_nid}{whose} is missing from this repository",
            hint="run `nit fsck`",
        )
    tree_cid = Commit.from_json(repo.objects.get(commit_nid)).tree_cid
    missing, _ = _scan_dag(repo, tree_cid)
    if missing is not None:
        raise NotFound(
            f"the AssetTree {tree_cid} of commit {commit_nid} is missing block {missing}",
            hint="run `nit fsck`",
        )


def _scan_dag(repo: Repository, root: Nid) -> tuple[Nid | None, int]:
    """(first missing block or None, about the DAG's bytes) without reading the leaves.

    Interior nodes are read (they are ~1/174 of the blocks); leaves are only
    looked up. The size, for the progress bar, is the root's UnixFS file size
    plus the interior nodes read here: no extra reads.
    """
    if not repo.objects.has(root):
        return root, 0
    data = repo.objects.get(root)
    if root.to_bytes()[1] != DAG_PB:
        return None, len(data)
    try:
        total = decode_file_node(data).filesize
    except InvalidFormat:  # a directory or another tool's node: no size to show
        total = 0
    stack = [data]
    while stack:
        node = stack.pop()
        total += len(node)
        for link in dag_pb_links(node):
            nid = Nid.from_bytes(link)
            if not repo.objects.has(nid):
                return nid, total
            if link[1] == DAG_PB:
                stack.append(repo.objects.get(nid))
    return None, total


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """Write `path` through a hidden temp file next to it, renamed only on success."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give the CAR a file name")
    if not path.parent.is_dir():
        raise NitError(f"cannot write {path}: no such directory {path.parent}")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
