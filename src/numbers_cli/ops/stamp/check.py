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
from collections.abc import Callable

from numbers_cli.errors import InvalidFormat, NitError
from numbers_cli.model import jsjson, merkle
from numbers_cli.model.commit import Commit
from numbers_cli.model.stamp import InclusionProof
from numbers_cli.repo.refs import Refs
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import BatchRecord, StampEntry, StampRecords

__all__ = ["check_stamps"]

Report = Callable[[str, str], None]  # (name, message)


def check_stamps(repo: Repository, report: Report) -> tuple[int, int]:
    """Report every damaged stamp record through `report`; returns (batches, leaves) seen."""
    records = StampRecords(repo.db)
    batches = leaves = 0
    try:
        on_record = records.batches()
    except InvalidFormat as exc:
        report("stamp_batches", exc.message)
        return batches, leaves
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
