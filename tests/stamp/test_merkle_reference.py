"""Our StandardMerkleTree against OpenZeppelin's own implementation, live.

`tools/merkle/oz.mjs` runs `@openzeppelin/merkle-tree` 1.0.8 (installed by
scripts/setup from its lockfile) on the same leaf values; the trees, leaf
positions and every proof must be identical, and the reference must accept
the proofs of a real stamp batch. Skips without node/the tool locally, fails
in CI.
"""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from tests.support.tools import TOOLS_DIR, node_bin, require_tool

from numbers_cli.model import merkle
from numbers_cli.model.stamp import BatchManifest, StampedArtifact
from numbers_cli.model.unixfs import nid_of_bytes

SCRIPT = TOOLS_DIR / "merkle" / "oz.mjs"
PACKAGE = TOOLS_DIR / "merkle" / "node_modules" / "@openzeppelin" / "merkle-tree"


def reference(values: list[tuple[bytes, bytes]]) -> dict:
    node = require_tool(node_bin(), "node")
    require_tool(PACKAGE, "@openzeppelin/merkle-tree (tools/merkle)")
    request = {
        "leafEncoding": list(merkle.LEAF_ENCODING),
        "values": [[merkle.to_hex(word) for word in value] for value in values],
    }
    done = subprocess.run(
        [str(node), str(SCRIPT)],
        input=json.dumps(request).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 8, 9, 64, 257])
def test_same_tree_and_proofs_as_openzeppelin(count: int) -> None:
    rng = random.Random(count)
    values = [(rng.randbytes(32), rng.randbytes(32)) for _ in range(count)]
    ours = merkle.MerkleTree.of(values)
    theirs = reference(values)
    assert merkle.to_hex(ours.root) == theirs["root"]
    assert [merkle.to_hex(n) for n in ours.nodes] == theirs["dump"]["tree"]
    assert list(ours.tree_index) == [v["treeIndex"] for v in theirs["dump"]["values"]]
    for i in range(count):
        assert [merkle.to_hex(n) for n in ours.proof(i)] == theirs["proofs"][i]


def test_a_batch_manifest_root_is_the_reference_root() -> None:
    """The leaves of a real manifest (artifact sha256, commit digest) give OZ's root."""
    commits = [nid_of_bytes(f'{{"commit":{i}}}'.encode()) for i in range(5)]
    artifacts = [
        StampedArtifact(f"a{i}", nid_of_bytes(bytes([i])), f"{i:064x}", 1, commit)
        for i, commit in enumerate(commits)
    ]
    manifest, _ = BatchManifest.of(artifacts, 0, {})
    theirs = reference([a.leaf_value() for a in artifacts])
    assert manifest.root_hex() == theirs["root"]
