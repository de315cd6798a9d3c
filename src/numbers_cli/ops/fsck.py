"""`nit fsck`: prove the repository whole, and with `--repair` rebuild what the
packs and the working tree still hold.

What is checked, by damage class:
- `format`: the format file names this nit's format;
- `store`: SQLite's own check of `store.db` (a damaged one stops the rest,
  which reads through it; `--repair` rebuilds it from the packs);
- `pack`: every recorded pack is there, its CAR header names its root, its
  framing reads to the end, and its index rows match where the CAR has each
  block (a flipped CID or offset, a truncated pack);
- `object`: every block of every pack re-hashed against its CID;
- `ref`: every line of every ref is a Nid; every commit of a history verifies
  (tree, signature, committer); commits that no ref names are *dangling*: a
  problem when their asset has no ref at all (a deleted ref), else listed only
  (a diverged import keeps its commits that way);
- `index`: staged trees are valid and their blocks present; tracked rows sane;
- `stamp`: every stamp record's batch and leaves (ops/stamp/check.py, issue 14),
  and batches in the histories with no record (a lost store.db;
  ops/stamp/recover.py re-makes them from the signed batch in the packs).
Files added by reference are reported apart (`references`): one that changed
or is gone is not a damaged repository, but it can no longer be pushed. A
commit whose profile committer is not in this repository cannot be tied to its
signer without the network: it is whole, so it is a warning, not a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import ExitCode, InvalidFormat, NitError
from numbers_cli.model import json_input
from numbers_cli.model.commit import Commit
from numbers_cli.model.names import json_path, path_text, quote_path
from numbers_cli.model.nid import RAW, Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.commit_check import verify_commit
from numbers_cli.ops.trees import tree_of
from numbers_cli.repo.index import KINDS
from numbers_cli.repo.maintenance import (
    PackScan,
    quick_check,
    rebuild_pending,
    scan,
    unrecorded_packs,
)
from numbers_cli.repo.refs import HEADS, REMOTES, RemoteEntry
from numbers_cli.repo.repository import Repository, read_format
from numbers_cli.repo.store import DB_NAME


@dataclass(frozen=True)
class Problem:
    kind: str  # format | store | pack | object | ref | commit | index
    name: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "message": self.message}


@dataclass(frozen=True)
class BrokenReference:
    """A file added by reference that no longer holds what was added."""

    path: str
    nid: str
    state: str  # changed | gone

    def to_json(self) -> dict[str, str]:
        return {"path": json_path(self.path), "nid": self.nid, "state": self.state}


@dataclass
class FsckReport:
    objects: int = 0
    packs: int = 0
    blocks: int = 0
    assets: int = 0
    commits: int = 0
    removed_temp: int = 0  # leftovers of writes killed mid-way, deleted under the lock
    unrecorded_packs: int = 0  # pack files of interrupted writes (re-indexed by --repair)
    referenced_files: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Whole, but unproven: commits whose signer nothing here ties to a profile committer.
    warnings: list[Problem] = field(default_factory=list)
    references: list[BrokenReference] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)  # commits no ref names (not problems)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> ExitCode:
        if self.problems:
            return ExitCode.CORRUPT
        if self.references:
            return ExitCode.REFERENCE_CHANGED
        return ExitCode.OK

    def add(self, kind: str, name: str, message: str) -> None:
        self.problems.append(Problem(kind, name, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "objects": self.objects,
            "packs": self.packs,
            "blocks": self.blocks,
            "assets": self.assets,
            "commits": self.commits,
            "removedTempFiles": self.removed_temp,
            "unrecordedPacks": self.unrecorded_packs,
            "referencedFiles": self.referenced_files,
            "problems": [p.to_json() for p in self.problems],
            "warnings": [p.to_json() for p in self.warnings],
            "references": [r.to_json() for r in self.references],
            "dangling": self.dangling,
            "repaired": self.repaired,
        }


@dataclass
class Findings:
    """What a repair needs to know, beyond the report's sentences."""

    format_damaged: bool = False
    store_damaged: bool = False
    missing_packs: list[str] = field(default_factory=list)
    bad_headers: list[PackScan] = field(default_factory=list)
    bad_index: list[PackScan] = field(default_factory=list)
    unrecorded: list[Any] = field(default_factory=list)  # paths
    broken_blocks: dict[bytes, str] = field(default_factory=dict)  # cid → pack name
    garbage_refs: dict[str, str | None] = field(default_factory=dict)  # name → kept text
    orphans: dict[str, list[tuple[Nid, int]]] = field(default_factory=dict)  # asset → commits
    bad_staged: list[str] = field(default_factory=list)
    missing_staged: list[str] = field(default_factory=list)
    bad_tracked: list[bytes] = field(default_factory=list)
    unrecorded_batches: list[Any] = field(default_factory=list)  # ops.stamp.recover
    stamp_orphans: int = 0  # leaf rows whose batch row is gone (ops.stamp.damage)


def fsck(repo: Repository, *, repair: bool = False) -> FsckReport:
    """Check everything; with `repair`, fix what can be fixed and check again."""
    report, findings = check(repo)
    if not repair:
        return report
    from numbers_cli.ops.fsck_repair import repair_findings

    done: list[str] = []
    for _ in range(3):  # a rebuilt store can reveal what it lost (refs): repair that too
        actions = repair_findings(repo, findings)
        done += actions
        report, findings = check(repo)
        if not actions or report.ok:
            break
    report.repaired = done
    return report


def check(repo: Repository) -> tuple[FsckReport, Findings]:
    report, found = FsckReport(), Findings()
    if read_format(repo.dir) is None:
        report.add("format", "format", f"{repo.dir / 'format'} is damaged or missing")
        found.format_damaged = True
    damage = rebuild_pending(repo) or quick_check(repo.db)
    if damage is not None:
        report.add("store", DB_NAME, f"{repo.db.path} is damaged ({damage})")
        found.store_damaged = True
        return report, found  # every other check reads through the store
    with repo.transaction():  # the write lock: no writer leaves temp files meanwhile
        report.removed_temp = repo.objects.remove_stray_temp_files()
    commits = _check_packs(repo, report, found)
    referenced = _check_refs(repo, report, found)
    from numbers_cli.ops.stamp.check import check_record_damage  # stamp (issue 14)

    check_record_damage(repo, report, found)
    _check_dangling(repo, report, found, commits, referenced)
    _check_index(repo, report, found)
    _check_references(repo, report)
    return report, found


def _looks_like_commit(cid: bytes, data: bytes) -> bool:
    return cid[1] == RAW and data[:1] == b"{" and b'"assetTreeSignature"' in data


def _check_packs(repo: Repository, report: FsckReport, found: Findings) -> list[Nid]:
    """Every pack against its index; returns the commit-like blocks met on the way."""
    store = repo.db
    commits: list[Nid] = []

    def on_block(cid: bytes, data: bytes) -> None:
        if len(data) < 65536 and _looks_like_commit(cid, data):
            commits.append(Nid.from_bytes(cid))

    report.objects = repo.objects.count()
    for pack_id, name in store.all("SELECT id, name FROM packs ORDER BY id"):
        path = repo.objects.pack_dir / f"{name}.car"
        rows = store.all("SELECT cid, offset, length FROM blocks WHERE pack = ?", (pack_id,))
        if not path.is_file():
            report.add("pack", path.name, f"{path} is missing ({len(rows)} objects lost)")
            found.missing_packs.append(str(name))
            continue
        report.packs += 1
        result = scan(str(name), path, on_block)
        report.blocks += len(result.blocks)
        if not result.header_ok:
            report.add("pack", path.name, f"{path}: {result.header_problem}")
            found.bad_headers.append(result)
        if result.framing_problem:
            report.add("pack", path.name, f"{path}: {result.framing_problem}")
        _compare_index(repo, report, found, result, rows)
    for path in unrecorded_packs(repo):
        report.unrecorded_packs += 1
        found.unrecorded.append(path)
    return commits


def _compare_index(
    repo: Repository,
    report: FsckReport,
    found: Findings,
    result: PackScan,
    rows: list[tuple[Any, ...]],
) -> None:
    """Each index row must name a block the CAR has at that offset, intact."""
    index_bad = False
    path = result.path
    for raw_cid, offset, length in rows:
        cid = bytes(raw_cid)
        got = result.blocks.get(cid)
        try:
            nid = Nid.from_bytes(cid)
        except InvalidFormat:
            index_bad = True
            continue
        if got is None:
            if result.framing_problem:  # cut off with the rest of a truncated pack
                report.add("object", nid, f"is lost: {path.name} ends before it")
                found.broken_blocks[cid] = result.name
            else:
                index_bad = True
        elif (got[0], got[1]) != (offset, length):
            index_bad = True
        elif not got[2]:
            report.add("object", nid, f"is corrupt in {path}: its bytes no longer hash to its CID")
            found.broken_blocks[cid] = result.name
    indexed = {bytes(row[0]) for row in rows}
    for cid, (_, _, intact) in result.blocks.items():
        if intact and cid not in indexed and not repo.objects.has(Nid.from_bytes(cid)):
            index_bad = True  # a block of this pack that no row names
    if index_bad:
        report.add(
            "pack",
            path.name,
            f"its index in {repo.db.path} does not match {path} "
            "(a wrong CID or offset; `nit fsck --repair` re-reads the pack)",
        )
        found.bad_index.append(result)


def _check_refs(repo: Repository, report: FsckReport, found: Findings) -> set[str]:
    """Heads and remote refs, line by line; every commit of a history verified."""
    referenced: set[str] = set()
    for name, value in repo.db.all(
        "SELECT name, value FROM refs WHERE name >= ? AND name < ? ORDER BY name",
        (HEADS, "refs/heads0"),
    ):
        name = str(name)
        try:
            asset = Nid.parse(name[len(HEADS) :])
        except InvalidFormat:
            report.add("ref", name, "is not named after an asset's Nid")
            found.garbage_refs[name] = None
            continue
        report.assets += 1
        good, bad = [], []
        for line in str(value).split():
            try:
                good.append(Nid.parse(line))
            except InvalidFormat:
                bad.append(line)
        if bad:
            lines = "a line that is" if len(bad) == 1 else f"{len(bad)} lines that are"
            report.add("ref", name, f"has {lines} not a commit Nid ({bad[0]!r})")
            found.garbage_refs[name] = "".join(f"{c}\n" for c in good) or None
        elif not good:
            report.add("ref", name, "is empty")
        for i, commit_nid in enumerate(good):
            report.commits += 1
            referenced.add(commit_nid)
            try:
                verdict = verify_commit(repo, i, commit_nid, asset)
            except NitError as exc:
                report.add("commit", commit_nid, f"{asset} #{i}: {exc.message}")
                continue
            for check_ in verdict.checks:
                if not check_.ok:
                    found_ = Problem("commit", commit_nid, f"{asset} #{i}: {check_.detail}")
                    untied = check_.code == ExitCode.VERIFY_UNTIED
                    (report.warnings if untied else report.problems).append(found_)
    for name, value in repo.db.all(
        "SELECT name, value FROM refs WHERE name >= ? AND name < ? ORDER BY name",
        (REMOTES, "refs/remotes0"),
    ):
        kept, bad_line = [], None
        for line in str(value).splitlines():
            try:
                kept.append(RemoteEntry.parse(line).render())
            except (InvalidFormat, ValueError):
                bad_line = bad_line or line
        if bad_line is not None:
            what = f"has a line that is not '<commit> <tx> <block>' ({bad_line!r})"
            report.add("ref", str(name), what)
            found.garbage_refs[str(name)] = "".join(kept) or None
    return referenced


def _check_dangling(
    repo: Repository,
    report: FsckReport,
    found: Findings,
    commits: list[Nid],
    referenced: set[str],
) -> None:
    heads = {str(n)[len(HEADS) :] for n in repo.refs.names(HEADS)}
    for commit_nid in dict.fromkeys(commits):
        if commit_nid in referenced:
            continue
        try:
            commit = Commit.from_json(repo.objects.get(commit_nid))
            asset = str(tree_of(repo, commit).get("assetCid"))
            Nid.parse(asset)
        except (NitError, ValueError):
            continue  # a JSON block that only looks like a commit, or one with no tree here
        report.dangling.append(commit_nid)
        if asset not in heads or f"{HEADS}{asset}" in found.garbage_refs:
            stamp = commit.get("timestampCreated")
            found.orphans.setdefault(asset, []).append(
                (commit_nid, stamp if isinstance(stamp, int) else 0)
            )
    for asset, orphans in found.orphans.items():
        if asset not in heads:
            report.add(
                "ref",
                f"{HEADS}{asset}",
                f"is missing: {_commits(len(orphans))} of this asset "
                + ("is dangling" if len(orphans) == 1 else "are dangling"),
            )


def _commits(n: int) -> str:
    return "1 commit" if n == 1 else f"{n} commits"


def _check_index(repo: Repository, report: FsckReport, found: Findings) -> None:
    for nid, kind, tree_text, _path in repo.db.all("SELECT nid, kind, tree, path FROM staged"):
        try:
            Nid.parse(str(nid))
            tree = json_input.loads(tree_text)
            if kind not in KINDS or not isinstance(tree, dict):
                raise InvalidFormat(f"kind {kind!r}" if kind not in KINDS else "not a JSON object")
            AssetTree(tuple(tree.items())).validate()
            if tree.get("assetCid") != nid:
                raise InvalidFormat("its tree describes another asset")
        except (InvalidFormat, ValueError, TypeError) as exc:
            reason = exc.message if isinstance(exc, InvalidFormat) else "its tree is not JSON"
            report.add("index", str(nid), f"the staged entry is damaged: {reason}")
            found.bad_staged.append(str(nid))
            continue
        if not repo.objects.has(Nid(str(nid))):
            report.add("index", str(nid), "staged asset's blocks are missing")
            found.missing_staged.append(str(nid))
    for raw_path, nid in repo.db.all("SELECT path, nid FROM tracked"):
        try:
            Nid.parse(str(nid))
        except InvalidFormat:
            shown = quote_path(path_text(bytes(raw_path)))
            report.add("index", shown, f"tracked as {nid!r}, not a Nid")
            found.bad_tracked.append(bytes(raw_path))


def _check_references(repo: Repository, report: FsckReport) -> None:
    for file_id, root, raw_path in repo.db.all("SELECT id, root, path FROM files ORDER BY path"):
        report.referenced_files += 1
        rel = path_text(bytes(raw_path))
        if not (repo.workdir / rel).is_file():
            report.references.append(BrokenReference(rel, str(root), "gone"))
            continue
        for cid, _, _ in repo.db.all(
            "SELECT cid, offset, length FROM filed WHERE file = ? ORDER BY offset", (file_id,)
        ):
            try:
                repo.objects.get(Nid.from_bytes(bytes(cid)))
            except NitError:
                report.references.append(BrokenReference(rel, str(root), "changed"))
                break
