"""`nit push`: publish commits — their objects to an IPFS remote, then the commits
themselves to a chain's IntegrityRegister — each commit registered exactly once.

How "exactly once" holds when a push dies at any point:
- Every commit transaction is signed, then written to the push journal
  (`repo/push_journal.py`, fsync'ed), and only then broadcast.
- The next push first finishes the journal (`ChainClient.resume_commits`):
  transactions that were mined are recorded; those still possible are
  broadcast again *as signed* (same nonce: at most one version of a
  transaction is ever mined); those that can never be mined (their nonce went
  to another transaction) are dropped and their commits planned anew.
- Before sending, the chain is asked how many commits each asset has
  (`commit_counts`, batched); an asset with more than `refs/remotes` knows (a
  push from another clone, lost refs) has its history read, and commits
  already there are recorded, not sent.
- Where commits landed is recorded in `refs/remotes/<network>/<nid>`, in
  batches under the repository's write lock (`Refs.record_remote`: one group
  of fsyncs per batch); the push journal is removed only after the last one.
One push at a time per repository (`Repository.push_lock`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import ChainClient, Network, Receipt
from numbers_cli.config import Config
from numbers_cli.errors import NetworkError, UsageError
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.push_found import found_on_chain
from numbers_cli.ops.push_records import RECORD_EVERY, Recorder
from numbers_cli.ops.stamp.settle import held_back, held_back_notes, settle_recorded
from numbers_cli.repo.push_journal import PushJournal
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer

__all__ = ["RECORD_EVERY", "PushOptions", "PushReport", "PushedCommit", "pending_commits", "push"]


@dataclass(frozen=True)
class PushOptions:
    network: str | None = None
    remote: str | None = None
    chain: bool = True
    ipfs: bool = True
    dry_run: bool = False
    confirmations: int | None = None
    #: Push only these assets (default: all).
    assets: tuple[Nid, ...] = ()
    #: Push assets whose chain history holds commits never seen here (trace stream).
    force: bool = False


@dataclass(frozen=True)
class PushedCommit:
    """One commit of the push and what became of it.

    `state`: "pushed" (registered by this push), "recovered" (registered by an
    interrupted push, recorded now: its journal names the commit, even when the
    chain holds it under a transaction the journal did not catch up with, as a
    fee-bumped copy under load), "found" (already on chain, e.g. pushed from
    another clone), or "planned" (dry run).
    """

    asset: Nid
    commit: Nid
    state: str
    tx_hash: str | None = None
    block: int | None = None


@dataclass
class PushReport:
    network: Network | None
    remote: str | None
    dry_run: bool
    commits: list[PushedCommit] = field(default_factory=list)
    #: What the IPFS side did, as ops.upload reports it (one item per object).
    uploads: list[Any] = field(default_factory=list)
    #: Transactions of an interrupted push still to reconcile (dry run only).
    journalled: int = 0
    #: Why IPFS was skipped, when it was (no remote configured).
    ipfs_note: str | None = None
    #: Assets not pushed: the chain has commits of them never seen here
    #: (ops.conflicts.AssetState; trace stream, issue 11).
    conflicts: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # stamp batches held back (issue 14)


@dataclass(frozen=True)
class _Refs:
    """The local and `refs/remotes/<network>` histories, read once for the whole push:
    planning and the conflict rule both need all of them, and under the push lock
    nothing writes them in between."""

    local: dict[Nid, list[Nid]]
    remote: dict[str, list[RemoteEntry]]

    @classmethod
    def read(cls, repo: Repository, network: str) -> _Refs:
        return cls(repo.refs.histories(), repo.refs.remote_histories(network))


def pending_commits(
    repo: Repository, network: str, assets: Sequence[Nid] = (), refs: _Refs | None = None
) -> list[tuple[Nid, Nid]]:
    """(asset, commit) of every local commit not yet known on `network`, in history order."""
    plan: list[tuple[Nid, Nid]] = []
    # stamp (issue 14): stamped artifacts' commits, batches of other networks (settle.py)
    stamped = held_back(repo, network, assets)
    refs = refs or _Refs.read(repo, network)  # two queries, not two per asset
    remote, local = refs.remote, refs.local
    for asset in assets or local:
        known = {entry.commit for entry in remote.get(asset, [])}
        plan += [
            (asset, commit)
            for commit in local.get(asset, [])
            if commit not in known and commit not in stamped
        ]
    return plan


def push(
    repo: Repository,
    config: Config,
    options: PushOptions,
    get_signer: Callable[[], Signer],
    progress: Progress | None = None,
    *,
    client_options: dict[str, Any] | None = None,
) -> PushReport:
    """Upload objects, then register pending commits; see the module docstring.

    `get_signer` is called only when something is to be signed, after the
    network has been checked (no passphrase prompt for a push that cannot go).
    """
    progress = progress or NoProgress()
    for asset in options.assets:
        if not repo.refs.history(asset):
            raise UsageError(f"{asset} has no commits to push")
    if not options.chain and not options.ipfs:
        raise UsageError("--no-chain and --no-ipfs together leave nothing to push")
    network = _network(config, options) if options.chain else None
    report = PushReport(network=network, remote=None, dry_run=options.dry_run)
    with repo.push_lock():
        refs = _Refs.read(repo, network.name) if network is not None else None
        if network is not None:
            plan = pending_commits(repo, network.name, options.assets, refs)
            report.notes = held_back_notes(repo, network.name, options.assets)
            journal = PushJournal(repo.dir, network.name)
        else:
            plan = _all_commits(repo, options.assets)
            journal = None
        remote = _remote(config, options, report)
        if options.dry_run:
            report.commits = [PushedCommit(a, c, "planned") for a, c in plan]
            report.journalled = len(journal.entries()) if journal else 0
            return report
        if remote is not None:
            try:
                report.uploads = _upload(repo, remote, _all_commits(repo, options.assets), progress)
            except NetworkError as exc:
                if not options.chain:
                    raise
                # The remote being down need not stop the registration: say how.
                hint = "`nit push --no-ipfs` registers the commits on chain without it"
                raise NetworkError(
                    exc.message, hint=f"{exc.hint}; {hint}" if exc.hint else hint
                ) from exc
        if network is not None and journal is not None:
            _register(
                repo,
                network,
                journal,
                plan,
                get_signer,
                progress,
                report,
                client_options,
                options.force,
                refs,
            )
            settle_recorded(repo)  # stamp records of unknown network it placed
    return report


def _network(config: Config, options: PushOptions) -> Network:
    network = resolve_network(config, options.network)
    if options.confirmations is not None:
        if options.confirmations < 1:
            raise UsageError("--confirmations must be at least 1")
        network = dataclasses.replace(network, confirmations=options.confirmations)
    return network


def _all_commits(repo: Repository, assets: Sequence[Nid]) -> list[tuple[Nid, Nid]]:
    return [(a, c) for a in assets or repo.refs.assets() for c in repo.refs.history(a)]


# -- IPFS ----------------------------------------------------------------------


def _remote(config: Config, options: PushOptions, report: PushReport) -> Any:
    """The IPFS remote to upload to, or None (with a note) when none is configured."""
    if not options.ipfs:
        return None
    from numbers_cli.ops.remotes import resolve_remote

    remote = resolve_remote(config, options.remote)
    if remote is None:
        if not options.chain:
            raise UsageError(
                "no IPFS remote to push to", hint="add one with `nit remote add NAME URL`"
            )
        report.ipfs_note = "no IPFS remote configured: files and trees stay local"
        return None
    report.remote = remote.name
    return remote


def _upload(
    repo: Repository, remote: Any, commits: Sequence[tuple[Nid, Nid]], progress: Progress
) -> list[Any]:
    """Every object the commits reference: the file (when present here), the tree, the
    commit's attachment (when present here: e.g. a custody token's metadata), the commit.

    A history fetched from a chain may lack the file itself; what is not here
    cannot be uploaded, and the tree still names it for whoever has it.
    """
    from numbers_cli.ops.upload import upload_objects

    cids: list[Nid] = []
    seen: set[Nid] = set()
    for asset, commit_nid in commits:
        commit = Commit.from_json(repo.objects.get(commit_nid))
        attached = [Nid(commit.get("attachment"))] if commit.get("attachment") else []
        optional = {asset, *attached}  # uploaded only when this repository has them
        for cid in (asset, commit.tree_cid, *attached, commit_nid):
            if cid not in seen and (cid not in optional or repo.objects.has(cid)):
                seen.add(cid)
                cids.append(cid)
    return list(upload_objects(repo, remote, cids, progress))


# -- chain ---------------------------------------------------------------------


def _register(
    repo: Repository,
    network: Network,
    journal: PushJournal,
    plan: list[tuple[Nid, Nid]],
    get_signer: Callable[[], Signer],
    progress: Progress,
    report: PushReport,
    client_options: dict[str, Any] | None,
    force: bool = False,
    refs: _Refs | None = None,
) -> None:
    entries = journal.entries()
    if not plan and not entries:
        return
    with ChainClient(network, **(client_options or {})) as client, Recorder(repo, network) as rec:
        client.check()  # chain id and contract before any passphrase or signature
        assets = list(dict.fromkeys(a for a, _ in plan))
        # One batched read of the chain's commit counts serves both the conflict rule
        # and the search for commits already there (each read costs the node a call
        # per asset); after a reconcile, which may have mined some, it is read again.
        counts = client.commit_counts(assets) if assets else {}
        if not force:  # trace stream (issue 11): never interleave with unseen history
            from numbers_cli.ops.conflicts import conflicts

            local, known = (refs.local, refs.remote) if refs else (None, None)
            held = conflicts(repo, client, assets, counts, histories=local, remote=known)
            report.conflicts = held
            blocked = {state.asset for state in report.conflicts}
            plan = [(a, c) for a, c in plan if a not in blocked]
        signer = get_signer()
        if entries:
            report.commits += _reconcile(client, journal, entries, signer, rec)
            plan = [item for item in plan if item not in rec.recorded]
            counts = None
        found = found_on_chain(repo, client, plan, counts)
        rec.add(found)
        # A journalled commit found on chain by another transaction (its nonce taken
        # by a fee-bumped copy the journal had not caught up with) was still
        # registered by the interrupted push: "recovered", not "found" elsewhere.
        ours = {(e["asset"], e["commit"]) for e in entries}
        report.commits += [
            PushedCommit(
                a,
                e.commit,
                "recovered" if (str(a), str(e.commit)) in ours else "found",
                e.tx_hash,
                e.block,
            )
            for a, e in found
        ]
        plan = [(a, c) for a, c in plan if (a, c) not in rec.recorded]
        report.commits += _send(repo, client, journal, plan, signer, progress, rec)
    journal.clear()


def _reconcile(
    client: ChainClient,
    journal: PushJournal,
    entries: list[dict[str, Any]],
    signer: Signer,
    rec: Recorder,
) -> list[PushedCommit]:
    """Finish what an interrupted push journalled; record what the chain has."""
    open_entries = [e for e in entries if (Nid(e["asset"]), Nid(e["commit"])) not in rec.known()]
    if not open_entries:
        return []

    def journal_resend(snapshots: list[dict[str, Any]]) -> None:
        journal.append([_tagged(snap, open_entries[snap["index"]]) for snap in snapshots])

    receipts = client.resume_commits(open_entries, signer, on_journal=journal_resend)
    done: list[PushedCommit] = []
    for entry, receipt in zip(open_entries, receipts, strict=True):
        if receipt is not None:
            asset, commit = Nid(entry["asset"]), Nid(entry["commit"])
            rec.add([(asset, RemoteEntry(commit, receipt.tx_hash, receipt.block_number))])
            done.append(
                PushedCommit(asset, commit, "recovered", receipt.tx_hash, receipt.block_number)
            )
    return done


def _send(
    repo: Repository,
    client: ChainClient,
    journal: PushJournal,
    plan: list[tuple[Nid, Nid]],
    signer: Signer,
    progress: Progress,
    rec: Recorder,
) -> list[PushedCommit]:
    if not plan:
        return []
    items = [(str(asset), repo.objects.get(commit).decode("utf-8")) for asset, commit in plan]
    pushed: list[PushedCommit] = []

    def on_journal(snapshots: list[dict[str, Any]]) -> Callable[[], None]:
        # Durable before the window leaves: the pipeline calls what this returns first.
        stored = journal.append_in_background(
            [_tagged(snap, plan[snap["index"]]) for snap in snapshots]
        )
        # The pipeline journals a window right after broadcasting the one before:
        # the chain is mining then, so recording what it mined earlier costs no waiting.
        rec.flush_when_due()
        return stored

    def on_mined(index: int, receipt: Receipt) -> None:
        asset, commit = plan[index]
        rec.add([(asset, RemoteEntry(commit, receipt.tx_hash, receipt.block_number))], flush=False)
        pushed.append(PushedCommit(asset, commit, "pushed", receipt.tx_hash, receipt.block_number))
        progress.advance(1)

    progress.start(f"Registering on {client.network.name}", len(plan), unit="commits")
    try:
        client.send_commits(items, signer, on_journal=on_journal, on_mined=on_mined)
    finally:
        progress.done()
        with contextlib.suppress(Exception):
            journal.settle()  # a window journalled and never sent: nothing left running
    return pushed


def _tagged(snapshot: dict[str, Any], item: Any) -> dict[str, Any]:
    """A transaction snapshot with the (asset, commit) it registers, for the journal."""
    if isinstance(item, dict):
        asset, commit = item["asset"], item["commit"]
    else:
        asset, commit = item
    return {**snapshot, "asset": str(asset), "commit": str(commit)}
