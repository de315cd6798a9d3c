"""`nit import FILE.car`: blocks from a CARv1 into `.numbers/`, trusted only after hashing.

One forward pass over the CAR (it may be stdin), in constant memory apart
from a set of CIDs, so a multi-GiB file streams:

1. Every block is hashed against its CID as it arrives. The first mismatch
   rejects the whole import (IntegrityError naming the CID): until the CAR has
   been read to its end nothing is put where the store looks, so a bad or
   truncated CAR leaves the repository exactly as it was.
2. Blocks of multi-block DAGs (dag-pb nodes with links, and every block they
   link to) are written straight into one new pack, as `nit add` does, because
   one loose file per 256 KiB chunk is thousands of files per GiB. Anything
   else (commits, trees, single-block files) goes into the import's batch pack
   with the small objects of the transaction. A raw block
   whose parent has not been seen yet (a CAR written leaves first) waits in a
   spool and joins the pack at the end if some node turned out to link it. Blocks
   already stored are skipped, so a pack holds only what was new.
3. The pack is named after the first DAG root it holds whole (usually the
   file's Nid, so an imported file looks like an added one); its CAR header
   names the same root, which is what `nit fsck` checks. A recorded pack `<nid>` thus
   keeps meaning "the DAG of nid is complete here"; a CAR with only part of a
   DAG gives a pack named after one of its linked blocks. A DAG may span
   several packs: readers go through `ObjectStore`, never one pack. (Steps 2
   and 3 are `ops.car_staging`.)
4. Commits are recognised by parsing (a raw block that is a Numbers Commit) and
   grouped by their tree's `assetCid`. A CAR rooted at an asset carries that
   asset's history in order: `refs/heads/<nid>` moves forward when the local
   history is empty or a prefix of the CAR's; if the two have diverged the local
   ref is kept and the divergence reported. Commits of a CAR rooted elsewhere (a
   lone commit) are stored but do not make a history: a one-commit "history"
   would later look diverged from the real one. Refs change all-or-nothing in
   one transaction.

5. Every commit meets the rule `nit verify` applies (`ops.signatures.
   check_signature`): a malformed commit (14), one whose signature does not
   recover (12) or that is signed by someone other than its committer (13) is
   stored as a block but joins no history, and the import exits with that
   code. A commit whose profile committer cannot be tied to its signer here
   (15) joins its history with a warning: it is whole, but unproven. A CAR can
   carry the profile documents themselves (`nit export` adds the ones it has).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.errors import (
    ExitCode,
    IntegrityError,
    InvalidFormat,
    MalformedCommit,
    NitError,
    NotFound,
)
from numbers_cli.model import car
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import RAW, Nid
from numbers_cli.ops.car_staging import ImportStaging
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.signatures import check_signature, worst
from numbers_cli.ops.trees import tree_of
from numbers_cli.repo.refs import Refs
from numbers_cli.repo.repository import Repository, Transaction

_MAX_COMMIT = 64 * 1024  # a commit is a few hundred bytes; larger JSON is something else


@dataclass(frozen=True)
class AssetUpdate:
    """What the import did to one asset's ref."""

    asset: Nid
    status: str  # created | updated | up-to-date | diverged | stored
    added: tuple[Nid, ...]  # commits appended to the local history
    local_head: Nid | None  # head before the import
    car_head: Nid  # last commit of this asset in the CAR

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "status": self.status,
            "added": list(self.added),
            "localHead": self.local_head,
            "carHead": self.car_head,
        }


@dataclass
class ImportReport:
    source: str
    roots: list[Nid] = field(default_factory=list)
    blocks: int = 0  # blocks in the CAR, repeats included
    imported: int = 0  # new to this repository
    present: int = 0  # already here, or repeated in the CAR
    bytes: int = 0  # bytes of CAR read
    pack: str | None = None  # name of the pack written, if any
    commits: list[Nid] = field(default_factory=list)  # recognised, in CAR order
    assets: list[AssetUpdate] = field(default_factory=list)
    skipped: list[tuple[Nid, str]] = field(default_factory=list)  # commits not placed, and why
    rejected: list[tuple[Nid, str, ExitCode]] = field(default_factory=list)  # fail the rule
    untied: list[tuple[Nid, str]] = field(default_factory=list)  # placed, signer not tied

    @property
    def exit_code(self) -> ExitCode:
        """0, or the worst commit rule failure (`nit verify`'s codes)."""
        untied = [ExitCode.VERIFY_UNTIED] if self.untied else []
        return worst([code for _, _, code in self.rejected] + untied)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "roots": self.roots,
            "blocks": self.blocks,
            "imported": self.imported,
            "present": self.present,
            "bytes": self.bytes,
            "pack": self.pack,
            "commits": self.commits,
            "assets": [a.to_json() for a in self.assets],
            "skipped": [{"commit": c, "reason": r} for c, r in self.skipped],
            "rejected": [
                {"commit": c, "reason": r, "exitCode": int(code)} for c, r, code in self.rejected
            ],
            "untied": [{"commit": c, "reason": r} for c, r in self.untied],
            "exitCode": int(self.exit_code),
        }


def import_car(
    repo: Repository,
    source: Path | BinaryIO,
    *,
    name: str | None = None,
    progress: Progress | None = None,
    max_size: int | None = None,
) -> ImportReport:
    """Import the CAR at `source` (a path, or a stream such as stdin) into `repo`.

    With `max_size`, a CAR that goes on past that many bytes is refused as it
    is read (a pipe from a gateway has no size to check first), and nothing of
    it is kept, as with any CAR that fails.
    """
    progress = progress or NoProgress()
    with contextlib.ExitStack() as stack:
        if isinstance(source, Path):
            stream: BinaryIO = stack.enter_context(source.open("rb"))
            label, total = name or str(source), source.stat().st_size
        else:
            stream, label, total = source, name or "-", 0
        reader = _Counting(stream, label, max_size)
        report = ImportReport(label)
        progress.start(f"importing {label}", total)
        stack.callback(progress.done)
        with repo.transaction() as txn:
            staging = ImportStaging(repo.objects)
            try:
                _read(reader, staging, report, progress)
                report.imported, report.pack = staging.settle()
            finally:
                staging.close()
            _place_commits(repo, txn, report)
        report.bytes = reader.count
    return report


class _Counting:
    """Counts the bytes read, for the report, the progress bar and error offsets;
    refuses to read past `limit` bytes."""

    def __init__(self, stream: BinaryIO, label: str = "-", limit: int | None = None) -> None:
        self._stream = stream
        self._label = label
        self._limit = limit
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.count += len(data)
        if self._limit is not None and self.count > self._limit:
            shown = f"{self._limit:,} bytes"
            for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
                if self._limit >= 1 << shift and self._limit % (1 << shift) == 0:
                    shown = f"{self._limit >> shift} {unit}"
                    break
            raise InvalidFormat(
                f"{self._label}: larger than --max-size {shown}; nothing was imported"
            )
        return data


def _read(
    reader: _Counting, staging: ImportStaging, report: ImportReport, progress: Progress
) -> None:
    """Pass 1: verify and stage every block; nothing reaches the store's lookups yet."""
    stream: Any = reader  # car's readers only call read()
    try:
        roots = car.read_header_roots(stream)
    except InvalidFormat as exc:
        raise InvalidFormat(f"{report.source}: {exc.message}") from None
    if not roots:
        raise InvalidFormat(f"{report.source}: the CAR header names no root")
    report.roots = [_nid_of(root) for root in roots]
    for cid, data in _named_errors(car.read_blocks(stream, offset=reader.count), report.source):
        report.blocks += 1
        nid = _verified(cid, data, report.source)
        if cid[1] == RAW and _looks_like_commit(data):
            report.commits.append(nid)
        staging.add(cid, nid, data)
        progress.advance(len(cid) + len(data))
    report.present = report.blocks - staging.new_blocks


def _named_errors(
    blocks: Iterator[tuple[bytes, bytes]], source: str
) -> Iterator[tuple[bytes, bytes]]:
    """Framing errors say which CAR they are about (an import may read several)."""
    try:
        yield from blocks
    except InvalidFormat as exc:
        raise InvalidFormat(f"{source}: {exc.message}") from None


def _verified(cid: bytes, data: bytes, source: str) -> Nid:
    """The block's Nid if `data` is what `cid` names; the whole import fails otherwise."""
    if len(cid) == 36 and cid[0] == 1 and cid[2:4] == b"\x12\x20":  # CIDv1, sha2-256: fast path
        nid = Nid.from_bytes(cid)
        ok = cid[4:] == hashlib.sha256(data).digest()
    else:
        from multiformats import CID

        nid = _nid_of(cid)
        hashfun = CID.decode(cid).hashfun.name
        if hashfun != "sha2-256":
            raise InvalidFormat(
                f"block {nid} in {source} is hashed with {hashfun}; "
                "nit verifies sha2-256 blocks only, so nothing was imported"
            )
        ok = nid.verify_block(data)
    if not ok:
        raise IntegrityError(
            f"block {nid} in {source} does not hash to its CID; nothing was imported"
        )
    return nid


def _nid_of(cid: bytes) -> Nid:
    if cid[:2] == b"\x12\x20":
        raise InvalidFormat(
            "the CAR holds CIDv0 blocks; nit stores CIDv1 (export with cid-version=1)"
        )
    return Nid.from_bytes(cid)


def _looks_like_commit(data: bytes) -> bool:
    """Cheap filter; the real test is `Commit.from_json` once the block is stored."""
    return len(data) <= _MAX_COMMIT and data[:1] == b"{" and b'"assetTreeSignature"' in data


def _place_commits(repo: Repository, txn: Transaction, report: ImportReport) -> None:
    """Group the CAR's commits by asset and move the refs of the assets it is rooted at."""
    by_asset: dict[Nid, list[Nid]] = {}
    recognised: list[Nid] = []
    profiles = Profiles(repo)
    for commit_nid in dict.fromkeys(report.commits):
        try:
            commit = Commit.from_json(repo.objects.get(commit_nid))
        except MalformedCommit as exc:  # names a signature, breaks the rules: not a record
            report.rejected.append((commit_nid, exc.message, exc.exit_code))
            continue
        except InvalidFormat:
            continue  # JSON that mentions a signature but is no commit: just a block
        except NitError as exc:  # our own copy was here already, and is damaged
            report.skipped.append((commit_nid, exc.message))
            continue
        recognised.append(commit_nid)
        try:
            asset = Nid.parse(str(tree_of(repo, commit).get("assetCid")))
        except NotFound:
            report.skipped.append((commit_nid, f"its AssetTree {commit.tree_cid} is not here"))
            continue
        except NitError as exc:
            report.skipped.append((commit_nid, f"its AssetTree is invalid: {exc.message}"))
            continue
        signature = check_signature(commit, profiles, asset=asset)
        if signature.code == ExitCode.VERIFY_UNTIED:
            report.untied.append((commit_nid, signature.detail))
        elif not signature.ok:
            report.rejected.append((commit_nid, signature.detail, signature.code))
            continue
        by_asset.setdefault(asset, []).append(commit_nid)
    report.commits = recognised
    roots = set(report.roots)
    for asset, incoming in by_asset.items():
        local = txn.history(asset)
        if local[: len(incoming)] == incoming or (
            asset not in roots and set(incoming) <= set(local)
        ):
            status = "up-to-date"  # the CAR has nothing this repository lacks
        elif asset not in roots:
            status = "stored"  # a lone commit is not a history
        elif incoming[: len(local)] == local:
            status = "updated" if local else "created"
        else:
            status = "diverged"  # keep ours; both are reported
        added = tuple(incoming[len(local) :]) if status in ("created", "updated") else ()
        if added:
            txn.set_ref(Refs.head_rel(asset), Refs.render_history(incoming))
        head = local[-1] if local else None
        report.assets.append(AssetUpdate(asset, status, added, head, incoming[-1]))
