"""`nit trace` at the edges a demanding user reaches: an asset naming itself as
parent, a lineage deeper than Python's recursion limit, a parent with thousands
of children, and a JSON shape scripts can rely on. Real signed commits are
written straight into the store (building thousands through the CLI would test
the CLI's speed, not these shapes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.conftest import TEST_KEY, Nit, one_line_error
from tests.support.chain_history import signed_commit, signer

from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.repo.repository import Repository

_SIGNER = signer(TEST_KEY)


def nid(label: str) -> str:
    return str(Nid.of_bytes(label.encode()))


def write_assets(workdir: Path, assets: list[tuple[str, str | None]]) -> None:
    """One signed commit per (asset, parent) into the repository at `workdir`."""
    repo = Repository(workdir)
    with repo.transaction() as txn:
        for asset, parent in assets:
            tree = AssetTree.new(
                {
                    "assetCid": asset,
                    "assetSha256": hashlib.sha256(asset.encode()).hexdigest(),
                    "encodingFormat": "image/jpeg",
                    "parentAssetCid": parent,
                }
            ).to_bytes()
            data = signed_commit(tree, _SIGNER, abstract="test", timestamp=1_700_000_000)
            raw = data.to_chain().encode()
            commit = Nid.of_bytes(raw)
            repo.objects.put_block(Nid.of_bytes(tree), tree)
            repo.objects.put_block(commit, raw)
            txn.append_commit(asset, commit)
    repo.close()


def trace_json(nit: Nit, *args: str) -> dict[str, Any]:
    result = nit("trace", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_asset_naming_itself_as_parent_is_a_cycle(nit: Nit, repo: Path) -> None:
    selfish = nid("its own parent")
    write_assets(repo, [(selfish, selfish)])
    result = nit("trace", selfish)
    assert result.exit_code == 17
    assert one_line_error(result).endswith(f"cycle of parentAssetCid: {selfish} → {selfish}")


def test_a_lineage_deeper_than_the_recursion_limit(nit: Nit, repo: Path) -> None:
    depth = 1_200  # Python's default recursion limit is 1,000
    chain = [nid(f"generation {k}") for k in range(depth)]
    write_assets(repo, [(a, chain[k - 1] if k else None) for k, a in enumerate(chain)])
    report = trace_json(nit, chain[-1])
    assert [n["nid"] for n in report["nodes"]] == chain  # oldest generation first
    assert report["nodes"][0]["generation"] == -(depth - 1)
    from_root = trace_json(nit, chain[0])
    assert len(from_root["nodes"]) == depth and from_root["nodes"][-1]["generation"] == depth - 1
    for view in ("--dot", "--mermaid"):
        assert nit("trace", chain[0], view).exit_code == 0
    # A cycle closing at the far end is still found (and named), without recursion.
    write_assets(repo, [(chain[0], chain[-1])])
    result = nit("trace", chain[0])
    assert result.exit_code == 17 and "cycle of parentAssetCid" in one_line_error(result)


def test_a_parent_with_thousands_of_children(nit: Nit, repo: Path) -> None:
    parent = nid("a much-edited original")
    children = [nid(f"edit {k}") for k in range(2_000)]
    write_assets(repo, [(parent, None), *((c, parent) for c in children)])
    report = trace_json(nit, parent)
    assert len(report["nodes"]) == 1 + len(children)
    assert {(e["parent"], e["versions"] == [0]) for e in report["edges"]} == {(parent, True)}
    assert {e["child"] for e in report["edges"]} == set(children)
    text = nit("trace", parent)
    assert text.exit_code == 0 and all(c in text.stdout for c in children[:3])


def test_the_json_shape_is_stable(nit: Nit, repo: Path) -> None:
    """Scripts rely on these keys (docs/formats.md, "Trace JSON", schemaVersion 1):
    removing or renaming one must bump schemaVersion, so the test names them all."""
    parent, child = nid("json parent"), nid("json child")
    write_assets(repo, [(parent, None), (child, parent)])
    report = trace_json(nit, child)
    assert report["schemaVersion"] == 1
    assert set(report) == {
        "schemaVersion", "subject", "network", "scan", "ok", "exitCode", "nodes", "edges"
    }  # fmt: skip
    node = report["nodes"][1]
    assert set(node) == {
        "nid", "role", "generation", "name", "parents", "missing", "foundBy", "where",
        "chainDetail", "fields", "versions",
    }  # fmt: skip
    assert set(node["where"]) == {"local", "content", "chain"}
    assert set(node["versions"][0]) == {
        "commit", "index", "action", "timestamp", "committer", "signer", "verdict", "detail",
        "exitCode", "where", "tree", "treeWhere", "abstract", "parent",
    }  # fmt: skip
    assert report["edges"] == [{"parent": parent, "child": child, "versions": [0]}]
