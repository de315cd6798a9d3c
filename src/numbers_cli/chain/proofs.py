"""Block headers, receipts and Merkle-Patricia proofs: evidence a verifier checks offline.

A proof bundle (ops/proof.py) proves that a commit is on chain without any RPC:
the block header hashes to a block hash the verifier trusts, and two trie
proofs lead from the header's `transactionsRoot` and `receiptsRoot` to the
signed transaction and its receipt. Everything here is pure (bytes in, bytes
out) and built on kept libraries: `rlp` for encoding, `trie` (py-trie's
HexaryTrie) for the tries and proofs, `eth-hash` for keccak256.

Header fields follow the execution-layer header as each hardfork extends it
(London `baseFeePerGas`, Shanghai `withdrawalsRoot`, Cancun `blobGasUsed`,
`excessBlobGas`, `parentBeaconBlockRoot`, Prague `requestsHash`): a node's
JSON-RPC block shows exactly the fields its fork has (the others are null or
absent), so the header is the fixed fields plus the present optional ones,
in order. The bundle keeps the encoded header, so verifying needs no fork
table at all: keccak256(header) is the block hash, and the roots sit at fixed
positions 4 and 5 of every fork's header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from numbers_cli.errors import InvalidFormat

__all__ = [
    "HeaderRoots",
    "IndexTrie",
    "TrieProof",
    "decode_header",
    "encode_header",
    "encode_receipt",
    "keccak",
    "prove_index",
    "read_proof",
]

# (JSON-RPC name, kind): the fields every header since Frontier has, in order.
_FIXED = (
    ("parentHash", "bytes"),
    ("sha3Uncles", "bytes"),
    ("miner", "bytes"),
    ("stateRoot", "bytes"),
    ("transactionsRoot", "bytes"),
    ("receiptsRoot", "bytes"),
    ("logsBloom", "bytes"),
    ("difficulty", "int"),
    ("number", "int"),
    ("gasLimit", "int"),
    ("gasUsed", "int"),
    ("timestamp", "int"),
    ("extraData", "bytes"),
    ("mixHash", "bytes"),
    ("nonce", "bytes"),
)
# Fields hardforks appended, in the order they extend the header.
_OPTIONAL = (
    ("baseFeePerGas", "int"),  # London (EIP-1559)
    ("withdrawalsRoot", "bytes"),  # Shanghai (EIP-4895)
    ("blobGasUsed", "int"),  # Cancun (EIP-4844)
    ("excessBlobGas", "int"),  # Cancun (EIP-4844)
    ("parentBeaconBlockRoot", "bytes"),  # Cancun (EIP-4788)
    ("requestsHash", "bytes"),  # Prague (EIP-7685)
)


def keccak(data: bytes) -> bytes:
    """Keccak-256 through eth-hash's pysha3 backend (safe-pysha3, a dependency already).

    Not `eth_hash.auto`: it picks pycryptodome first, whose import parses C
    declarations with pycparser (30 ms of an offline `nit proof verify`).
    """
    from eth_hash.backends.pysha3 import keccak256

    return keccak256(data)


def _field(block: dict[str, Any], name: str, kind: str) -> Any:
    value = block.get(name)
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InvalidFormat(f"block header field {name} is missing or not 0x-hex: {value!r:.40}")
    try:
        if kind == "int":
            return int(value, 16)
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidFormat(f"block header field {name} is not hex: {value!r:.40}") from None


def encode_header(block: dict[str, Any]) -> bytes:
    """The RLP header of a JSON-RPC block (eth_getBlockByNumber), as its hash covers it.

    Optional fields are taken while present; one present after an absent one
    is a header no fork defines (InvalidFormat).
    """
    import rlp

    items = [_field(block, name, kind) for name, kind in _FIXED]
    absent: str | None = None
    for name, kind in _OPTIONAL:
        if block.get(name) is None:
            absent = absent or name
            continue
        if absent is not None:
            raise InvalidFormat(f"block header has {name} but not {absent}: no fork defines that")
        items.append(_field(block, name, kind))
    return bytes(rlp.encode(items))


@dataclass(frozen=True)
class HeaderRoots:
    """What a verifier reads from an encoded header."""

    number: int
    transactions_root: bytes
    receipts_root: bytes
    timestamp: int


def _refuse_nested_fields(header: bytes) -> None:
    """A header is one RLP list of byte strings: a field that is itself a list is
    refused here, by walking the outer list's item prefixes without recursion.
    pyrlp decodes nested lists by recursion, and a process where py_ecc raised
    the recursion limit (eth-account's import) would overflow the C stack on a
    hostile file before any RecursionError. Malformed lengths are left to pyrlp."""
    if not header or header[0] < 0xC0:
        return
    if header[0] <= 0xF7:
        at, end = 1, 1 + header[0] - 0xC0
    else:
        size = header[0] - 0xF7
        at = 1 + size
        end = at + int.from_bytes(header[1:at], "big")
    end = min(end, len(header))
    while at < end:
        prefix = header[at]
        if prefix >= 0xC0:
            raise InvalidFormat("block header fields must be byte strings, not nested lists")
        if prefix < 0x80:
            at += 1
        elif prefix <= 0xB7:
            at += 1 + prefix - 0x80
        else:
            size = prefix - 0xB7
            at += 1 + size + int.from_bytes(header[at + 1 : at + 1 + size], "big")


def decode_header(header: bytes) -> HeaderRoots:
    """Number, roots and time of an RLP header (any fork: the positions never moved)."""
    import rlp

    _refuse_nested_fields(header)
    try:
        items = rlp.decode(header)
    except rlp.exceptions.DecodingError as exc:
        raise InvalidFormat(f"block header is not RLP: {exc}") from None
    except RecursionError:  # pyrlp decodes nested lists by recursion; a header is flat
        raise InvalidFormat("block header is not RLP: lists nested too deep") from None
    if not isinstance(items, list) or len(items) < len(_FIXED):
        raise InvalidFormat("block header has too few fields")
    if any(not isinstance(item, bytes) for item in items):
        raise InvalidFormat("block header fields must be byte strings")
    return HeaderRoots(
        number=int.from_bytes(items[8], "big"),
        transactions_root=items[4],
        receipts_root=items[5],
        timestamp=int.from_bytes(items[11], "big"),
    )


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InvalidFormat(f"receipt {what} is missing or not 0x-hex")
    return bytes.fromhex(value[2:])


def encode_receipt(receipt: dict[str, Any]) -> bytes:
    """The consensus encoding of a JSON-RPC receipt: the leaf of the receipts trie.

    `rlp([status, cumulativeGasUsed, logsBloom, logs])`, prefixed with the type
    byte for typed transactions (EIP-2718: 1 access list, 2 dynamic fee, 3 blob,
    4 set code; one encoding for all of them).
    """
    import rlp

    try:
        if receipt.get("status") is not None:
            first: Any = int(receipt["status"], 16)
        else:  # pre-Byzantium receipts hold the state root instead
            first = _hex(receipt.get("root"), "root")
        logs = [
            [
                _hex(log["address"], "log address"),
                [_hex(topic, "log topic") for topic in log["topics"]],
                _hex(log["data"], "log data"),
            ]
            for log in receipt["logs"]
        ]
        body = rlp.encode(
            [
                first,
                int(receipt["cumulativeGasUsed"], 16),
                _hex(receipt["logsBloom"], "logsBloom"),
                logs,
            ]
        )
        kind = int(receipt.get("type") or "0x0", 16)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidFormat(f"malformed receipt: {exc}") from None
    return bytes(body) if kind == 0 else bytes([kind]) + bytes(body)


def _trie_key(index: int) -> bytes:
    import rlp

    return bytes(rlp.encode(index))


@dataclass(frozen=True)
class TrieProof:
    """The trie of a block's transactions or receipts, and one leaf's proof."""

    root: bytes
    nodes: list[bytes]  # RLP of each node on the path, root first


class IndexTrie:
    """The trie `rlp(i) -> leaves[i]` of a block's transactions or receipts, built once
    and asked for as many proofs as the block holds commits."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        from trie import HexaryTrie

        self._trie = HexaryTrie({})
        with self._trie.squash_changes() as batch:
            for i, leaf in enumerate(leaves):
                batch[_trie_key(i)] = leaf

    @property
    def root(self) -> bytes:
        return bytes(self._trie.root_hash)

    def prove(self, index: int) -> TrieProof:
        """The proof of leaf `index` (of its absence, past the last leaf)."""
        import rlp

        proof = self._trie.get_proof(_trie_key(index))
        return TrieProof(self.root, [bytes(rlp.encode(node)) for node in proof])


def prove_index(leaves: Sequence[bytes], index: int) -> TrieProof:
    """Build the trie `rlp(i) -> leaves[i]` and prove leaf `index`."""
    return IndexTrie(leaves).prove(index)


@lru_cache(maxsize=4096)
def _checked_node(node: bytes) -> bytes:
    """keccak256 of `node` once it decodes as a trie node (ValueError, DecodingError if not).

    Cached by the node's bytes: a block's proofs share their root node, and a
    bundle holds several commits of one block.
    """
    import rlp
    from trie.validation import validate_is_node

    validate_is_node(rlp.decode(node))
    return keccak(node)


def read_proof(root: bytes, index: int, nodes: Sequence[bytes]) -> bytes:
    """The leaf at `index` that `nodes` prove under `root`; InvalidFormat if they do not.

    What `HexaryTrie.get_from_proof` does, without its cost: it decodes each
    node, validates it, re-encodes it and hashes that (through eth_hash.auto) to
    fill a node DB. The bundle holds the nodes' RLP bytes already, so the DB here
    is keccak256(node) -> node bytes, every node decoded and validated as a trie
    node as before, and the lookup is py-trie's own traversal from `root` over
    that DB, which holds this proof's nodes and nothing else. A node is reachable
    only through the hash its parent (or the header's root) names, so a missing
    or altered node breaks the path (MissingTrieNode).
    """
    import rlp
    from trie import HexaryTrie
    from trie.exceptions import BadTrieProof, MissingTrieNode

    try:
        db = {_checked_node(bytes(node)): bytes(node) for node in nodes}
        value = HexaryTrie(db, root).get(_trie_key(index))
    except MissingTrieNode as exc:
        raise InvalidFormat(
            f"proof does not lead from the root to leaf {index}: "
            f"missing proof node with hash 0x{bytes(exc.missing_node_hash).hex()}"
        ) from None
    except (BadTrieProof, rlp.exceptions.DecodingError, ValueError, TypeError, KeyError) as exc:
        raise InvalidFormat(f"proof does not lead from the root to leaf {index}: {exc}") from None
    except Exception as exc:  # the trie library raises assorted types on garbage nodes
        raise InvalidFormat(f"proof does not lead from the root to leaf {index}: {exc}") from None
    if not value:
        raise InvalidFormat(f"proof shows no leaf {index} under the root")
    return bytes(value)
