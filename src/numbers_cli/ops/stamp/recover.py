"""Stamp records re-made from the packs, for `nit fsck` and `nit fsck --repair`.

The stamp records (`repo/stamps.py`) live in `store.db` only. When it is lost,
`nit fsck --repair` rebuilds the object index from the packs and re-makes the
histories from their commits, and then this module re-makes the records: a
batch lost its record, its artifacts' commits would look unpushed, and
`nit push` would register each one on its own (gas spent, and a picture on
chain that the stamp never meant).

Everything a record holds is in the packs, under a signature:
- the batch's commit is the first (only) commit of the batch asset's history;
  its tree must hash to the commit's `assetTreeSha256`, the commit's signature
  must hold (the committer rule), and the tree must describe the batch asset
  (`encodingFormat` of a batch, `custom.stampBatch` with the root and leaf count);
- the manifest is the batch asset's file: its sha256 must be the tree's
  `assetSha256`, its artifacts must make the signed root, and their number the
  signed leaf count;
- each artifact's inclusion proof is a pure function of the manifest
  (`model.merkle`, `model.stamp`): re-made, it has the Nid of the proof the
  stamp stored, and is stored again when that one is gone;
- an artifact commit that is in its asset's history must be signed by the
  batch's committer (a batch signed by someone else does not get to keep your
  commits off the chain).
An unsigned or mismatching claim is not recovered. Nothing here names the
network the batch went to (that was `refs/remotes`, in the store too): the
record's network is unknown until a chain read settles it (`repo/stamps.py`,
`ops/stamp/settle.py`).

Cost: the first commit of every history but a stamped artifact's is read
(commits are small) and only those whose `abstract` is a stamp batch's are
looked at further; the records' leaf rows are counted in one query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from numbers_cli.errors import NitError
from numbers_cli.model import jsjson, merkle
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.stamp import (
    BATCH_MIME,
    BatchManifest,
    InclusionProof,
    batch_tree_fields,
)
from numbers_cli.ops.stamp.damage import RowDamage, find_damage
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamp_rows import forget_row
from numbers_cli.repo.stamps import UNKNOWN_NETWORK, BatchRecord, StampEntry, StampRecords

__all__ = ["RecoveredBatch", "describe", "record_recovered", "unrecorded_batches"]

#: What the abstract of a batch's commit starts with (ops/stamp/batch.py); only a
#: filter: what is recovered is what the signed tree and the manifest say.
_BATCH_ABSTRACT = b"nit stamp: "


@dataclass(frozen=True)
class RecoveredBatch:
    """A batch with no record (or a damaged one), re-made from its signed tree and manifest."""

    record: BatchRecord
    #: Proof objects that are not stored any more: (raw CID, bytes).
    proofs: tuple[tuple[bytes, bytes], ...]
    #: Artifact commits found in their assets' histories (the others are not here).
    present: int
    #: A record is on file but damaged (ops/stamp/damage.py): it is replaced,
    #: keeping its network when that still reads.
    replaces: bool = False
    #: What is wrong with the record on file ("" when there is none).
    problem: str = ""
    #: A batch row too damaged to say its batch (tied by its commit): dropped first.
    drops: int | None = None


def unrecorded_batches(repo: Repository) -> list[RecoveredBatch]:
    """Every batch in the repository's histories whose stamp record is missing or
    damaged and can be re-made whole from the packs, with at least one of its
    artifacts' commits in a history here (else nothing here could be pushed on its own)."""
    try:
        records = StampRecords(repo.db)
        known = records.batch_nids()
        histories = repo.refs.histories()
        damage = find_damage(repo.db)
        artifacts = records.stamped_counts()  # their first commit is no batch's
    except NitError:
        return []  # a damaged store or ref: fsck reports that, and repairs it first
    damaged, unreadable = damage.by_batch, damage.by_commit
    found = []
    for asset, commits in histories.items():
        if not commits or str(asset) in artifacts:
            continue
        row = damaged.get(str(asset))
        if str(asset) in known and row is None:
            continue
        try:
            data = repo.objects.get(commits[0])
        except NitError:
            continue
        if _BATCH_ABSTRACT not in data:
            continue
        if row is None:
            row = unreadable.get(str(commits[0]))
        try:
            recovered = _remake(repo, asset, commits[0], data, histories, row)
        except (NitError, ValueError, TypeError):
            continue  # not a batch, or not one whose claims hold
        if recovered is not None:
            found.append(recovered)
    return found


def _remake(
    repo: Repository,
    batch: Nid,
    commit_nid: Nid,
    data: bytes,
    histories: dict[Nid, list[Nid]],
    row: RowDamage | None = None,
) -> RecoveredBatch | None:
    from numbers_cli.ops.signatures import check_signature
    from numbers_cli.ops.trees import read_file

    commit = Commit.from_json(data)
    tree_bytes = read_file(repo, commit.tree_cid)
    if hashlib.sha256(tree_bytes).hexdigest() != commit.get("assetTreeSha256"):
        return None
    tree = jsjson.parse(tree_bytes)
    if not isinstance(tree, dict) or tree.get("assetCid") != batch:
        return None
    stamp = (tree.get("custom") or {}).get("stampBatch")
    if tree.get("encodingFormat") != BATCH_MIME or not isinstance(stamp, dict):
        return None
    root = merkle.from_hex(stamp.get("root"), "batch root")
    leaves = stamp.get("leaves")
    if not isinstance(leaves, int) or stamp != batch_tree_fields(root, leaves):
        return None
    if not check_signature(commit).ok:
        return None
    manifest_bytes = read_file(repo, batch)
    if hashlib.sha256(manifest_bytes).hexdigest() != tree.get("assetSha256"):
        return None
    manifest = BatchManifest.from_bytes(manifest_bytes)  # its artifacts make its root
    if manifest.root != root or len(manifest.artifacts) != leaves:
        return None
    committer = str(commit.get("committer") or "").lower()
    present = 0
    for artifact in manifest.artifacts:
        if artifact.commit in histories.get(artifact.nid, ()):
            stamped = Commit.from_json(repo.objects.get(artifact.commit))
            if str(stamped.get("committer") or "").lower() != committer:
                return None
            present += 1
    if not present:
        return None
    _, merkle_tree = BatchManifest.of(manifest.artifacts, manifest.created, manifest.build)
    entries, missing = [], []
    for index, artifact in enumerate(manifest.artifacts):
        proof = InclusionProof(
            batch, root, index, leaves, artifact, tuple(merkle_tree.proof(index))
        ).to_bytes()
        key = RAW_PREFIX + hashlib.sha256(proof).digest()
        proof_nid = Nid.from_bytes(key)
        if not repo.objects.has(proof_nid):
            missing.append((key, proof))
        entries.append(StampEntry(artifact.nid, artifact.commit, proof_nid, index))
    content = all(repo.objects.has(artifact.nid) for artifact in manifest.artifacts)
    if row is not None and row.commit != str(commit_nid):
        row = row if row.readable else None  # not this batch's row
    network = row.network if row is not None else UNKNOWN_NETWORK
    if not network:  # where refs/remotes recorded the batch's commit, if anywhere
        network = StampRecords(repo.db).registered_on(str(batch), str(commit_nid))
    record = BatchRecord(batch, network, merkle.to_hex(root), commit_nid, tuple(entries), content)
    return RecoveredBatch(
        record,
        tuple(missing),
        present,
        replaces=row is not None and row.readable,
        problem=row.problem if row is not None else "",
        drops=row.row_id if row is not None and not row.readable else None,
    )


def record_recovered(repo: Repository, recovered: RecoveredBatch) -> str:
    """Store the missing proofs and the record (inside the caller's transaction);
    the sentence `nit fsck --repair` reports."""
    records = StampRecords(repo.db)
    if recovered.proofs:
        repo.objects.add_blocks(list(recovered.proofs))
    record = recovered.record
    if recovered.drops is not None:
        forget_row(repo.db, recovered.drops)
    if recovered.replaces:
        records.forget(record.batch)
    records.record(record)
    if record.network and (recovered.replaces or recovered.drops is not None):
        return (
            f"re-made the damaged stamp record of batch {record.batch} from its signed tree "
            f"and manifest ({record.leaves} artifacts, on {record.network})"
        )
    proofs = len(recovered.proofs)
    again = f", {proofs} proof{'' if proofs == 1 else 's'} stored again" if proofs else ""
    damaged = "damaged " if recovered.replaces or recovered.drops is not None else ""
    made = (
        f"re-made the {damaged}stamp record of batch {record.batch} from its signed tree and "
        f"manifest ({record.leaves} artifact{'' if record.leaves == 1 else 's'}{again}"
    )
    if record.network:
        return f"{made}, on {record.network})"
    return (
        f"{made}); its network is unknown until settled by the next chain read "
        "(`nit push`, `nit fetch`, `nit stamp`)"
    )


def describe(recovered: RecoveredBatch) -> str:
    """The problem `nit fsck` reports for a batch with no record (or a damaged one)."""
    n = recovered.record.leaves
    if recovered.problem:
        row = "" if recovered.replaces else f" (row {recovered.drops})"
        return (
            f"its stamp record{row} is damaged: {recovered.problem} (`nit fsck --repair` "
            "re-makes it from the signed batch in the packs)"
        )
    return (
        f"has no stamp record: `nit push` would register its {n} artifact"
        f"{'' if n == 1 else 's'}' commits one by one (`nit fsck --repair` re-makes "
        "it from the signed batch in the packs)"
    )
