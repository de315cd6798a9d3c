"""What `nit trace` finds: assets, their versions and verdicts, and lineage edges.

Plain data, ready for every view (terminal tree, JSON, DOT, Mermaid, HTML).
The JSON form is versioned (`schemaVersion`, docs/formats.md "Trace JSON"):
scripts may rely on it, so a change that removes or renames a field bumps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import ExitCode
from numbers_cli.model.names import json_path

SCHEMA_VERSION = 1


#: The tree fields every node shows, as the spec names them.
SHOWN_FIELDS = (
    "encodingFormat",
    "assetCreator",
    "creatorWallet",
    "assetTimestampCreated",
    "license",
    "generatedBy",
    "generatedThrough",
    "digitalSourceType",
    "nftRecord",
    "abstract",
)


@dataclass
class Version:
    """One commit of an asset, where it lives, and whether it holds."""

    commit: str  # commit Nid
    index: int  # position: in chain order when on chain, else after the chain's
    action: str | None
    timestamp: int | None
    committer: str | None
    signer: str | None
    verdict: str  # ok | bad-signature | wrong-signer | untied | malformed | bad-tree | unreadable
    detail: str
    code: ExitCode
    local: bool  # in refs/heads of this repository
    chain: dict[str, Any] | None  # {"block", "tx", "index"} when on the chain asked
    tree: str | None  # assetTreeCid
    tree_where: str  # local | ipfs | missing
    abstract: str | None = None
    #: The parentAssetCid this version's tree names (None: no parent, or the tree
    #: was not read intact). Lineage counts every version: an edit may gain,
    #: change or drop its parent from one version to the next.
    parent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "index": self.index,
            "action": self.action,
            "timestamp": self.timestamp,
            "committer": self.committer,
            "signer": self.signer,
            "verdict": self.verdict,
            "detail": self.detail,
            "exitCode": int(self.code),
            "where": {"local": self.local, "chain": self.chain},
            "tree": self.tree,
            "treeWhere": self.tree_where,
            "abstract": self.abstract,
            "parent": self.parent,
        }


@dataclass
class AssetNode:
    nid: str
    role: str  # subject | ancestor | descendant
    generation: int  # 0 the subject, -1 its parent, +1 its children ...
    name: str | None = None
    parents: list[str] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    local: bool = False  # commits in this repository
    content: str = "missing"  # local | missing: the file's own blocks
    chain: str = "not asked"  # found | none | unreachable | not asked
    chain_detail: str | None = None
    found_by: str = "lineage"  # lineage | local | chain-scan

    @property
    def missing(self) -> bool:
        """Nothing about the asset could be read: no commit anywhere."""
        return not self.versions

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": self.nid,
            "role": self.role,
            "generation": self.generation,
            "name": None if self.name is None else json_path(self.name),
            "parents": self.parents,
            "missing": self.missing,
            "foundBy": self.found_by,
            "where": {"local": self.local, "content": self.content, "chain": self.chain},
            "chainDetail": self.chain_detail,
            "fields": {key: self.fields.get(key) for key in SHOWN_FIELDS},
            "versions": [v.to_json() for v in self.versions],
        }


@dataclass
class Trace:
    subject: str
    network: str | None
    scanned: dict[str, Any] | None = None  # what --scan-chain covered
    nodes: dict[str, AssetNode] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (parent, child)
    _children: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)

    def ordered(self) -> list[AssetNode]:
        """Oldest generation first; within one, in the order found."""
        return sorted(self.nodes.values(), key=lambda n: n.generation)

    def children(self, nid: str) -> list[str]:
        """The children of `nid` in edge order (an index built once: views ask per node)."""
        if self._children is None or self._indexed != len(self.edges):
            self._children, self._indexed = {}, len(self.edges)
            for parent, child in self.edges:
                self._children.setdefault(parent, []).append(child)
        return list(self._children.get(nid, ()))

    def naming(self, parent: str, child: str) -> list[int]:
        """Indexes of the child's versions whose tree names `parent` (the edge's evidence)."""
        node = self.nodes.get(child)
        return [v.index for v in node.versions if v.parent == parent] if node else []

    @property
    def bad_versions(self) -> list[tuple[AssetNode, Version]]:
        return [(n, v) for n in self.nodes.values() for v in n.versions if v.verdict != "ok"]

    @property
    def exit_code(self) -> ExitCode:
        from numbers_cli.ops.signatures import worst  # the order `nit verify` reports in

        return worst(v.code for _, v in self.bad_versions)

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "subject": self.subject,
            "network": self.network,
            "scan": self.scanned,
            "ok": not self.bad_versions,
            "exitCode": int(self.exit_code),
            "nodes": [n.to_json() for n in self.ordered()],
            "edges": [
                {"parent": p, "child": c, "versions": self.naming(p, c)} for p, c in self.edges
            ],
        }
