"""The documents of a stamp batch: the manifest (the batch asset's file) and the
inclusion proof of each artifact (docs/formats.md, "Stamp batches").

A batch anchors many artifacts with one registration. Each artifact has its
own asset, tree and signed commit; its leaf is the pair (artifact sha256,
commit sha256) as two `bytes32`, in an OpenZeppelin StandardMerkleTree
(`model.merkle`). The commit's sha256 is the digest inside its raw Nid, so
a leaf ties the bytes of the artifact to the signed record that describes
them. The manifest lists every artifact in leaf order with the root; the
batch's own tree (signed by its commit, which is what goes on chain) carries
the root again under `custom.stampBatch`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import InvalidFormat
from numbers_cli.model import json_input, merkle
from numbers_cli.model.nid import RAW_PREFIX, Nid

__all__ = [
    "BATCH_FORMAT",
    "BATCH_MIME",
    "PROOF_FORMAT",
    "BatchManifest",
    "InclusionProof",
    "StampedArtifact",
    "batch_tree_fields",
    "commit_digest",
]

BATCH_FORMAT = "nit-stamp-batch/v1"
PROOF_FORMAT = "nit-stamp-proof/v1"
#: encodingFormat of a batch asset (the manifest file).
BATCH_MIME = "application/vnd.nit.stamp-batch+json"


def commit_digest(commit: str) -> bytes:
    """The sha256 of a commit's bytes, read from its raw Nid (every commit is one raw block)."""
    raw = Nid(commit).to_bytes()
    if len(raw) != 36 or raw[:4] != RAW_PREFIX:
        raise InvalidFormat(f"{commit} is not the Nid of a commit (a raw sha2-256 block)")
    return raw[4:]


def _hex64(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise InvalidFormat(f"{what} must be 64 hex digits")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise InvalidFormat(f"{what} must be 64 hex digits") from None
    return value.lower()


@dataclass(frozen=True)
class StampedArtifact:
    """One artifact of a batch, as the manifest lists it."""

    name: str
    nid: Nid
    sha256: str  # lower-case hex of the artifact's bytes
    size: int
    commit: Nid

    def leaf_value(self) -> tuple[bytes, bytes]:
        return bytes.fromhex(self.sha256), commit_digest(self.commit)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "nid": self.nid,
            "sha256": self.sha256,
            "size": self.size,
            "commit": self.commit,
        }

    @classmethod
    def from_json(cls, data: Any) -> StampedArtifact:
        if not isinstance(data, dict):
            raise InvalidFormat("a stamped artifact must be a JSON object")
        try:
            size = data["size"]
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise InvalidFormat("artifact size must be a non-negative integer")
            return cls(
                name=str(data["name"]),
                nid=Nid(str(data["nid"])),
                sha256=_hex64(data["sha256"], "artifact sha256"),
                size=size,
                commit=Nid(str(data["commit"])),
            )
        except KeyError as exc:
            raise InvalidFormat(f"stamped artifact lacks {exc.args[0]!r}") from None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _load(data: bytes, what: str, fmt: str) -> dict[str, Any]:
    try:
        value = json_input.loads(data)
    except ValueError as exc:
        raise InvalidFormat(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict) or value.get("format") != fmt:
        raise InvalidFormat(f"{what} is not a {fmt} document")
    return value


@dataclass(frozen=True)
class BatchManifest:
    """The batch asset's file: its artifacts in leaf order, the tree layout and root."""

    root: bytes
    created: int
    build: dict[str, str]
    artifacts: tuple[StampedArtifact, ...]

    @classmethod
    def of(
        cls, artifacts: Sequence[StampedArtifact], created: int, build: dict[str, str]
    ) -> tuple[BatchManifest, merkle.MerkleTree]:
        tree = merkle.MerkleTree.of([a.leaf_value() for a in artifacts])
        return cls(tree.root, created, dict(build), tuple(artifacts)), tree

    def to_bytes(self) -> bytes:
        return _dumps(
            {
                "format": BATCH_FORMAT,
                "merkleTree": {
                    "format": merkle.FORMAT,
                    "leafEncoding": list(merkle.LEAF_ENCODING),
                    "root": merkle.to_hex(self.root),
                },
                "created": self.created,
                "build": self.build,
                "artifacts": [a.to_json() for a in self.artifacts],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BatchManifest:
        """Parse a manifest and check that its artifacts make its root."""
        value = _load(data, "batch manifest", BATCH_FORMAT)
        layout = value.get("merkleTree")
        if not isinstance(layout, dict) or layout.get("format") != merkle.FORMAT:
            raise InvalidFormat(f"batch manifest tree is not {merkle.FORMAT}")
        if tuple(layout.get("leafEncoding") or ()) != merkle.LEAF_ENCODING:
            raise InvalidFormat("batch manifest leaf encoding is not bytes32, bytes32")
        artifacts = value.get("artifacts")
        if not isinstance(artifacts, list) or not artifacts:
            raise InvalidFormat("batch manifest lists no artifacts")
        build = value.get("build") or {}
        created = value.get("created")
        if not isinstance(build, dict) or not isinstance(created, int):
            raise InvalidFormat("batch manifest has a malformed build or created field")
        manifest, tree = cls.of([StampedArtifact.from_json(a) for a in artifacts], created, build)
        if tree.root != merkle.from_hex(layout.get("root"), "Merkle root"):
            raise InvalidFormat("batch manifest root is not the root of its artifacts")
        return manifest

    def root_hex(self) -> str:
        return merkle.to_hex(self.root)


def batch_tree_fields(root: bytes, leaves: int) -> dict[str, Any]:
    """`custom.stampBatch` of a batch's AssetTree: what its signature vouches for."""
    return {
        "format": BATCH_FORMAT,
        "merkleTree": merkle.FORMAT,
        "leafEncoding": list(merkle.LEAF_ENCODING),
        "root": merkle.to_hex(root),
        "leaves": leaves,
    }


@dataclass(frozen=True)
class InclusionProof:
    """What proves one artifact is in a batch, stored per artifact in the repository.

    Self-contained for the Merkle part: leaf value, proof and root; the batch
    Nid says which signed, registered batch claims that root.
    """

    batch: Nid
    root: bytes
    leaf_index: int  # position in the manifest, 0-based
    leaves: int
    artifact: StampedArtifact
    proof: tuple[bytes, ...]

    def leads_to_root(self) -> bool:
        """The artifact's leaf, hashed up through the proof, gives the root."""
        return merkle.verify_proof(self.root, self.artifact.leaf_value(), self.proof)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PROOF_FORMAT,
            "batch": self.batch,
            "merkleTree": merkle.FORMAT,
            "leafEncoding": list(merkle.LEAF_ENCODING),
            "root": merkle.to_hex(self.root),
            "leafIndex": self.leaf_index,
            "leaves": self.leaves,
            "artifact": self.artifact.to_json(),
            "leaf": [merkle.to_hex(word) for word in self.artifact.leaf_value()],
            "proof": [merkle.to_hex(node) for node in self.proof],
        }

    def to_bytes(self) -> bytes:
        return _dumps(self.to_json())

    @classmethod
    def from_json(cls, value: Any) -> InclusionProof:
        if not isinstance(value, dict) or value.get("format") != PROOF_FORMAT:
            raise InvalidFormat(f"not a {PROOF_FORMAT} document")
        if value.get("merkleTree") != merkle.FORMAT:
            raise InvalidFormat(f"inclusion proof tree is not {merkle.FORMAT}")
        index, leaves, proof = value.get("leafIndex"), value.get("leaves"), value.get("proof")
        if not (isinstance(index, int) and isinstance(leaves, int) and 0 <= index < leaves):
            raise InvalidFormat("inclusion proof has a malformed leafIndex or leaves")
        if not isinstance(proof, list):
            raise InvalidFormat("inclusion proof has no proof list")
        return cls(
            batch=Nid(str(value.get("batch"))),
            root=merkle.from_hex(value.get("root"), "Merkle root"),
            leaf_index=index,
            leaves=leaves,
            artifact=StampedArtifact.from_json(value.get("artifact")),
            proof=tuple(merkle.from_hex(node, "proof node") for node in proof),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> InclusionProof:
        return cls.from_json(_load(data, "inclusion proof", PROOF_FORMAT))
