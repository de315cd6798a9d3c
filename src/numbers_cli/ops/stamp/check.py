"""What `nit fsck` checks of the stamp records (issue 14).

For each batch on record: its commit is stored, is a commit, and signs a tree
that names this batch, its root and its leaf count; the manifest (the batch
asset) is stored; the batch's commit is in the batch's history. For each leaf:
its proof object is stored and names this batch, leaf, root, artifact and
commit; the artifact's leaf, hashed up through the proof, gives the root; the
stamped commit is in the artifact's history.

Cheap next to the rest of fsck, which re-hashes every block anyway: one proof
object read and about log2(n) keccaks per leaf, and one row read per asset.
The chain is never asked (that is `nit verify --remote`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from typing import Any

from numbers_cli.errors import InvalidFormat, NitError
from numbers_cli.model import jsjson, merkle
from numbers_cli.model.commit import Commit
from numbers_cli.model.stamp import InclusionProof
from numbers_cli.repo.refs import Refs
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import BatchRecord, StampEntry, StampRecords

__all__ = ["check_stamps"]

Report = Callable[[str, str], None]  # (name, message)


def check_stamps(repo: Repository, report: Report, skip: Collection[int] = ()) -> tuple[int, int]:
    """Report every damaged stamp record through `report` but the batch rows of
    `skip` (ids of rows reported once elsewhere: ops/stamp/damage.py); returns
    (batches, leaves) seen."""
    records = StampRecords(repo.db)
    batches = leaves = 0
    on_record = []
    for row in records.rows():
        if row[0] in skip:
            continue
        try:
            on_record.append(records.read_row(row))
        except InvalidFormat as exc:
            report(str(row[1])[:80], exc.message)
    for record in on_record:
        batches += 1
        _check_batch(repo, record, report)
        try:
            entries = record.entries
        except InvalidFormat as exc:
            report(str(record.batch), exc.message)
            continue
        rels = [Refs.head_rel(entry.asset) for entry in entries]
        histories = {
            rel[len(Refs.head_rel("")) :]: text for rel, text in repo.refs.get_many(rels).items()
        }  # every artifact's history in a few queries, not one per leaf
        for entry in entries:
            leaves += 1
            where = f"leaf {entry.leaf_index + 1} of batch {record.batch}"
            problem = _check_leaf(repo, record, entry, histories)
            if problem is not None:
                report(str(entry.asset), f"{where}: {problem}")
    return batches, leaves


def _history_text(repo: Repository, asset: str, cache: dict[str, str]) -> str:
    if asset not in cache:
        cache[asset] = repo.refs.get(Refs.head_rel(asset)) or ""
    return cache[asset]


def _in_history(commit: str, text: str) -> bool:
    """`commit` is a line of a `refs/heads` text (not merely inside one)."""
    return commit in text.split()


def _check_batch(repo: Repository, record: BatchRecord, report: Report) -> None:
    name = str(record.batch)
    if not repo.objects.has(record.batch):
        report(name, "the batch's manifest is not in this repository")
    if str(record.commit) not in _history_text(repo, name, {}).split():
        report(name, f"the batch's commit {record.commit} is not in its history")
    try:
        commit = Commit.from_json(repo.objects.get(record.commit))
        tree_bytes = _file(repo, commit.tree_cid)
        tree = jsjson.parse(tree_bytes)
    except (NitError, ValueError) as exc:
        report(name, f"the batch's commit or tree cannot be read ({_message(exc)})")
        return
    if hashlib.sha256(tree_bytes).hexdigest() != commit.get("assetTreeSha256"):
        report(name, "the batch's tree is not the one its commit signed")
        return
    stamp = (tree.get("custom") or {}).get("stampBatch") if isinstance(tree, dict) else None
    if not isinstance(stamp, dict) or tree.get("assetCid") != record.batch:  # type: ignore[union-attr]
        report(name, "the batch's tree does not describe this batch")
    elif stamp.get("root") != record.root or stamp.get("leaves") != record.leaves:
        report(
            name,
            f"the batch's tree names root {stamp.get('root')} of {stamp.get('leaves')} "
            f"leaves, the record {record.root} of {record.leaves}",
        )


def _check_leaf(
    repo: Repository, record: BatchRecord, entry: StampEntry, histories: dict[str, str]
) -> str | None:
    try:
        proof = InclusionProof.from_bytes(repo.objects.get(entry.proof))
    except NitError as exc:
        return f"its proof {entry.proof} cannot be read ({exc.message})"
    artifact = proof.artifact
    if (proof.batch, proof.leaf_index, proof.leaves) != (
        record.batch,
        entry.leaf_index,
        record.leaves,
    ):
        return f"its proof {entry.proof} is about another batch or leaf"
    if (artifact.nid, artifact.commit) != (entry.asset, entry.commit):
        return f"its proof {entry.proof} is about another artifact or commit"
    if merkle.to_hex(proof.root) != record.root:
        return f"its proof {entry.proof} names root {merkle.to_hex(proof.root)}, not {record.root}"
    try:
        if not proof.leads_to_root():
            return f"its proof {entry.proof} does not lead to the batch's root"
    except InvalidFormat as exc:
        return f"its proof {entry.proof} cannot be checked ({exc.message})"
    if not _in_history(str(entry.commit), histories.get(str(entry.asset), "")):
        return f"the stamped commit {entry.commit} is not in the artifact's history"
    return None


def _file(repo: Repository, cid: object) -> bytes:
    from numbers_cli.ops.trees import read_file

    return read_file(repo, cid)  # type: ignore[arg-type]


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, NitError) else str(exc)


def check_record_damage(repo: Repository, report: Any, found: Any) -> None:
    """The stamp part of `nit fsck` (`report`: its FsckReport, `found`: its Findings).

    Each batch is reported once: a damaged or missing record the packs can re-make
    (ops/stamp/recover.py) by what is wrong with it; a damaged one they cannot, as
    it is; the other records through `check_stamps`. Leaf rows whose batch row is
    gone are no leaves: those that repeat a leaf of a batch on record (or re-made
    now) are dropped by --repair; the others are a warning, since they still keep
    their commits off `nit push`'s plan but prove nothing.
    """
    from numbers_cli.ops.fsck import Problem
    from numbers_cli.ops.stamp.damage import find_damage
    from numbers_cli.ops.stamp.recover import describe, unrecorded_batches

    try:
        damage = find_damage(repo.db)
    except NitError as exc:
        report.add("stamp", "stamp_batches", exc.message)
        return
    recovered = unrecorded_batches(repo)
    remade: set[int] = set()
    by_batch = damage.by_batch
    for item in recovered:
        report.add("stamp", str(item.record.batch), describe(item))
        found.unrecorded_batches.append(item)
        if item.drops is not None:
            remade.add(item.drops)
        elif item.replaces and str(item.record.batch) in by_batch:
            remade.add(by_batch[str(item.record.batch)].row_id)
    for row in damage.rows:
        if row.row_id not in remade:
            name = row.batch if row.readable else f"stamp_batches row {row.row_id}"
            report.add(
                "stamp",
                name,
                f"its stamp record is damaged: {row.problem}; the packs hold no signed "
                "batch here to re-make it from",
            )
    check_stamps(repo, lambda name, message: report.add("stamp", name, message), damage.row_ids)
    if not damage.orphans:
        return
    covered = {str(c) for item in recovered for c in (e.commit for e in item.record.entries)}
    covered |= {
        str(c)
        for (c,) in repo.db.all(
            "SELECT s.commit_nid FROM stamps s JOIN stamp_batches b ON b.id = s.batch"
        )
    }
    remade_commits = {str(e.commit) for item in recovered for e in item.record.entries}
    for batch_id, count in sorted(damage.orphans.items()):
        commits = {
            str(c)
            for (c,) in repo.db.all("SELECT commit_nid FROM stamps WHERE batch = ?", (batch_id,))
        }
        rows = f"{count} leaf row{'' if count == 1 else 's'} under batch id {batch_id}"
        if commits <= covered:
            found.stamp_orphans += count
            if not commits <= remade_commits:  # else its re-made batch's problem says it
                report.add(
                    "stamp",
                    f"stamps batch {batch_id}",
                    f"{rows}, whose batch row is gone, repeat leaves on record "
                    "(`nit fsck --repair` drops them)",
                )
        else:
            report.warnings.append(
                Problem(
                    "stamp",
                    f"stamps batch {batch_id}",
                    f"{rows} have no batch row, and the packs hold no signed batch here "
                    "to re-make it from: their commits stay off `nit push`'s plan, but "
                    "prove nothing (`nit fetch` or `nit import` of the batch brings it back)",
                )
            )
