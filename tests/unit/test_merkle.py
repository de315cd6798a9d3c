"""The Merkle tree of `nit stamp` is OpenZeppelin's StandardMerkleTree, byte for byte.

Vectors: the output of `@openzeppelin/merkle-tree` 1.0.8 (the reference
implementation, installed in tools/merkle) for `StandardMerkleTree.of(values,
["bytes32", "bytes32"])`, with values[i] = (sha256("artifact i"), sha256("commit i")).
tests/compat/test_merkle_reference.py compares random trees with it live.
"""

from __future__ import annotations

import hashlib

import pytest

from numbers_cli.errors import InvalidFormat
from numbers_cli.model import merkle


def h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def x(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


VALUES = [(h(f"artifact {i}"), h(f"commit {i}")) for i in range(5)]
ROOT = "0x0156f4f786eb1547ac575e588f5cf265309784b8163041e3c88628c66ac0d4eb"
TREE = [
    "0x0156f4f786eb1547ac575e588f5cf265309784b8163041e3c88628c66ac0d4eb",
    "0x746dc70701aedbd7759a8069049f65a9096feceb4ad92b0e8b0ba63cf48c14ff",
    "0x347a8f229339d1632ec0072c5d4a225c8a5a9a5eca1ed08bce016f0b0f33218c",
    "0x690ef2d16834f676d8b8c5ca25493613b30a9d5e5b87c5ebfe2664b5d1d1f85f",
    "0xa2848aab6446e755e88b0e1f17ec8ccf29860a7a4d9860e7a43043177ad0be9c",
    "0x6e46018aa124059ed202b97d6da787b37fb2c0b696dcf29287e1a1737bdcc946",
    "0x3189969eb16a57ad2e9be1719415d9a8b056b5f8785276a23dd3659a9f1dab89",
    "0x17b0a408b7a90c5f89ce2d76d4d5e21d769b22a725cb3b1f2d44d8eef68dfd69",
    "0x12d2441b69df832db66d22e034bf358f1a2b52df8aa638178930f9a900f7257f",
]
TREE_INDEX = (4, 5, 7, 6, 8)
PROOFS = [
    [TREE[3], TREE[2]],
    [TREE[6], TREE[1]],
    [TREE[8], TREE[4], TREE[2]],
    [TREE[5], TREE[1]],
    [TREE[7], TREE[4], TREE[2]],
]
# One value: the root is its leaf, and its proof is empty.
SINGLE = (h("only"), h("one"))
SINGLE_ROOT = "0x563dcbbbaf2e8c68d23818f941081805eec2b2ddeb64d38565e27bee91ef9240"


def test_tree_matches_the_reference_implementation() -> None:
    tree = merkle.MerkleTree.of(VALUES)
    assert merkle.to_hex(tree.root) == ROOT
    assert [merkle.to_hex(node) for node in tree.nodes] == TREE
    assert tree.tree_index == TREE_INDEX
    for i, expected in enumerate(PROOFS):
        assert [merkle.to_hex(node) for node in tree.proof(i)] == expected


def test_single_leaf_tree() -> None:
    tree = merkle.MerkleTree.of([SINGLE])
    assert merkle.to_hex(tree.root) == SINGLE_ROOT
    assert tree.proof(0) == []
    assert merkle.verify_proof(tree.root, SINGLE, [])


def test_every_proof_verifies_and_only_for_its_value() -> None:
    values = [(h(f"a{i}"), h(f"c{i}")) for i in range(37)]
    tree = merkle.MerkleTree.of(values)
    for i, value in enumerate(values):
        proof = tree.proof(i)
        assert merkle.verify_proof(tree.root, value, proof)
        assert not merkle.verify_proof(tree.root, values[(i + 1) % len(values)], proof)


def test_a_changed_proof_node_or_value_misses_the_root() -> None:
    tree = merkle.MerkleTree.of(VALUES)
    proof = tree.proof(2)
    bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    assert not merkle.verify_proof(tree.root, VALUES[2], bent)
    assert not merkle.verify_proof(tree.root, (VALUES[2][0], h("other commit")), proof)
    assert not merkle.verify_proof(tree.root, VALUES[2], proof[:-1])


def test_inner_node_cannot_pass_as_a_leaf() -> None:
    """Leaves are hashed twice: the pair under an inner node is no valid leaf value."""
    tree = merkle.MerkleTree.of(VALUES)
    left, right = tree.nodes[3], tree.nodes[4]
    assert not merkle.verify_proof(tree.root, (left, right), tree.proof(0)[1:])


def test_bad_input() -> None:
    with pytest.raises(InvalidFormat):
        merkle.MerkleTree.of([])
    with pytest.raises(InvalidFormat):
        merkle.leaf_hash([b"short"])
    with pytest.raises(InvalidFormat):
        merkle.process_proof(b"\0" * 32, [b"\1" * 31])
    with pytest.raises(InvalidFormat):
        merkle.from_hex("0x1234")
    with pytest.raises(InvalidFormat):
        merkle.from_hex("0x" + "zz" * 32)
    assert merkle.from_hex(ROOT) == x(ROOT)
