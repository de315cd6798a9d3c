"""`nit stamp`: many artifacts, one Merkle root, one registration.

A stamp runs in this order, each step safe to die in:
0. Records whose network is unknown (re-made from the packs by
   `nit fsck --repair`) are placed first: by refs/remotes, the push journal, or
   this network's chain (`ops/stamp/settle.py`); one found nowhere is left alone.
1. Batches an interrupted stamp wrote but did not get registered (or
   recorded) on this network are finished first (uploaded, then registered through `nit push`'s
   journal and pipeline), so running the same stamp again after a crash
   registers its batch exactly once.
2. Under the repository's write lock: every artifact is read once (Nid,
   sha256, MIME); those already stamped on this network are reported, not
   stamped again (unless `again`); the rest get trees, signed commits, the
   Merkle tree, the manifest, proofs and the batch's signed commit, in memory.
   The chain is asked what registering the batch costs; a wallet that cannot
   pay stops the stamp here, with nothing written. Then the batch is written
   (one pack, refs in one journalled transaction).
3. The batch's objects go to the IPFS remote, if one is configured (never the
   artifacts' bytes when hash-only), as one CAR and a few pin requests
   (`ops.upload_car`), and its commit is registered by
   `ops.push.push`: one transaction, journalled before it leaves, recorded in
   `refs/remotes/<network>/<batch>` once mined.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from numbers_cli.chain import ChainClient, Network
from numbers_cli.config import Config
from numbers_cli.errors import NitError, UsageError
from numbers_cli.metadata.ci import build_facts, in_ci
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops import push as push_op
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.stamp import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from numbers_cli.ops.stamp.batch import BatchDraft, draft_batch
from numbers_cli.ops.stamp.inputs import HashedArtifact, hash_input, plan_inputs
from numbers_cli.ops.stamp.settle import settle_networks, unsettled_note
from numbers_cli.repo.push_journal import PushJournal
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import BatchRecord, StampEntry, StampRecords
from numbers_cli.wallet import Signer

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_BATCH_SIZE",
    "BatchResult",
    "StampOptions",
    "StampReport",
    "StampedItem",
    "stamp",
]


@dataclass(frozen=True)
class StampOptions:
    paths: tuple[str, ...]
    stdin: BinaryIO | None = None
    name: str | None = None
    recursive: bool = False
    #: Keep the artifacts' bytes out of the repository and IPFS; None: yes when `CI` is set.
    hash_only: bool | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    again: bool = False
    network: str | None = None
    remote: str | None = None
    ipfs: bool = True
    cwd: Path | None = None
    #: Where build facts are read from (default: os.environ).
    env: Mapping[str, str] | None = None
    now: int | None = None


@dataclass(frozen=True)
class StampedItem:
    """One artifact and its stamp.

    `state`: "stamped" (in this stamp's new batch), "recovered" (in a batch an
    interrupted stamp wrote, registered now), "already" (stamped before on this
    network), "duplicate" (same bytes as an earlier artifact of this stamp).
    """

    name: str
    nid: Nid
    sha256: str
    size: int
    state: str
    commit: Nid
    batch: Nid
    leaf_index: int
    leaves: int
    root: str


@dataclass(frozen=True)
class BatchResult:
    """One batch registration: "registered" now, "recovered" (sent by an interrupted
    stamp, recorded now), or "found" (already on chain, recorded now)."""

    batch: Nid
    root: str
    commit: Nid
    leaves: int
    state: str
    tx_hash: str | None
    block: int | None
    gas_used: int | None


@dataclass
class StampReport:
    network: Network
    hash_only: bool
    artifacts: list[StampedItem] = field(default_factory=list)
    batches: list[BatchResult] = field(default_factory=list)
    uploaded: int = 0
    remote: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def already_stamped(self) -> bool:
        """Nothing was stamped or finished: every artifact was stamped before."""
        return bool(self.artifacts) and all(
            item.state in ("already", "duplicate") for item in self.artifacts
        )


class _OnceSigner:
    """Unlock the wallet once per stamp (one passphrase prompt at most)."""

    def __init__(self, get_signer: Callable[[], Signer]) -> None:
        self._get = get_signer
        self._signer: Signer | None = None

    def __call__(self) -> Signer:
        if self._signer is None:
            self._signer = self._get()
        return self._signer


def stamp(
    repo: Repository,
    config: Config,
    options: StampOptions,
    get_signer: Callable[[], Signer],
    progress: Progress | None = None,
    *,
    client_options: dict[str, Any] | None = None,
) -> StampReport:
    """Stamp the artifacts of `options`; see the module docstring."""
    progress = progress or NoProgress()
    env = os.environ if options.env is None else options.env
    if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
        raise UsageError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE:,}")
    skipped: list[str] = []
    inputs = plan_inputs(
        list(options.paths),
        stdin=options.stdin,
        name=options.name,
        recursive=options.recursive,
        batch_size=options.batch_size,
        cwd=(options.cwd or Path.cwd()).resolve(),
        root=repo.workdir,
        warn=skipped.append,
    )
    network = resolve_network(config, options.network)
    hash_only = in_ci(env) if options.hash_only is None else options.hash_only
    report = StampReport(network, hash_only, notes=skipped)
    signer = _OnceSigner(get_signer)
    client_options = client_options or {}

    # Unregistered batches, and registered ones a killed stamp left in the push
    # journal (finishing it tells this run they were its own).
    journalled = {entry["asset"] for entry in PushJournal(repo.dir, network.name).entries()}
    # Records re-made by `nit fsck --repair` (network unknown): placed by the refs, the
    # journal or this chain, before anything is decided about them.
    for record in settle_networks(repo, network, journalled, client_options):
        report.notes.append(unsettled_note(record, network))
    pending = [
        r
        for r in StampRecords(repo.db).batches(network.name)
        if r.batch in journalled or not _registered(repo, r)
    ]
    if pending:
        _finish(repo, config, network, pending, options, signer, progress, client_options, report)

    draft = _make_batch(
        repo, config, network, inputs, options, signer, progress, client_options, report, env
    )
    if draft is not None:
        _finish(
            repo, config, network, [draft.record], options, signer, progress, client_options, report
        )
    return report


def _registered(repo: Repository, record: BatchRecord) -> bool:
    entries = repo.refs.remote_history(record.network, record.batch)
    return any(entry.commit == record.commit for entry in entries)


def _item(
    hashed: HashedArtifact, state: str, record: BatchRecord, entry: StampEntry
) -> StampedItem:
    return StampedItem(
        hashed.name,
        hashed.nid,
        hashed.sha256,
        hashed.size,
        state,
        entry.commit,
        record.batch,
        entry.leaf_index,
        record.leaves,
        record.root,
    )


def _make_batch(
    repo: Repository,
    config: Config,
    network: Network,
    inputs: Sequence[Any],
    options: StampOptions,
    signer: _OnceSigner,
    progress: Progress,
    client_options: dict[str, Any],
    report: StampReport,
    env: Mapping[str, str],
) -> BatchDraft | None:
    """Step 2 of the module docstring; the draft written, or None when nothing is new."""
    finished = {result.batch for result in report.batches}
    with repo.transaction() as txn:
        # Every object (and the artifacts' blocks, unless hash-only) into the
        # transaction's one batch pack: visible at COMMIT, dropped on a rollback.
        sink = repo.objects.add_block
        hashed: list[HashedArtifact] = []
        content = None if report.hash_only else sink
        progress.start("Reading artifacts", len(inputs), unit="artifacts")
        try:
            for item in inputs:
                hashed.append(hash_input(item, content))
                progress.advance(1)
        finally:
            progress.done()

        stamped = StampRecords(repo.db).of_assets(
            list(dict.fromkeys(item.nid for item in hashed)), network.name
        )
        new: list[HashedArtifact] = []
        duplicates: list[HashedArtifact] = []
        seen: set[Nid] = set()
        for item in hashed:
            if item.nid in seen:
                duplicates.append(item)
                continue
            seen.add(item.nid)
            prior = stamped.get(item.nid)
            if prior is not None and not options.again:
                state = "recovered" if prior[0].batch in finished else "already"
                report.artifacts.append(_item(item, state, *prior))
            else:
                new.append(item)
        if not new:
            report.artifacts += [
                _item(item, "duplicate", *stamped[item.nid]) for item in duplicates
            ]
            return None  # no batch (kept content not stored before is kept, nothing else)

        draft = draft_batch(
            repo,
            txn,
            new,
            config=config,
            signer=signer(),
            facts=build_facts(env),
            network=network.name,
            content=not report.hash_only,
            timestamp=int(time.time()) if options.now is None else options.now,
            sink=sink,
            documents=repo.objects.add_blocks,
        )
        # The registration must be affordable before anything is committed.
        with ChainClient(network, **client_options) as client:
            client.check()
            client.commit_cost([(draft.batch, draft.commit_data)], signer().address)
        draft.write(txn)
    entries = {entry.asset: entry for entry in draft.record.entries}
    for item in new:
        report.artifacts.append(_item(item, "stamped", draft.record, entries[item.nid]))
    for item in duplicates:
        prior = (draft.record, entries[item.nid]) if item.nid in entries else stamped[item.nid]
        report.artifacts.append(_item(item, "duplicate", *prior))
    return draft


def _record_objects(repo: Repository, record: BatchRecord) -> list[Nid]:
    """What an IPFS remote gets for a batch: each artifact's tree and commit (and
    its bytes unless the stamp was hash-only), the manifest, the batch tree and commit."""
    cids: list[Nid] = []
    for entry in record.entries:
        tree = Commit.from_json(repo.objects.get(entry.commit)).tree_cid
        cids += [entry.asset, tree, entry.commit] if record.content else [tree, entry.commit]
    batch_tree = Commit.from_json(repo.objects.get(record.commit)).tree_cid
    return [*cids, record.batch, batch_tree, record.commit]


def _finish(
    repo: Repository,
    config: Config,
    network: Network,
    records: Sequence[BatchRecord],
    options: StampOptions,
    signer: _OnceSigner,
    progress: Progress,
    client_options: dict[str, Any],
    report: StampReport,
) -> None:
    """Upload the batches' objects (when a remote is configured), then register them."""
    if options.ipfs:
        from numbers_cli.ops.remotes import resolve_remote
        from numbers_cli.ops.upload_car import upload_as_one_car

        remote = resolve_remote(config, options.remote)
        if remote is None:
            note = "no IPFS remote configured: trees and commits stay local"
            if note not in report.notes:
                report.notes.append(note)
        else:
            report.remote = remote.name
            cids = [cid for record in records for cid in _record_objects(repo, record)]
            uploaded = upload_as_one_car(repo, remote, cids, progress)
            report.uploaded += sum(result.status == "uploaded" for result in uploaded)
    pushed = push_op.push(
        repo,
        config,
        push_op.PushOptions(
            network=network.name, ipfs=False, assets=tuple(r.batch for r in records)
        ),
        signer,
        progress,
        client_options=client_options,
    )
    states = {"pushed": "registered", "recovered": "recovered", "found": "found"}
    by_batch = {c.asset: c for c in pushed.commits}
    with ChainClient(network, **client_options) as client:
        for record in records:
            sent = by_batch.get(record.batch)
            if sent is not None:
                state, tx_hash, block = states.get(sent.state, sent.state), sent.tx_hash, sent.block
            else:  # recorded meanwhile (another push finished it)
                entry = next(
                    e
                    for e in repo.refs.remote_history(network.name, record.batch)
                    if e.commit == record.commit
                )
                state, tx_hash, block = "found", entry.tx_hash, entry.block
            gas = None
            if tx_hash is not None:
                with contextlib.suppress(NitError):
                    receipt = client.receipt(tx_hash)
                    gas = receipt.gas_used if receipt is not None else None
            report.batches.append(
                BatchResult(
                    record.batch,
                    record.root,
                    record.commit,
                    record.leaves,
                    state,
                    tx_hash,
                    block,
                    gas,
                )
            )
