"""Verifying a stamped artifact: artifact → leaf → root → signed batch → on-chain commit.

The same checks serve `nit verify ARTIFACT` (data from the repository: the
stamp record, the proof object, the batch's commit and tree, the recorded
registration) and `nit verify --statement` (data from the attestation):

- `leaf`: the artifact's sha256 and its commit make the leaf the proof starts from;
- `proof`: the leaf, hashed up through the proof, gives the batch's root
  ("stamped in batch B, leaf i of n");
- `batch`: the batch's tree hashes to what its commit signed, names that root
  and leaf count, and the commit's signature holds;
- `anchor`: that very commit string is on chain under the batch's Nid: as
  recorded here when it was mined (`nit verify FILE`, offline like the rest of
  a local verify), or read back from the IntegrityRegister (`--remote`, and
  `--statement` unless `--offline`).

Every failure but a broken signature exits 25 (ExitCode.VERIFY_STAMP).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import ExitCode, InvalidFormat, NitError
from numbers_cli.model import jsjson, merkle
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid, short
from numbers_cli.model.stamp import InclusionProof, commit_digest
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import (
    UNKNOWN_NETWORK,
    UNKNOWN_NETWORK_TEXT,
    BatchRecord,
    StampEntry,
    StampRecords,
)

if TYPE_CHECKING:
    from numbers_cli.chain import Network
    from numbers_cli.config import Config
    from numbers_cli.ops.verify import Check, CommitVerdict

__all__ = [
    "Anchor",
    "StampEvidence",
    "add_stamp_checks",
    "check_evidence",
    "evidence_of",
    "stamped_target",
]


@dataclass(frozen=True)
class Anchor:
    """Where a batch's commit was registered."""

    network: str
    tx_hash: str
    block: int
    chain_id: int | None = None
    contract: str | None = None


@dataclass(frozen=True)
class StampEvidence:
    """Everything that ties one artifact to an on-chain registration."""

    sha256: str  # the artifact's bytes
    nid: Nid
    commit: Nid  # the artifact's commit
    batch: Nid
    root: bytes
    leaf_index: int
    leaves: int
    proof: tuple[bytes, ...]
    batch_commit_data: str  # the batch commit's exact on-chain string
    batch_tree: bytes  # the batch tree's exact bytes
    anchor: Anchor | None  # None: not registered yet (or not on record here)
    #: False: the batch's network is unknown (a record `nit fsck --repair` re-made
    #: from the packs, before a chain read settled it).
    settled: bool = True


def _check(name: str, ok: bool, detail: str, code: ExitCode = ExitCode.VERIFY_STAMP) -> Check:
    from numbers_cli.ops.verify import Check

    return Check(name, ok, detail, code)


def _where(evidence: StampEvidence) -> str:
    return f"stamped in batch {evidence.batch}, leaf {evidence.leaf_index + 1} of {evidence.leaves}"


def check_inclusion(evidence: StampEvidence) -> list[Check]:
    """`leaf` and `proof`: pure hashing, no I/O (what bench_stamp times as offline inclusion)."""
    try:
        leaf = merkle.leaf_hash((bytes.fromhex(evidence.sha256), commit_digest(evidence.commit)))
        reached = merkle.process_proof(leaf, evidence.proof)
    except (InvalidFormat, ValueError) as exc:
        return [_check("leaf", False, f"the artifact's leaf cannot be made: {exc}")]
    checks = [_check("leaf", True, f"leaf {merkle.to_hex(leaf)[:18]}… (sha256 + commit)")]
    if reached == evidence.root:
        checks.append(_check("proof", True, _where(evidence)))
    else:
        checks.append(
            _check(
                "proof",
                False,
                f"the proof leads to {merkle.to_hex(reached)[:18]}…, not to batch root "
                f"{merkle.to_hex(evidence.root)[:18]}… of {evidence.batch}",
            )
        )
    return checks


def check_batch(evidence: StampEvidence) -> list[Check]:
    """`batch`: the batch's tree is what its commit signed, and names this root."""
    from numbers_cli.ops.signatures import check_signature

    try:
        commit = Commit.from_json(evidence.batch_commit_data)
        tree = jsjson.parse(evidence.batch_tree)
        if not isinstance(tree, dict):
            raise InvalidFormat("the batch tree is not a JSON object")
    except InvalidFormat as exc:
        return [_check("batch", False, f"batch {evidence.batch}: {exc.message}")]
    sha = hashlib.sha256(evidence.batch_tree).hexdigest()
    if sha != commit.get("assetTreeSha256"):
        return [_check("batch", False, "the batch tree is not the one its commit signed")]
    stamp = (tree.get("custom") or {}).get("stampBatch") or {}
    if tree.get("assetCid") != evidence.batch:
        return [_check("batch", False, f"the batch tree describes {tree.get('assetCid')}")]
    if stamp.get("root") != merkle.to_hex(evidence.root) or stamp.get("leaves") != evidence.leaves:
        return [
            _check(
                "batch",
                False,
                f"batch {short(evidence.batch)} signed root {stamp.get('root')} of "
                f"{stamp.get('leaves')} leaves, not {merkle.to_hex(evidence.root)} of "
                f"{evidence.leaves}",
            )
        ]
    signature = check_signature(commit)
    if not signature.ok:
        return [_check("batch", False, f"batch commit: {signature.detail}", signature.code)]
    return [_check("batch", True, f"root signed by {signature.signer} in the batch's commit")]


def check_anchor(
    evidence: StampEvidence, network: Network | None, asking: str = "--remote asks it"
) -> Check:
    """`anchor`: the batch's commit on chain (or, with `network` None, the local record;
    `asking` says how the command at hand would ask the chain instead)."""
    anchor = evidence.anchor
    if anchor is None and network is None:
        if not evidence.settled:
            return _check(
                "anchor",
                False,
                f"batch {short(evidence.batch)}: {UNKNOWN_NETWORK_TEXT} (its record was "
                "re-made by `nit fsck --repair`; `nit push`, `nit fetch` or `nit stamp` "
                "settles it, `--remote --network NAME` reads a chain)",
            )
        return _check(
            "anchor",
            False,
            f"batch {short(evidence.batch)} is not registered yet (run the stamp again to finish)",
        )
    if anchor is None:
        return _read_anchor(evidence, network)  # type: ignore[arg-type]
    if network is None:
        return _check(
            "anchor",
            True,
            f"registered on {anchor.network} in tx {anchor.tx_hash} block {anchor.block} "
            f"(as recorded; the chain was not asked: {asking})",
        )
    from numbers_cli.chain import ChainClient

    if anchor.chain_id is not None and anchor.chain_id != network.chain_id:
        return _check(
            "anchor",
            False,
            f"anchored on chain {anchor.chain_id}, but {network.name} is chain {network.chain_id}",
        )
    if anchor.contract and network.contract and anchor.contract.lower() != network.contract.lower():
        return _check(
            "anchor",
            False,
            f"anchored in register {anchor.contract}, but {network.name} uses {network.contract}",
        )
    with ChainClient(network) as client:
        records = client.history(evidence.batch)
    for record in records:
        if record.commit_data == evidence.batch_commit_data:
            moved = "" if record.tx_hash == anchor.tx_hash else f" (claimed tx {anchor.tx_hash})"
            return _check(
                "anchor",
                True,
                f"on chain: {network.name} tx {record.tx_hash} block {record.block_number}, "
                f"sent by {record.recorder}{moved}",
            )
    return _check(
        "anchor",
        False,
        f"{network.name} holds no registration of batch {short(evidence.batch)} with this commit",
    )


def _read_anchor(evidence: StampEvidence, network: Network) -> Check:
    """`anchor` of a batch with no registration on record here: the chain's own word."""
    from numbers_cli.chain import ChainClient

    with ChainClient(network) as client:
        records = client.history(evidence.batch)
    for record in records:
        if record.commit_data == evidence.batch_commit_data:
            return _check(
                "anchor",
                True,
                f"on chain: {network.name} tx {record.tx_hash} block {record.block_number}, "
                f"sent by {record.recorder} (not recorded here yet: `nit push` records it)",
            )
    return _check(
        "anchor",
        False,
        f"{network.name} holds no registration of batch {short(evidence.batch)} with this commit",
    )


def check_evidence(
    evidence: StampEvidence, network: Network | None, asking: str = "--remote asks it"
) -> list[Check]:
    """Every check, in order; the anchor only when the Merkle and signature parts hold."""
    checks = check_inclusion(evidence) + check_batch(evidence)
    if all(check.ok for check in checks):
        checks.append(check_anchor(evidence, network, asking))
    return checks


# -- from the repository ------------------------------------------------------


def evidence_of(
    repo: Repository, record: BatchRecord, entry: StampEntry
) -> tuple[StampEvidence, InclusionProof]:
    """The evidence of one stamped commit, from its stored proof and batch."""
    from numbers_cli.ops.trees import read_file

    proof = InclusionProof.from_bytes(repo.objects.get(entry.proof))
    commit_data = repo.objects.get(record.commit)
    tree = read_file(repo, Commit.from_json(commit_data).tree_cid)
    registered = [
        e
        for e in repo.refs.remote_history(record.network, record.batch)
        if e.commit == record.commit
    ]
    anchor = (
        Anchor(record.network, registered[0].tx_hash, registered[0].block) if registered else None
    )
    evidence = StampEvidence(
        sha256=proof.artifact.sha256,
        nid=proof.artifact.nid,
        commit=proof.artifact.commit,
        batch=proof.batch,
        root=proof.root,
        leaf_index=proof.leaf_index,
        leaves=proof.leaves,
        proof=proof.proof,
        batch_commit_data=commit_data.decode("utf-8"),
        batch_tree=tree,
        anchor=anchor,
        settled=bool(record.network),
    )
    return evidence, proof


def _binding(
    proof: InclusionProof, record: BatchRecord, entry: StampEntry, asset: Nid, tree_sha: Any
) -> Check | None:
    """The stored proof is about this artifact, this commit and this batch."""
    artifact = proof.artifact
    if (artifact.nid, artifact.commit) != (asset, entry.commit) or proof.batch != record.batch:
        return _check("leaf", False, "the stored proof is about another artifact or batch")
    if tree_sha is not None and artifact.sha256 != tree_sha:
        return _check("leaf", False, "the proof's sha256 is not the tree's assetSha256")
    if merkle.to_hex(proof.root) != record.root:
        return _check("proof", False, "the stored proof's root is not its batch's root")
    return None


def add_stamp_checks(
    repo: Repository,
    commits: Sequence[CommitVerdict],
    asset: Nid | None,
    *,
    on_chain: bool = False,
    config: Config | None = None,
    network: str | None = None,
) -> None:
    """Append the stamp checks to each verdict of a stamped commit (the hook of ops.verify).

    The anchor is the recorded registration, or with `on_chain` the chain's own
    record, read from the network the batch was registered on (for a batch whose
    network is unknown, re-made by `nit fsck --repair`: `network`, default
    `core.network`). Without an `asset` (a commit verified on its own) the asset
    is the stamp's.
    """
    records = StampRecords(repo.db)
    if asset is None:
        hit = records.of_commit(commits[0].commit_nid) if len(commits) == 1 else None
        if hit is None:
            return
        asset = hit[1].asset
    stamps = {entry.commit: (record, entry) for record, entry in records.of_asset(asset)}
    if not stamps:
        return
    networks: dict[str, Network] = {}
    asked = network
    for verdict in commits:
        found = stamps.get(verdict.commit_nid)
        if found is None:
            continue
        record, entry = found
        try:
            evidence, proof = evidence_of(repo, record, entry)
        except NitError as exc:
            verdict.checks.append(_check("proof", False, f"stamp of this commit: {exc.message}"))
            continue
        tree_sha = _tree_sha(repo, verdict.commit_nid)
        broken = _binding(proof, record, entry, asset, tree_sha)
        if broken is not None:
            verdict.checks.append(broken)
            continue
        chain = None
        # A batch of unknown network (re-made by fsck --repair): the network asked for.
        if on_chain and (evidence.anchor is not None or not evidence.settled):
            name = record.network or asked or ""
            chain = networks.get(name) or _network(config, repo, name)
            networks[name] = chain
        verdict.checks += check_evidence(evidence, chain)


def stamped_target(repo: Repository, target: str, network: str | None = None) -> bool:
    """Whether `target` (a file, an asset or commit Nid) names a stamped artifact
    here (stamped on `network`, if given): what `nit verify --remote` checks
    through its batch, since its own commit is not on chain."""
    from numbers_cli.ops.ingest import nid_of_file

    records = StampRecords(repo.db)
    if not records.count()[0]:
        return False
    path = Path(target)
    try:
        nid = nid_of_file(path) if path.is_file() else repo.resolve_asset(target)
    except NitError:
        return False
    # A record of unknown network (re-made by fsck --repair) may be on any network.
    wanted = (network, UNKNOWN_NETWORK)
    if any(network is None or record.network in wanted for record, _ in records.of_asset(nid)):
        return True
    hit = None if path.is_file() else records.of_commit(nid)
    return hit is not None and (network is None or hit[0].network in wanted)


def _tree_sha(repo: Repository, commit_nid: Nid) -> Any:
    from numbers_cli.ops.trees import load_tree

    try:
        return load_tree(repo, commit_nid).get("assetSha256")
    except NitError:
        return None  # verify_commit reports the broken tree


def _network(config: Config | None, repo: Repository, name: str) -> Network:
    """The network `name` (unknown, "": the default network)."""
    from numbers_cli.config import Config
    from numbers_cli.ops.networks import resolve_network

    return resolve_network(config or Config.load(repo.workdir), name or None)
