"""OpenZeppelin's StandardMerkleTree ("standard-v1"), the tree `nit stamp` anchors.

Why this layout: it is the one EVM tooling already verifies (OpenZeppelin's
`MerkleProof.verify` in Solidity, `@openzeppelin/merkle-tree` in JavaScript),
it is documented, and its proofs need no left/right flags. The rules, as the
reference implementation (`@openzeppelin/merkle-tree` 1.0.8) has them:

- a leaf is `keccak256(keccak256(abi.encode(leafEncoding, value)))`: hashing
  twice keeps a 64-byte leaf from passing for an inner node;
- an inner node is `keccak256(a ‖ b)` with the pair sorted (`a <= b` as bytes);
- leaves are sorted by hash and laid out at the end of one array of `2n - 1`
  nodes in reverse (`tree[len - 1 - i] = leaves[i]`), parents filled from the
  back: `tree[i] = node(tree[2i + 1], tree[2i + 2])`; the root is `tree[0]`;
- the proof of the leaf at tree index `j` is the siblings from it up to the
  root (`j ± 1`, then the parent `(j - 1) // 2`).

Our leaves are two `bytes32` values (see `model.stamp`), so `abi.encode` is
their concatenation and needs no ABI library. keccak256 is safe-pysha3's C
implementation (what `model.address` uses), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from numbers_cli.errors import InvalidFormat

__all__ = [
    "FORMAT",
    "LEAF_ENCODING",
    "MerkleTree",
    "from_hex",
    "hash_pair",
    "leaf_hash",
    "process_proof",
    "to_hex",
    "verify_proof",
]

#: The dump format name of OpenZeppelin's StandardMerkleTree.
FORMAT = "standard-v1"
#: Solidity types of a leaf value: (artifact sha256, commit sha256).
LEAF_ENCODING: tuple[str, ...] = ("bytes32", "bytes32")


@cache
def _keccak() -> Callable[[bytes], bytes]:
    from sha3 import keccak_256

    def keccak(data: bytes) -> bytes:
        return keccak_256(data).digest()  # type: ignore[no-any-return]

    return keccak


def leaf_hash(value: Sequence[bytes]) -> bytes:
    """The standard leaf of a value of `bytes32` words: keccak256(keccak256(abi.encode(...)))."""
    if not value or any(len(word) != 32 for word in value):
        raise InvalidFormat("a leaf value is a list of 32-byte words")
    keccak = _keccak()
    return keccak(keccak(b"".join(value)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: keccak256 of the two children, smaller first."""
    return _keccak()(a + b if a <= b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to from `leaf` (OpenZeppelin's processProof)."""
    if len(leaf) != 32 or any(len(node) != 32 for node in proof):
        raise InvalidFormat("Merkle leaves and proof nodes are 32 bytes each")
    keccak = _keccak()
    node = leaf
    for sibling in proof:
        node = keccak(node + sibling if node <= sibling else sibling + node)
    return node


def verify_proof(root: bytes, value: Sequence[bytes], proof: Sequence[bytes]) -> bool:
    """Whether `proof` leads from the leaf of `value` to `root` (StandardMerkleTree.verify)."""
    return process_proof(leaf_hash(value), proof) == root


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: `nodes` in OpenZeppelin's array layout, and for each value
    (in the order given) the index of its leaf in that array."""

    nodes: tuple[bytes, ...]
    tree_index: tuple[int, ...]

    @classmethod
    def of(cls, values: Sequence[Sequence[bytes]]) -> MerkleTree:
        """StandardMerkleTree.of(values, leafEncoding) with its default sortLeaves."""
        if not values:
            raise InvalidFormat("a Merkle tree needs at least one leaf")
        hashed = sorted((leaf_hash(value), index) for index, value in enumerate(values))
        count = len(hashed)
        size = 2 * count - 1
        nodes: list[bytes] = [b""] * size
        tree_index = [0] * count
        for position, (leaf, value_index) in enumerate(hashed):
            nodes[size - 1 - position] = leaf
            tree_index[value_index] = size - 1 - position
        for i in range(size - 1 - count, -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        return cls(tuple(nodes), tuple(tree_index))

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def __len__(self) -> int:
        return len(self.tree_index)

    def proof(self, value_index: int) -> list[bytes]:
        """Siblings from the leaf of value `value_index` up to the root."""
        index = self.tree_index[value_index]
        proof = []
        while index > 0:
            proof.append(self.nodes[index + 1 if index % 2 else index - 1])
            index = (index - 1) // 2
        return proof


def to_hex(word: bytes) -> str:
    """`0x` + lower-case hex, as the reference implementation prints nodes."""
    return "0x" + word.hex()


def from_hex(text: object, what: str = "Merkle node") -> bytes:
    """32 bytes from `0x` + 64 hex digits; InvalidFormat otherwise."""
    if not isinstance(text, str) or len(text) != 66 or not text.startswith("0x"):
        raise InvalidFormat(f"{what} must be 0x and 64 hex digits, not {text!r:.80}")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise InvalidFormat(f"{what} must be 0x and 64 hex digits, not {text!r:.80}") from None
