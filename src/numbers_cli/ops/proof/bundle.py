"""The proof bundle file: one JSON document, read and written here only.

Layout (docs/formats.md, "Proof bundle"):

    {"format": "nit-proof-bundle", "version": 1,
     "asset": NID,
     "network": {"name", "chainId", "register"},
     "content": {"nid", "sha256", "size", "blocks": {CID: base64}}   # blocks absent: --no-content
     "objects": {CID: base64},         # trees and commits, every byte as stored
     "commits": [{"index", "commit", "tree", "block", "blockHash", "txHash",
                  "txIndex", "tx", "receipt", "txProof": [hex], "receiptProof": [hex]}],
     "headers": {BLOCK_HASH: hex}}     # RLP headers

JSON rather than a CAR: every part is named, so a person can read what is
proven and a verifier in any language needs a JSON parser and nothing of
IPFS; blocks are base64 and chain data 0x-hex, as their own tools write them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.errors import ProofError
from numbers_cli.model import json_input

FORMAT = "nit-proof-bundle"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "Bundle", "ChainEvidence", "load_bundle"]


@dataclass
class ChainEvidence:
    """Where one commit is on chain, and the evidence for it."""

    index: int  # the commit's position in the asset's on-chain history
    commit: str  # commit Nid
    tree: str  # assetTreeCid
    block: int
    block_hash: str
    tx_hash: str
    tx_index: int
    tx: bytes  # the signed transaction (EIP-2718)
    receipt: bytes  # consensus-encoded receipt
    tx_proof: list[bytes]
    receipt_proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "commit": self.commit,
            "tree": self.tree,
            "block": self.block,
            "blockHash": self.block_hash,
            "txHash": self.tx_hash,
            "txIndex": self.tx_index,
            "tx": "0x" + self.tx.hex(),
            "receipt": "0x" + self.receipt.hex(),
            "txProof": ["0x" + node.hex() for node in self.tx_proof],
            "receiptProof": ["0x" + node.hex() for node in self.receipt_proof],
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> ChainEvidence:
        if not isinstance(value, dict):
            raise ProofError(f"{where} is not an object")
        return cls(
            index=_int(value, "index", where),
            commit=_str(value, "commit", where),
            tree=_str(value, "tree", where),
            block=_int(value, "block", where),
            block_hash=_str(value, "blockHash", where).lower(),
            tx_hash=_str(value, "txHash", where).lower(),
            tx_index=_int(value, "txIndex", where),
            tx=_hexbytes(value.get("tx"), f"{where}.tx"),
            receipt=_hexbytes(value.get("receipt"), f"{where}.receipt"),
            tx_proof=_hexlist(value.get("txProof"), f"{where}.txProof"),
            receipt_proof=_hexlist(value.get("receiptProof"), f"{where}.receiptProof"),
        )


@dataclass
class Bundle:
    asset: str
    network: dict[str, Any]
    content: dict[str, Any]
    objects: dict[str, bytes] = field(default_factory=dict)
    content_blocks: dict[str, bytes] | None = None
    commits: list[ChainEvidence] = field(default_factory=list)
    headers: dict[str, bytes] = field(default_factory=dict)

    @property
    def register(self) -> str:
        return str(self.network.get("register", ""))

    def to_json(self) -> dict[str, Any]:
        content = dict(self.content)
        if self.content_blocks is not None:
            content["blocks"] = {cid: _b64(data) for cid, data in self.content_blocks.items()}
        return {
            "format": FORMAT,
            "version": VERSION,
            "asset": self.asset,
            "network": self.network,
            "content": content,
            "objects": {cid: _b64(data) for cid, data in self.objects.items()},
            "commits": [c.to_json() for c in self.commits],
            "headers": {h: "0x" + data.hex() for h, data in self.headers.items()},
        }

    def write(self, path: Path) -> None:
        from numbers_cli.fsio import atomic_write

        text = json.dumps(self.to_json(), indent=1, sort_keys=False)
        atomic_write(path, text.encode("utf-8") + b"\n")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _str(value: dict[str, Any], key: str, where: str) -> str:
    got = value.get(key)
    if not isinstance(got, str) or not got:
        raise ProofError(f"{where}.{key} is missing or not a string")
    return got


def _int(value: dict[str, Any], key: str, where: str) -> int:
    got = value.get(key)
    if not isinstance(got, int) or isinstance(got, bool) or got < 0:
        raise ProofError(f"{where}.{key} is missing or not a non-negative integer")
    return got


def _hexbytes(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ProofError(f"{where} is missing or not 0x-hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ProofError(f"{where} is not valid hex") from None


def _hexlist(value: Any, where: str) -> list[bytes]:
    if not isinstance(value, list) or not value:
        raise ProofError(f"{where} is missing or empty")
    return [_hexbytes(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _b64map(value: Any, where: str) -> dict[str, bytes]:
    if not isinstance(value, dict):
        raise ProofError(f"{where} is missing or not an object")
    out: dict[str, bytes] = {}
    for cid, text in value.items():
        if not isinstance(text, str):
            raise ProofError(f"{where}.{cid} is not base64 text")
        try:
            out[cid] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ProofError(f"{where}.{cid} is not valid base64") from None
    return out


def load_bundle(path: Path) -> Bundle:
    """Read and shape-check a bundle; ProofError (one line) for anything that is not one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProofError(f"{path}: no such bundle file") from None
    except IsADirectoryError:
        raise ProofError(f"{path} is a directory, not a proof bundle") from None
    try:
        value = json_input.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if FORMAT.encode() in raw[:200]:
            raise ProofError(f"{path} is a truncated or damaged proof bundle ({exc})") from None
        raise ProofError(f"{path} is not a proof bundle (not JSON)") from None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise ProofError(f'{path} is not a proof bundle (no "format": "{FORMAT}")')
    version = value.get("version")
    if version != VERSION:
        raise ProofError(
            f"{path} is a proof bundle of version {version!r}; this nit reads version {VERSION}",
            hint="a newer nit may read it",
        )
    network = value.get("network")
    if not isinstance(network, dict) or not isinstance(network.get("register"), str):
        raise ProofError("bundle network is missing or names no register address")
    content = value.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("nid"), str):
        raise ProofError("bundle content is missing or names no Nid")
    commits_json = value.get("commits")
    if not isinstance(commits_json, list) or not commits_json:
        raise ProofError("bundle holds no commits")
    headers_json = value.get("headers")
    if not isinstance(headers_json, dict):
        raise ProofError("bundle headers are missing")
    bundle = Bundle(
        asset=_str(value, "asset", "bundle"),
        network=network,
        content={k: v for k, v in content.items() if k != "blocks"},
        objects=_b64map(value.get("objects"), "objects"),
        content_blocks=(
            _b64map(content["blocks"], "content.blocks") if "blocks" in content else None
        ),
        commits=[
            ChainEvidence.from_json(item, f"commits[{i}]") for i, item in enumerate(commits_json)
        ],
        headers={
            str(h).lower(): _hexbytes(data, f"headers.{h}") for h, data in headers_json.items()
        },
    )
    return bundle
