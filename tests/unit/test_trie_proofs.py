"""chain.proofs' Merkle-Patricia proofs: read_proof accepts exactly what py-trie's own
verifier (`HexaryTrie.get_from_proof`) accepts, and every damaged proof is refused
with a one-line reason.

read_proof fills py-trie's node DB from the proof's RLP bytes instead of letting
get_from_proof decode, re-encode and re-hash every node; these tests hold the two
to the same verdicts on honest and damaged proofs of tries of many shapes.
"""

from __future__ import annotations

import random

import pytest
import rlp
from eth_hash.auto import keccak as auto_keccak
from trie import HexaryTrie
from trie.exceptions import BadTrieProof

from numbers_cli.chain.proofs import keccak, prove_index, read_proof
from numbers_cli.errors import InvalidFormat

# keccak256 of nothing, and of rlp(b"") (the root of an empty trie): Ethereum's
# constants (Yellow Paper; py-trie's trie.constants).
KECCAK_EMPTY = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
EMPTY_TRIE_ROOT = "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"


def _leaves(count: int, seed: int) -> list[bytes]:
    """Leaves the size of transactions and receipts (never inlined in their parents)."""
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(40, 400)) for _ in range(count)]


def _library_verdict(root: bytes, index: int, nodes: list[bytes]) -> bytes | None:
    """py-trie's own proof check: the leaf, or None if it refuses the proof."""
    try:
        decoded = [rlp.decode(node) for node in nodes]
        value = HexaryTrie.get_from_proof(root, rlp.encode(index), decoded)
    except (BadTrieProof, rlp.exceptions.DecodingError):
        return None
    except Exception:  # py-trie raises assorted types on malformed nodes
        return None
    return bytes(value) or None


def _our_verdict(root: bytes, index: int, nodes: list[bytes]) -> bytes | None:
    try:
        return read_proof(root, index, nodes)
    except InvalidFormat as exc:
        assert "\n" not in exc.message and exc.message
        return None


def test_keccak_is_ethereums() -> None:
    assert keccak(b"").hex() == KECCAK_EMPTY
    assert keccak(rlp.encode(b"")).hex() == EMPTY_TRIE_ROOT
    for data in (b"a", b"\x00" * 200, bytes(range(256))):
        assert keccak(data) == bytes(auto_keccak(data))


@pytest.mark.parametrize("count", [1, 2, 3, 16, 17, 130, 300])
def test_every_leaf_is_proven_as_the_library_proves_it(count: int) -> None:
    leaves = _leaves(count, count)
    for index in sorted({0, 1 % count, count // 2, count - 1}):
        proof = prove_index(leaves, index)
        assert read_proof(proof.root, index, proof.nodes) == leaves[index]
        assert _library_verdict(proof.root, index, proof.nodes) == leaves[index]


def _damaged(nodes: list[bytes], rng: random.Random) -> list[tuple[str, list[bytes]]]:
    cases: list[tuple[str, list[bytes]]] = []
    for at in range(len(nodes)):
        node = bytearray(nodes[at])
        node[rng.randrange(len(node))] ^= 0x01
        cases.append((f"byte of node {at}", [*nodes[:at], bytes(node), *nodes[at + 1 :]]))
        cases.append((f"node {at} left out", [*nodes[:at], *nodes[at + 1 :]]))
    cases.append(("junk that is not RLP", [*nodes, b"\xff\x00"]))
    cases.append(("RLP that is no trie node", [*nodes, rlp.encode([b"a", b"b", b"c"])]))
    cases.append(("no nodes", []))
    return cases


@pytest.mark.parametrize("count", [1, 3, 17, 130])
def test_damaged_proofs_are_refused_as_the_library_refuses_them(count: int) -> None:
    rng = random.Random(count)
    leaves = _leaves(count, count + 1000)
    index = count - 1
    proof = prove_index(leaves, index)
    for what, nodes in _damaged(proof.nodes, rng):
        assert _our_verdict(proof.root, index, nodes) is None, what
        assert _library_verdict(proof.root, index, nodes) is None, what


def test_a_proof_leads_only_to_its_own_leaf_under_its_own_root() -> None:
    leaves = _leaves(20, 7)
    proof = prove_index(leaves, 5)
    other = prove_index(_leaves(20, 8), 5)
    assert _our_verdict(other.root, 5, proof.nodes) is None  # another block's root
    with pytest.raises(InvalidFormat, match="missing proof node"):
        read_proof(other.root, 5, proof.nodes)
    # The path to leaf 5 says nothing of leaf 6 (a sibling in the same branch).
    assert _our_verdict(proof.root, 6, proof.nodes) is None
    assert _library_verdict(proof.root, 6, proof.nodes) is None
    # Leaf 25 does not exist: its proof shows the path ends without it, which is no leaf.
    absent = prove_index(leaves, 25)
    assert absent.root == proof.root and absent.nodes
    with pytest.raises(InvalidFormat, match="no leaf 25"):
        read_proof(absent.root, 25, absent.nodes)
