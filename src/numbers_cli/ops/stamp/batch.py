"""One stamp batch, made in memory and then written to the repository in one go.

For each artifact: an AssetTree and a signed Commit, as `nit add` and
`nit commit` make them (same fields, same order, same signature; the build
facts under `custom.build`). Then the batch: the Merkle tree of the leaves,
the manifest (the batch asset's file), one inclusion proof per artifact, and
the batch's own tree and signed commit, whose registration anchors them all.

Every object goes to the store as it is made (memory stays flat however
large the batch): into the stamp's transaction's batch pack, one file and one
fsync for the whole batch, not three per artifact. Nothing becomes visible
before the transaction commits, and the caller first checks that the wallet
can pay for the registration: a stamp that cannot be sent rolls back and
leaves the repository as it was (the unfinished pack, a temp file, is
dropped). `write` adds the refs and the stamp record to the same
transaction (all or nothing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.config import Config
from numbers_cli.model.commit import ACTION_FOR_KIND, ACTION_NIDS, Commit, gateway_url
from numbers_cli.model.names import json_path
from numbers_cli.model.nid import RAW_PREFIX, Nid
from numbers_cli.model.stamp import (
    BATCH_MIME,
    BatchManifest,
    InclusionProof,
    StampedArtifact,
    batch_tree_fields,
)
from numbers_cli.model.tree import AssetTree
from numbers_cli.model.unixfs import CHUNK_SIZE, BlockSink, NidBuilder
from numbers_cli.ops.add import AddOptions
from numbers_cli.ops.stamp.inputs import HashedArtifact
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.refs import Refs
from numbers_cli.repo.repository import Repository, Transaction
from numbers_cli.repo.stamps import BatchRecord, StampEntry, StampRecords
from numbers_cli.wallet import Signer

__all__ = ["BatchDraft", "Documents", "draft_batch"]

#: Where a batch's documents go, many at a time: `ObjectStore.add_blocks`.
Documents = Callable[[list[tuple[bytes, bytes]]], object]


@dataclass
class BatchDraft:
    """Everything a batch writes, not yet written."""

    manifest: BatchManifest
    batch: Nid  # the manifest's Nid: the batch asset
    commit: Nid  # the batch's commit, the one registered on chain
    commit_data: str  # its on-chain string
    record: BatchRecord
    #: (asset, commit) for refs/heads, artifacts first, the batch last.
    heads: list[tuple[Nid, Nid]] = field(default_factory=list)

    def write(self, txn: Transaction) -> None:
        """The heads and the stamp record, in `txn` (the objects are in its batch pack)."""
        for asset, commit in self.heads:
            txn.append_commit(asset, commit)
        StampRecords(txn.repo.db).record(self.record)


class _Signing:
    """Makes commits the way `nit commit` does (ops/commit.py): author from
    `commit.author` (else the wallet), committer the wallet, provider when set.

    The first tree and commit of a batch are validated as `nit commit`
    validates them; the rest are made of the same fields from values nit
    computed itself, so they are not checked again (a third of the time
    per artifact). Each object's sha256 is taken once: it is both its raw
    CID's digest and, for a tree, the commit's `assetTreeSha256`.
    """

    #: Documents held before they go to the store together (a few hundred KiB).
    BUFFER = 512

    def __init__(self, config: Config, signer: Signer, timestamp: int, store: Documents) -> None:
        self.signer = signer
        self.author = str(config.get("commit.author") or "") or signer.address
        self.provider = str(config.get("commit.provider") or "") or None
        self.timestamp = timestamp
        self.store = store
        self.validate = True
        self._held: list[tuple[bytes, bytes]] = []

    def put(self, data: bytes) -> tuple[Nid, str]:
        """Store a one-block document; its Nid and sha256 hex."""
        digest = hashlib.sha256(data).digest()
        key = RAW_PREFIX + digest
        self._held.append((key, data))
        if len(self._held) >= self.BUFFER:
            self.flush()
        return Nid.from_bytes(key), digest.hex()

    def flush(self) -> None:
        """Everything put so far into the store (the transaction's batch pack)."""
        if self._held:
            self.store(self._held)
            self._held = []

    def tree(self, values: Mapping[str, Any]) -> AssetTree:
        return AssetTree.new(values, validate=self.validate)

    def commit(self, tree: AssetTree, kind: str, abstract: str) -> tuple[Nid, bytes]:
        """Store the tree and its signed commit; (commit Nid, commit bytes)."""
        tree_cid, sha = self.put(tree.to_bytes())
        action_name = ACTION_FOR_KIND[kind]
        record = Commit.new(
            {
                "assetTreeCid": tree_cid,
                "assetTreeSha256": sha,
                "assetTreeSignature": self.signer.sign_text(sha),
                "author": self.author,
                "committer": self.signer.address,
                "provider": self.provider,
                "timestampCreated": self.timestamp,
                "action": ACTION_NIDS[action_name],
                "actionResult": gateway_url(tree_cid),
                "abstract": abstract,
            },
            validate=self.validate,
        ).with_action_name()
        self.validate = False
        data = record.to_bytes()
        commit_cid, _ = self.put(data)
        return commit_cid, data


def _artifact_tree(
    repo: Repository,
    txn: Transaction,
    item: HashedArtifact,
    fixed: Mapping[str, Any],
    facts: Mapping[str, str],
    signing: _Signing,
) -> tuple[AssetTree, str]:
    """The tree `nit add` would stage for these bytes, with the build facts; and its kind."""
    history = txn.history(item.nid)
    if history:  # a known asset: an update of its last tree, as `nit add` makes one
        base = load_tree(repo, history[-1])
        custom = dict(base.get("custom") or {})
        if facts:
            custom["build"] = dict(facts)
        return base.updated({"custom": custom or None}), "update"
    custom: dict[str, Any] = {}
    if item.camera:
        custom["camera"] = dict(item.camera)
    if facts:
        custom["build"] = dict(facts)
    tree = signing.tree(
        {
            "assetCid": item.nid,
            "assetSha256": item.sha256,
            "encodingFormat": item.mime,
            "assetTimestampCreated": item.created,
            "assetLocationCreated": item.location,
            **fixed,
            "custom": custom or None,
        }
    )
    return tree, "new"


def _put_file(data: bytes, sink: BlockSink) -> Nid:
    """The UnixFS blocks of an in-memory file of any size (the manifest) into `sink`."""
    builder = NidBuilder(sink)
    for start in range(0, max(len(data), 1), CHUNK_SIZE):
        builder.update(data[start : start + CHUNK_SIZE])
    return builder.finish()


def draft_batch(
    repo: Repository,
    txn: Transaction,
    items: Sequence[HashedArtifact],
    *,
    config: Config,
    signer: Signer,
    facts: Mapping[str, str],
    network: str,
    content: bool,
    timestamp: int,
    sink: BlockSink,
    documents: Documents,
) -> BatchDraft:
    """Trees, signed commits, Merkle tree, manifest, proofs and the batch's own
    signed commit for `items` (distinct Nids); the manifest's blocks into `sink`,
    the other documents into `documents`, a few hundred at a time."""
    signing = _Signing(config, signer, timestamp, documents)
    # Every artifact's head in one query, kept in the transaction, where the
    # trees below read them and `write` appends to them.
    rels = [Refs.head_rel(item.nid) for item in items]
    heads_now = repo.refs.get_many(rels)
    for rel in rels:
        txn.set_ref(rel, heads_now.get(rel))
    fixed = {k: v for k, v in AddOptions().tree_fields(config).items() if v is not None}
    heads: list[tuple[Nid, Nid]] = []
    stamped: list[StampedArtifact] = []
    for item in items:
        tree, kind = _artifact_tree(repo, txn, item, fixed, facts, signing)
        # A signed document is Unicode: a name with bytes that are not UTF-8 goes in
        # git-quoted (model/names.py), as `--json` shows it.
        name = json_path(item.name)
        commit_cid, _ = signing.commit(tree, kind, f"Stamp of {name}.")
        heads.append((item.nid, commit_cid))
        stamped.append(StampedArtifact(name, item.nid, item.sha256, item.size, commit_cid))

    manifest, merkle_tree = BatchManifest.of(stamped, timestamp, dict(facts))
    manifest_bytes = manifest.to_bytes()
    batch = _put_file(manifest_bytes, sink)

    entries = []
    for index, artifact in enumerate(stamped):
        proof = InclusionProof(
            batch, manifest.root, index, len(stamped), artifact, tuple(merkle_tree.proof(index))
        )
        proof_cid, _ = signing.put(proof.to_bytes())
        entries.append(StampEntry(artifact.nid, artifact.commit, proof_cid, index))

    root = manifest.root_hex()
    batch_tree = AssetTree.new(
        {
            "assetCid": batch,
            "assetSha256": hashlib.sha256(manifest_bytes).hexdigest(),
            "encodingFormat": BATCH_MIME,
            "assetTimestampCreated": timestamp,
            **{k: v for k, v in fixed.items() if k == "assetCreator"},
            "abstract": f"nit stamp batch of {len(stamped)} artifacts",
            "custom": {
                "stampBatch": batch_tree_fields(manifest.root, len(stamped)),
                **({"build": dict(facts)} if facts else {}),
            },
        }
    )
    signing.validate = True  # the one registered: checked like any commit
    commit_cid, commit_bytes = signing.commit(
        batch_tree,
        "new",
        f"nit stamp: {len(stamped)} artifact(s), Merkle root {root}",
    )
    heads.append((batch, commit_cid))
    signing.flush()
    record = BatchRecord(batch, network, root, commit_cid, tuple(entries), content)
    return BatchDraft(
        manifest=manifest,
        batch=batch,
        commit=commit_cid,
        commit_data=commit_bytes.decode("utf-8"),
        record=record,
        heads=heads,
    )
