"""`nit trace`: gather an asset's whole provenance into a Trace.

- History: the local commits (refs/heads) and, with a chain client, the
  on-chain ones, read and signature-checked exactly as `nit log --remote`
  does (ops.remote_history.read_history). Each version's tree comes from the
  store, else the IPFS remote (CID recomputed by the adapter), else it is
  shown as missing; its bytes are compared with the signed assetTreeSha256.
- Ancestors: each version's `parentAssetCid`, up to the root.
- Descendants: local assets any of whose versions' trees names a traced
  asset as parent, and with a chain scan (ops.trace.scan) the assets any of
  whose registered trees on chain does. Each version records the parent its
  tree names, so the views say which versions name which parent.

Nothing missing stops the trace: an unreachable chain, a tree nobody has, an
asset no one registered become nodes and versions marked missing. What does
stop it is a lineage that cannot be one (LineageError, exit 17): a cycle of
parents, or a parent that is not a Nid.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import ChainClient, CommitRecord
from numbers_cli.errors import (
    ExitCode,
    IntegrityError,
    InvalidFormat,
    LineageError,
    NetworkError,
    NotFound,
)
from numbers_cli.model.commit import Commit, action_name_for
from numbers_cli.model.nid import Nid
from numbers_cli.ops.remote_history import RemoteCommit, read_history
from numbers_cli.ops.signatures import SignatureCheck, check_signature
from numbers_cli.ops.trace.graph import SHOWN_FIELDS, AssetNode, Trace, Version
from numbers_cli.ops.trace.lineage import check_acyclic, parse_tree
from numbers_cli.ops.trace.local import LocalChildren
from numbers_cli.ops.trace.subject import resolve_subject
from numbers_cli.ops.trees import ObjectSource, read_file
from numbers_cli.repo.index import Index
from numbers_cli.repo.repository import Repository

__all__ = ["ChildFinder", "resolve_subject", "trace"]

_VERDICTS = {
    ExitCode.OK: "ok",
    ExitCode.VERIFY_SIGNATURE: "bad-signature",
    ExitCode.VERIFY_SIGNER: "wrong-signer",
    ExitCode.VERIFY_UNTIED: "untied",
    ExitCode.VERIFY_MALFORMED: "malformed",
}


class ChildFinder:
    """Where descendants come from besides the local repository (a chain scan)."""

    def children(self, nid: str) -> list[str]:  # pragma: no cover - interface
        return []


@dataclass
class _TreeRead:
    tree: dict[str, Any] | None
    where: str  # local | ipfs | missing
    intact: bool  # bytes match the commit's assetTreeSha256


@dataclass
class _Context:
    repo: Repository | None
    client: ChainClient | None
    source: ObjectSource | None
    finder: ChildFinder | None
    profiles: Any = None  # ops.profiles.Profiles: ties profile committers to signers
    trees: dict[str, _TreeRead] = field(default_factory=dict)
    # (getCommits, Commit events) read for a whole generation at once (prefetch)
    histories: dict[str, tuple[list[int], list[CommitRecord]]] = field(default_factory=dict)
    local_children: LocalChildren | None = None
    # commits already read by gather (from the chain or the store), by commit Nid: the
    # local-children pass reuses them instead of reading each one again
    commits: dict[str, Commit] = field(default_factory=dict)

    # -- trees ---------------------------------------------------------------------

    def tree(self, commit: Commit) -> _TreeRead:
        cid = commit.tree_cid
        key = f"{cid}:{commit.get('assetTreeSha256')}"
        if key not in self.trees:
            self.trees[key] = self._read_tree(cid, str(commit.get("assetTreeSha256")))
        return self.trees[key]

    def _read_tree(self, cid: Nid, sha: str) -> _TreeRead:
        data, where = None, "missing"
        if self.repo is not None:
            try:
                data, where = read_file(self.repo, cid), "local"
            except NotFound:
                data = None
            except IntegrityError:  # altered in the store: shown as a tree that fails
                return _TreeRead(None, "local", False)
            if data is None and self.source is not None:
                try:
                    data, where = read_file(self.repo, cid, self.source), "ipfs"
                except (NotFound, IntegrityError, NetworkError):
                    data = None
        if data is None:
            return _TreeRead(None, "missing", False)
        return _TreeRead(parse_tree(data, cid), where, hashlib.sha256(data).hexdigest() == sha)

    # -- versions ------------------------------------------------------------------

    def version(
        self,
        commit_nid: str,
        commit: Commit | None,
        signature: SignatureCheck,
        index: int,
        local: bool,
        chain: dict[str, Any] | None,
    ) -> tuple[Version, dict[str, Any] | None]:
        if commit is None:
            version = Version(
                commit_nid,
                index,
                None,
                None,
                None,
                None,
                "unreadable",
                signature.detail,
                signature.code or ExitCode.VERIFY_SIGNATURE,
                local,
                chain,
                None,
                "missing",
            )
            return version, None
        read = self.tree(commit)
        verdict, detail, code = (
            _VERDICTS.get(signature.code, "bad-signature"),
            signature.detail,
            (signature.code),
        )
        if read.where != "missing" and not read.intact and signature.ok:
            verdict, code = "bad-tree", ExitCode.VERIFY_TREE
            detail = "tree bytes do not match the commit's assetTreeSha256 or CID"
        elif read.tree is None and signature.ok:
            detail += "; tree missing (not local, not on the IPFS remote)"
        version = Version(
            commit=commit_nid,
            index=index,
            action=str(commit.get("actionName") or action_name_for(commit.get("action"))),
            timestamp=commit.get("timestampCreated"),
            committer=commit.get("committer"),
            signer=signature.signer,
            verdict=verdict,
            detail=detail,
            code=code,
            local=local,
            chain=chain,
            tree=str(commit.tree_cid),
            tree_where=read.where,
            abstract=commit.get("abstract"),
        )
        self.commits[commit_nid] = commit
        tree = read.tree if read.intact else None
        if tree is not None and tree.get("parentAssetCid"):
            version.parent = str(tree["parentAssetCid"])
        return version, tree

    def chain_history(self, nid: str, node: AssetNode) -> list[RemoteCommit]:
        if self.client is None:
            return []
        blocks, records = self.histories.pop(nid, (None, None))
        try:
            history = read_history(
                self.client,
                Nid(nid),
                repo=self.repo,
                blocks=blocks,
                records=records,
                profiles=self.profiles,
            )
        except NetworkError as exc:
            node.chain, node.chain_detail = "unreachable", exc.message
            return []
        node.chain = "found" if history else "none"
        return history

    def prefetch(self, nids: list[str]) -> None:
        """The chain reads of a whole generation in two batched round trips, not two per
        asset. An asset left out (its reads failed) is read alone by chain_history,
        which then says what failed."""
        wanted = [n for n in nids if n not in self.histories]
        if self.client is None or len(wanted) < 2:
            return
        with contextlib.suppress(NetworkError):
            self.histories.update(self.client.commit_histories(wanted))

    def gather(self, nid: str, role: str, generation: int, found_by: str) -> AssetNode:
        node = AssetNode(nid, role, generation, found_by=found_by)
        repo = self.repo
        local = repo.refs.history(nid) if repo is not None else []
        if repo is not None:
            node.local = bool(local)
            node.content = "local" if repo.objects.has(Nid(nid)) else "missing"
            node.name = Index.tracked_path(repo.db, nid)
        trees: list[dict[str, Any]] = []
        on_chain = set()
        for remote in self.chain_history(nid, node):
            on_chain.add(remote.commit_nid)
            where = {
                "block": remote.record.block_number,
                "tx": remote.record.tx_hash,
                "index": remote.index,
            }
            version, tree = self.version(
                remote.commit_nid,
                remote.commit,
                remote.signature,
                remote.index,
                remote.local,
                where,
            )
            node.versions.append(version)
            if tree is not None:
                trees.append(tree)
        offset = len(node.versions)
        for i, commit_nid in enumerate(c for c in local if c not in on_chain):
            commit, signature = _local_commit(repo, commit_nid, profiles=self.profiles)
            version, tree = self.version(commit_nid, commit, signature, offset + i, True, None)
            node.versions.append(version)
            if tree is not None:
                trees.append(tree)
        if trees:
            latest = trees[-1]
            node.fields = {key: latest.get(key) for key in SHOWN_FIELDS if key in latest}
        node.parents = list(
            dict.fromkeys(str(t["parentAssetCid"]) for t in trees if t.get("parentAssetCid"))
        )
        return node

    # -- descendants ---------------------------------------------------------------

    def children(self, nid: str) -> Iterator[tuple[str, str]]:
        """(child, how it was found) of `nid`: the local repository, then a chain scan."""
        if self.local_children is None and self.repo is not None:
            self.local_children = LocalChildren(self.repo, self.parent_of)
        if self.local_children is not None:
            for child in self.local_children.children(nid):
                yield child, "local"
        if self.finder is not None:
            for child in self.finder.children(nid):
                yield child, "chain-scan"

    def parent_of(self, commit_nid: str) -> tuple[str | None, str]:
        """The parentAssetCid a local commit's tree names, for the lineage index.

        Every version counts, as it does for ancestors: an edit registered first
        without a parent, or whose later version names another one, is still a
        child of each asset any of its trees names. Commits and trees gather has
        already read (the traced assets') are not read again.
        """
        commit = self.commits.get(commit_nid)
        if commit is None:
            commit, _ = _local_commit(self.repo, commit_nid, check=False)
            if commit is None:
                return None, "unknown"
        try:
            read = self.tree(commit)
        except LineageError:  # not a Nid: nobody's child (its own trace says so)
            return None, "bad-parent"
        if read.tree is None:
            return None, "unknown"
        parent = read.tree.get("parentAssetCid")
        return (str(parent) if parent else None), "read"


def _local_commit(
    repo: Repository | None, commit_nid: str, check: bool = True, profiles: Any = None
) -> tuple[Commit | None, SignatureCheck]:
    assert repo is not None
    try:
        commit = Commit.from_json(repo.objects.get(Nid(commit_nid)))
    except InvalidFormat as exc:
        return None, SignatureCheck(False, None, exc.message, ExitCode.VERIFY_MALFORMED)
    except (NotFound, IntegrityError) as exc:
        return None, SignatureCheck(False, None, exc.message, ExitCode.VERIFY_SIGNATURE)
    if not check:
        return commit, SignatureCheck(True, None, "")
    return commit, check_signature(commit, profiles)


def trace(
    repo: Repository | None,
    target: str,
    *,
    client: ChainClient | None = None,
    source: ObjectSource | None = None,
    finder: ChildFinder | None = None,
    scanned: dict[str, Any] | None = None,
) -> Trace:
    """The whole provenance of the asset `target` names; see the module docstring."""
    from numbers_cli.ops.profiles import Profiles

    subject = resolve_subject(repo, target)
    ctx = _Context(repo, client, source, finder, Profiles(repo, source))
    result = Trace(subject, client.network.name if client else None, scanned)
    edges: dict[tuple[str, str], None] = {}
    root = ctx.gather(subject, "subject", 0, "target")
    result.nodes[subject] = root

    # Ancestors, generation by generation.
    frontier = [root]
    while frontier:
        upper: list[AssetNode] = []
        for node in frontier:
            for parent in node.parents:
                edges[(parent, node.nid)] = None
                if parent in result.nodes:
                    continue
                found = ctx.gather(parent, "ancestor", node.generation - 1, "lineage")
                result.nodes[parent] = found
                upper.append(found)
        frontier = upper

    # Descendants of the subject, a generation at a time (its chain reads batched).
    generation = [root]
    while generation:
        found_here: dict[str, tuple[AssetNode, str]] = {}  # child → (first parent, how)
        for node in generation:
            for child, how in ctx.children(node.nid):
                edges[(node.nid, child)] = None
                if child not in result.nodes and child not in found_here:
                    found_here[child] = (node, how)
        ctx.prefetch(list(found_here))
        generation = []
        for child, (parent_node, how) in found_here.items():
            found = ctx.gather(child, "descendant", parent_node.generation + 1, how)
            result.nodes[child] = found
            generation.append(found)
            for parent in found.parents:  # a second parent already in the graph
                if parent in result.nodes:
                    edges[(parent, child)] = None
    result.edges = list(edges)
    check_acyclic(result)
    return result
