"""`nit fsck`: prove the repository whole. Every object is re-hashed against
its CID, every ref resolves to readable commits and trees, and every commit is
well-formed and signed by its committer (`ops.verify`'s rule). A commit whose
profile committer is not in this repository cannot be tied to its signer
without the network: it is whole, so it is a warning, not a problem."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import ExitCode, NitError
from numbers_cli.model import car
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.verify import verify_commit
from numbers_cli.repo.repository import Repository


@dataclass(frozen=True)
class Problem:
    kind: str  # object | pack | ref | commit | index
    name: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "message": self.message}


@dataclass
class FsckReport:
    objects: int = 0
    packs: int = 0
    blocks: int = 0
    assets: int = 0
    commits: int = 0
    removed_temp: int = 0  # leftovers of writes killed mid-way, deleted under the lock
    problems: list[Problem] = field(default_factory=list)
    # Whole, but unproven: commits whose signer nothing here ties to a profile committer.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "objects": self.objects,
            "packs": self.packs,
            "blocks": self.blocks,
            "assets": self.assets,
            "commits": self.commits,
            "removedTempFiles": self.removed_temp,
            "problems": [p.to_json() for p in self.problems],
            "warnings": [p.to_json() for p in self.warnings],
        }


def fsck(repo: Repository) -> FsckReport:
    report = FsckReport()
    with repo.transaction():  # settles an interrupted write and clears its temp files
        report.removed_temp = repo.objects.remove_stray_temp_files()
    for nid, path in repo.objects.iter_loose():
        report.objects += 1
        try:
            ok = Nid.parse(nid) == nid and nid.verify_block(path.read_bytes())
        except NitError:
            ok = False
        if not ok:
            report.problems.append(Problem("object", nid, "bytes do not hash to the object's CID"))
    _check_packs(repo, report)
    _check_refs(repo, report)
    _check_index(repo, report)
    return report


def _check_packs(repo: Repository, report: FsckReport) -> None:
    for pack in repo.objects.packs():
        idx = pack.with_suffix(".idx")
        if not idx.exists():
            continue  # an interrupted add's pack, never made visible: the next add replaces it
        report.packs += 1
        try:
            with pack.open("rb") as f:
                roots = car.read_header_roots(f)
                if [Nid.from_bytes(r) for r in roots] != [pack.stem]:
                    report.problems.append(
                        Problem("pack", pack.name, "CAR header root differs from the pack name")
                    )
                for cid, data, _ in car.iter_blocks(f):
                    report.blocks += 1
                    if cid[4:] != hashlib.sha256(data).digest():
                        report.problems.append(
                            Problem("pack", pack.name, f"block {Nid.from_bytes(cid)} is corrupt")
                        )
        except (NitError, OSError) as exc:
            report.problems.append(Problem("pack", pack.name, f"unreadable: {exc}"))


def _check_refs(repo: Repository, report: FsckReport) -> None:
    for asset in repo.refs.assets():
        report.assets += 1
        history = repo.refs.history(asset)
        if not history:
            report.problems.append(Problem("ref", asset, "empty history"))
        for i, commit_nid in enumerate(history):
            report.commits += 1
            verdict = verify_commit(repo, i, commit_nid, asset)
            for check in verdict.checks:
                if not check.ok:
                    found = Problem("commit", commit_nid, f"{asset} #{i}: {check.detail}")
                    untied = check.code == ExitCode.VERIFY_UNTIED
                    (report.warnings if untied else report.problems).append(found)


def _check_index(repo: Repository, report: FsckReport) -> None:
    try:
        index = repo.index()
    except NitError as exc:
        report.problems.append(Problem("index", "index", exc.message))
        return
    for nid, staged in index.staged.items():
        try:
            AssetTree(tuple(staged.tree.items())).validate()
        except NitError as exc:
            report.problems.append(Problem("index", nid, f"staged tree is invalid: {exc.message}"))
        if not repo.objects.has(Nid(nid)):
            report.problems.append(Problem("index", nid, "staged asset's blocks are missing"))
