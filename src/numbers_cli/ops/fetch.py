"""`nit fetch`: bring an asset's on-chain history into the local repository.

So that a second machine can continue an asset's history: every commit the
chain holds for the asset is stored as an object (its exact `commitData`
bytes, so its Nid is the same everywhere), `refs/remotes/<network>/<nid>`
records what is on that chain, and `refs/heads/<nid>` is brought in line:

| local history            | becomes                                             |
| ------------------------ | --------------------------------------------------- |
| empty, or a prefix of the chain's | the chain's (`new`, `fast-forward`)        |
| the chain's plus more    | unchanged: local commits not pushed yet (`ahead`)   |
| anything else            | the chain's, then the local-only commits (`diverged`) |

Commits have no parent pointer, so "diverged" needs no merge: the chain's
order is authoritative and the local-only commits simply follow it.

Nothing read from a chain is trusted (anyone can register anything under any
Nid): a commit that is malformed, whose signature does not recover, or that
is signed by someone other than its committer is not stored and not put in
any ref; the others are fetched all the same and the command exits 14, 12 or
13. A commit signed by a wallet that nothing ties to its committer's profile
(a profile that cannot be found, or names no wallet: the reference tool's own
commits, often) *is* fetched, since it is the chain's real history with a
valid signature, but listed as `untied` and the command exits 15.

Crash safety: trees and commit objects are written first (immutable and
content-addressed, harmless if orphaned), then both refs change together in
one repository transaction. Fetching twice writes nothing the second time.
A fetch holds the push lock, so it never interleaves with a `nit push`
recording what it registered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import ChainClient
from numbers_cli.errors import (
    ExitCode,
    IntegrityError,
    InvalidFormat,
    NetworkError,
    NotFound,
)
from numbers_cli.model.nid import Nid
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.remote_history import RemoteCommit, read_history
from numbers_cli.ops.signatures import worst
from numbers_cli.ops.trees import ObjectSource, tree_of
from numbers_cli.repo.refs import Refs, RemoteEntry
from numbers_cli.repo.repository import Repository

__all__ = ["FetchResult", "Rejected", "fetch", "reconcile"]


@dataclass(frozen=True)
class Rejected:
    """An on-chain commit that was not fetched (or fetched with a warning), and why."""

    index: int
    tx_hash: str
    commit_nid: Nid
    reason: str
    code: ExitCode

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tx": self.tx_hash,
            "commitCid": self.commit_nid,
            "reason": self.reason,
            "exitCode": int(self.code),
        }


@dataclass(frozen=True)
class FetchResult:
    asset: Nid
    network: str
    on_chain: int  # commits the chain lists for the asset
    fetched: int  # of those, the ones whose signature holds (now in the refs)
    state: str  # new | up-to-date | fast-forward | ahead | diverged
    local_only: list[Nid]  # local commits the chain does not have, in order
    stored: list[Nid] = field(default_factory=list)  # commit objects new to the store
    rejected: list[Rejected] = field(default_factory=list)
    untied: list[Rejected] = field(default_factory=list)  # fetched, signer not tied (15)
    head_updated: bool = False
    remote_updated: bool = False
    missing_trees: list[Nid] = field(default_factory=list)  # in no store or remote reached
    invalid_trees: list[Nid] = field(default_factory=list)  # present, but not an AssetTree
    tree_error: str | None = None  # why a remote failed to give a tree, when it did

    @property
    def changed(self) -> bool:
        return bool(self.stored) or self.head_updated or self.remote_updated

    @property
    def exit_code(self) -> ExitCode:
        """0, or the worst failure among the commits left out or fetched untied."""
        return worst(r.code for r in [*self.rejected, *self.untied])

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "network": self.network,
            "onChain": self.on_chain,
            "fetched": self.fetched,
            "state": self.state,
            "changed": self.changed,
            "stored": list(self.stored),
            "headUpdated": self.head_updated,
            "remoteUpdated": self.remote_updated,
            "localOnly": list(self.local_only),
            "rejected": [r.to_json() for r in self.rejected],
            "untied": [r.to_json() for r in self.untied],
            "missingTrees": list(self.missing_trees),
            "invalidTrees": list(self.invalid_trees),
            "treeError": self.tree_error,
            "exitCode": int(self.exit_code),
        }


def _rejected(c: RemoteCommit) -> Rejected:
    return Rejected(c.index, c.record.tx_hash, c.commit_nid, c.signature.detail, c.signature.code)


def reconcile(local: Sequence[Nid], chain: Sequence[Nid]) -> tuple[str, list[Nid], list[Nid]]:
    """(state, new local history, local-only commits) for a local and a chain history."""
    local, chain = list(local), list(chain)
    if local == chain:
        return "up-to-date", local, []
    if not local:
        return "new", chain, []
    if chain[: len(local)] == local:
        return "fast-forward", chain, []
    if local[: len(chain)] == chain:
        return "ahead", local, local[len(chain) :]
    on_chain = set(chain)
    local_only = [c for c in local if c not in on_chain]
    return "diverged", chain + local_only, local_only


def _bring_trees(
    repo: Repository, commits: Sequence[RemoteCommit], source: ObjectSource | None
) -> tuple[list[Nid], list[Nid], str | None]:
    """Load every fetched commit's AssetTree: (missing, invalid, first remote error).

    Loading goes through `ops.trees`, the one way nit reads a tree: from the
    local store, else through `source` (the configured IPFS remote: what it
    gives is verified against its CID and kept). This is the single place
    where `nit fetch` brings trees. A tree that neither has, or that an
    unreachable remote could not give, is reported, not fatal: the commits and
    refs are fetched all the same, and fetching again brings the trees that
    have become reachable. Runs before the fetch takes the write lock, since
    storing a fetched tree takes it too.
    """
    missing: list[Nid] = []
    invalid: list[Nid] = []
    error: str | None = None
    seen: set[str] = set()
    for remote in commits:
        commit = remote.commit
        if commit is None or commit.tree_cid in seen:
            continue
        seen.add(commit.tree_cid)
        try:
            tree_of(repo, commit, source)
        except NotFound:
            missing.append(commit.tree_cid)
        except (NetworkError, IntegrityError) as exc:  # the remote failed; the store is fine
            missing.append(commit.tree_cid)
            error = error or exc.message
        except InvalidFormat:
            invalid.append(commit.tree_cid)
    return missing, invalid, error


def fetch(
    repo: Repository, client: ChainClient, target: str, *, source: ObjectSource | None = None
) -> FetchResult:
    """Fetch the on-chain history of the asset `target` (a Nid or tracked file).

    `source` (`ops.blocks.source_for`) is where trees missing locally are
    fetched from; None: the local store only.
    """
    asset = repo.resolve_asset(target)
    # The push lock keeps a push from recording commits in refs/remotes between
    # this read of the chain and the write below, which would lose its records.
    with repo.push_lock():
        return _fetch(repo, client, asset, source)


def _fetch(
    repo: Repository, client: ChainClient, asset: Nid, source: ObjectSource | None
) -> FetchResult:
    network = client.network.name
    history = read_history(client, asset, repo=repo, profiles=Profiles(repo, source))
    if not history and not repo.refs.history(asset):
        raise NotFound(
            f"no commits of {asset} on {network}, and none here",
            hint="check the Nid, or pick the chain with --network",
        )
    good = [c for c in history if c.signature.ok or c.signature.code == ExitCode.VERIFY_UNTIED]
    rejected = [_rejected(c) for c in history if c not in good]
    untied = [_rejected(c) for c in good if not c.signature.ok]
    missing, invalid, tree_error = _bring_trees(repo, good, source)
    chain = [c.commit_nid for c in good]
    entries = [RemoteEntry(c.commit_nid, c.record.tx_hash, c.record.block_number) for c in good]
    stored: list[Nid] = []
    with repo.transaction() as txn:
        for commit in good:  # objects first: refs below never name a missing object
            if repo.objects.has(commit.commit_nid):
                continue
            nid = repo.objects.put(commit.data)
            if nid != commit.commit_nid:  # pragma: no cover - one hash function, two callers
                raise IntegrityError(f"commit stored as {nid}, expected {commit.commit_nid}")
            stored.append(nid)
        local = txn.history(asset)
        state, heads, local_only = reconcile(local, chain)
        head_updated = heads != local
        if head_updated:
            txn.set_ref(Refs.head_rel(asset), Refs.render_history(heads))
        remote_updated = repo.refs.remote_history(network, asset) != entries
        if remote_updated:
            txn.set_ref(
                Refs.remote_rel(network, asset), Refs.render_remote(entries) if entries else None
            )
    if remote_updated:  # stamp (issue 14): a re-made batch record's network, now known
        from numbers_cli.ops.stamp.settle import settle_recorded

        settle_recorded(repo)
    return FetchResult(
        asset=asset,
        network=network,
        on_chain=len(history),
        fetched=len(good),
        state=state,
        local_only=local_only,
        stored=stored,
        rejected=rejected,
        untied=untied,
        head_updated=head_updated,
        remote_updated=remote_updated,
        missing_trees=missing,
        invalid_trees=invalid,
        tree_error=tree_error,
    )
