"""`nit trace`: lineage (ancestors, descendants), versions with verdicts, every view,
against real repositories, a real anvil and the real js-ipfs node."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TEST_KEY, Nit, ok, one_line_error
from tests.support.anvil import Anvil
from tests.support.chain_history import made_commit, register_local, signed_commit, signer
from tests.support.ipfs_node import IpfsNode

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository

PHOTOS = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")


def _nid_of(nit: Nit, name: str) -> str:
    return ok(nit("hash", name)).stdout.split()[0]


def make_lineage(nit: Nit, media: Any, names: tuple[str, ...] = PHOTOS) -> list[str]:
    """Three generations: names[0] → names[1] (an AI edit) → names[2], each committed."""
    media(*names)
    ok(nit("add", names[0], "-m", "the original", "--license", "cc-by-4.0", "--creator", "Ada"))
    ok(nit("commit", "-m", "registration"))
    nids = [_nid_of(nit, names[0])]
    ok(
        nit(
            "add",
            names[1],
            "--parent",
            nids[0],
            "-m",
            "an AI edit",
            "--generated-by",
            "model-x",
            "--source-type",
            "trainedAlgorithmicMedia",
        )
    )
    ok(nit("commit", "-m", "derived"))
    nids.append(_nid_of(nit, names[1]))
    ok(nit("add", names[2], "--parent", nids[1], "-m", "a crop", "--license", "mit"))
    ok(nit("commit", "-m", "derived again"))
    nids.append(_nid_of(nit, names[2]))
    return nids


def _trace_json(nit: Nit, *args: str, code: int = 0) -> dict[str, Any]:
    result = nit("trace", *args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_local_lineage_of_three_generations(
    nit: Nit, repo: Path, media: Any, signing_key: str
) -> None:
    a, b, c = make_lineage(nit, media)
    report = _trace_json(nit, PHOTOS[1])  # the middle one, by file name
    assert report["schemaVersion"] == 1 and report["subject"] == b and report["ok"]
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert [n["nid"] for n in report["nodes"]] == [a, b, c]  # oldest generation first
    assert (nodes[a]["role"], nodes[a]["generation"]) == ("ancestor", -1)
    assert (nodes[c]["role"], nodes[c]["generation"], nodes[c]["foundBy"]) == (
        "descendant",
        1,
        "local",
    )
    assert {(e["parent"], e["child"]) for e in report["edges"]} == {(a, b), (b, c)}
    assert nodes[a]["fields"]["license"]["name"] == "CC-BY-4.0"
    assert nodes[a]["fields"]["assetCreator"] == "Ada"
    assert nodes[b]["fields"]["generatedBy"] == "model-x"
    assert nodes[b]["fields"]["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    assert nodes[b]["name"] == PHOTOS[1] and nodes[b]["parents"] == [a]
    for node in nodes.values():
        assert node["where"] == {"local": True, "content": "local", "chain": "not asked"}
        (version,) = node["versions"]
        assert version["verdict"] == "ok" and version["treeWhere"] == "local"
        assert version["where"] == {"local": True, "chain": None}
    # The root and the leaf give the same graph.
    assert {n["nid"] for n in _trace_json(nit, a)["nodes"]} == {a, b, c}
    assert [n["role"] for n in _trace_json(nit, c)["nodes"]] == ["ancestor", "ancestor", "subject"]


def test_terminal_dot_and_mermaid_views(nit: Nit, repo: Path, media: Any, signing_key: str) -> None:
    a, b, c = make_lineage(nit, media)
    text = ok(nit("trace", b)).stdout
    for nid in (a, b, c):
        assert nid in text
    assert "generatedBy: model-x" in text and "license: CC-BY-4.0" in text and "✓ #0" in text
    dot = ok(nit("trace", b, "--dot")).stdout
    assert (
        dot.startswith("digraph lineage {")
        and f'"{a}" -> "{b}" [label="#0"];' in dot  # the versions naming the parent
        and f'"{b}" -> "{c}" [label="#0"];' in dot
    )
    mermaid = ok(nit("trace", b, "--mermaid")).stdout
    assert mermaid.startswith("graph TD")
    assert 'n0 -->|"#35;0"| n1' in mermaid and 'n1 -->|"#35;0"| n2' in mermaid
    result = nit("trace", b, "--dot", "--json")
    assert result.exit_code == 2 and "one of --json" in one_line_error(result)


def test_a_parent_nobody_has_is_shown_missing(
    nit: Nit, repo: Path, media: Any, signing_key: str
) -> None:
    media("Canon_40D.jpg")
    ghost = str(Nid.of_bytes(b"an original that was never registered"))
    ok(nit("add", "Canon_40D.jpg", "--parent", ghost))
    ok(nit("commit", "-m", "derived from a lost file"))
    report = _trace_json(nit, "Canon_40D.jpg")
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert nodes[ghost]["missing"] and nodes[ghost]["role"] == "ancestor"
    assert nodes[ghost]["versions"] == [] and nodes[ghost]["where"]["content"] == "missing"
    assert "MISSING" in ok(nit("trace", "Canon_40D.jpg")).stdout


def test_a_cycle_of_parents_is_refused(nit: Nit, repo: Path, media: Any, signing_key: str) -> None:
    media("Canon_40D.jpg", "Nikon_D70.jpg")
    a, b = _nid_of(nit, "Canon_40D.jpg"), _nid_of(nit, "Nikon_D70.jpg")
    ok(nit("add", "Canon_40D.jpg", "--parent", b))
    ok(nit("add", "Nikon_D70.jpg", "--parent", a))
    ok(nit("commit", "-m", "each derived from the other"))
    before = sorted(p.name for p in (repo / ".numbers" / "objects").rglob("*"))
    result = nit("trace", "Canon_40D.jpg")
    assert result.exit_code == 17
    assert "cycle of parentAssetCid" in one_line_error(result)
    assert sorted(p.name for p in (repo / ".numbers" / "objects").rglob("*")) == before


def test_not_a_nid_and_no_such_file(nit: Nit, repo: Path) -> None:
    result = nit("trace", "not-a-file-or-nid")
    assert result.exit_code == 2 and "not a valid Nid" in one_line_error(result)
    result = nit("trace", "x", "--from-block", "3")
    assert result.exit_code == 2 and "--scan-chain" in one_line_error(result)


# --- with the chain ------------------------------------------------------------------


def _register_tree(
    repo: Path, chain: ChainClient, key: str, tree: dict[str, Any], committer: str | None = None
) -> tuple[str, str]:
    """Sign and register an arbitrary tree (as another client would); keep the tree here."""
    data = jsjson.stringify(tree, indent=2).encode()
    tree_cid = Nid.of_bytes(data)
    commit = signed_commit(data, signer(key), abstract="registered elsewhere", committer=committer)
    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(tree_cid, data)
    chain.send_commits([(tree["assetCid"], commit.to_chain())], key)
    return str(tree_cid), str(commit.nid())


def test_remote_trace_checks_every_signature(
    nit: Nit,
    repo: Path,
    media: Any,
    signing_key: str,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    a, b, c = make_lineage(nit, media)
    for asset in (a, b, c):
        register_local(chain, repo, asset, anvil.keys[1])
    report = _trace_json(nit, b, "--remote")
    assert report["network"] == "devnet" and report["ok"]
    for node in report["nodes"]:
        assert node["where"]["chain"] == "found"
        (version,) = node["versions"]
        assert version["where"]["local"] and version["where"]["chain"]["block"] > 0
    # A forged commit of the subject: signed by one key, naming another committer.
    forged, _ = made_commit(b, anvil.keys[2], committer="0x" + "11" * 20)
    chain.send_commits([(b, forged)], anvil.keys[2])
    report = _trace_json(nit, b, "--remote", code=13)
    subject = next(n for n in report["nodes"] if n["nid"] == b)
    assert [v["verdict"] for v in subject["versions"]] == ["ok", "wrong-signer"]
    assert subject["versions"][1]["where"]["local"] is False
    assert {n["nid"] for n in report["nodes"]} == {a, b, c}  # the rest is still shown
    result = nit("trace", b, "--remote")
    assert result.exit_code == 13 and "✗ #1" in result.stdout and "wrong-signer" in result.stdout


def test_a_parent_that_is_not_a_nid_is_refused(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    asset = str(Nid.of_bytes(b"a file with a broken lineage"))
    _register_tree(
        repo,
        chain,
        anvil.keys[3],
        {
            "assetCid": asset,
            "assetSha256": hashlib.sha256(b"x").hexdigest(),
            "encodingFormat": "image/jpeg",
            "parentAssetCid": "my-holiday-photo.jpg",
        },
    )
    result = nit("trace", asset, "--remote")
    assert result.exit_code == 17
    assert "'my-holiday-photo.jpg', which is not a Nid" in one_line_error(result)


def test_a_junk_parent_elsewhere_on_chain_does_not_stop_a_scan(
    nit: Nit,
    repo: Path,
    media: Any,
    signing_key: str,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    """Anyone can register a tree naming a parent that is not a Nid: it is nobody's
    child, and everyone else's `--scan-chain` still finds their descendants."""
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg", "-m", "original"))
    ok(nit("commit", "-m", "registration"))
    original = _nid_of(nit, "Canon_40D.jpg")
    register_local(chain, repo, original, anvil.keys[1])
    junk = str(Nid.of_bytes(b"someone else's asset"))
    tree = {
        "assetCid": junk,
        "assetSha256": hashlib.sha256(b"y").hexdigest(),
        "encodingFormat": "image/jpeg",
    }
    _register_tree(repo, chain, anvil.keys[3], {**tree, "parentAssetCid": "not a nid at all"})
    child = str(Nid.of_bytes(b"an edit of the original, made elsewhere"))
    _register_tree(
        repo, chain, anvil.keys[2], {**tree, "assetCid": child, "parentAssetCid": original}
    )

    report = _trace_json(nit, original, "--scan-chain")

    nodes = {n["nid"]: n for n in report["nodes"]}
    assert nodes[child]["role"] == "descendant" and nodes[child]["foundBy"] == "chain-scan"
    assert junk not in nodes
    assert report["scan"]["badParents"] == 1 and report["scan"]["derived"] == 1
    # The junk asset's own trace still refuses its lineage.
    result = nit("trace", junk, "--remote")
    assert result.exit_code == 17 and "which is not a Nid" in one_line_error(result)


@pytest.fixture
def ipfs_remote(nit: Nit, repo: Path, ipfs_node: IpfsNode) -> str:
    ok(nit("remote", "add", "node", ipfs_node.api_url, "--global"))
    return ipfs_node.api_url


def test_scan_chain_finds_descendants_registered_elsewhere(
    nit: Nit,
    repo: Path,
    second: Nit,
    media: Any,
    signing_key: str,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
    ipfs_remote: str,
) -> None:
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg", "-m", "original"))
    ok(nit("commit", "-m", "registration"))
    original = _nid_of(nit, "Canon_40D.jpg")
    register_local(chain, repo, original, anvil.keys[1])
    # Another machine derives from it, pushes its tree to IPFS and registers on chain.
    elsewhere = second.cwd
    (elsewhere / "edit.jpg").write_bytes((repo / "Canon_40D.jpg").read_bytes() + b"edited")
    ok(second("add", "edit.jpg", "--parent", original, "-m", "an edit made elsewhere"))
    ok(second("commit", "-m", "derived elsewhere"))
    ok(second("push", "--no-chain"))
    edit = json.loads(second("log", "--json").stdout)[0]["asset"]
    register_local(chain, elsewhere, edit, anvil.keys[2])
    # Locally the edit is unknown; the scan finds it (its tree read from IPFS).
    assert len(_trace_json(nit, original)["nodes"]) == 1
    report = _trace_json(nit, original, "--scan-chain")
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert nodes[edit]["foundBy"] == "chain-scan" and nodes[edit]["role"] == "descendant"
    assert nodes[edit]["where"]["local"] is False and nodes[edit]["where"]["chain"] == "found"
    assert nodes[edit]["versions"][0]["treeWhere"] in ("ipfs", "local")
    assert nodes[edit]["versions"][0]["verdict"] == "ok"
    scan = report["scan"]
    assert scan["commits"] == 2 and scan["derived"] == 1 and scan["newCommits"] == 2
    # Cached: a second scan reads only new blocks.
    again = _trace_json(nit, original, "--scan-chain")["scan"]
    assert again["newCommits"] == 0 and again["fromBlock"] > scan["fromBlock"]
    assert (repo / ".numbers" / "cache" / "scan-devnet.sqlite").is_file()
    head = chain.block_number()
    result = nit("trace", original, "--scan-chain", "--from-block", str(head + 100))
    assert result.exit_code == 2 and "beyond the chain head" in one_line_error(result)


def test_a_junk_parent_in_an_unrelated_local_asset_does_not_stop_a_trace(
    nit: Nit, repo: Path, media: Any, signing_key: str
) -> None:
    """The local walk reads every asset's trees for children: one asset received from
    elsewhere with a parentAssetCid that is not a Nid is nobody's child, not a reason
    to refuse every trace in the repository; its own trace still refuses it."""
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg", "-m", "original"))
    ok(nit("commit", "-m", "registration"))
    original = _nid_of(nit, "Canon_40D.jpg")
    junk = str(Nid.of_bytes(b"an unrelated asset received from elsewhere"))
    tree = jsjson.stringify(
        {
            "assetCid": junk,
            "assetSha256": hashlib.sha256(b"z").hexdigest(),
            "encodingFormat": "image/jpeg",
            "parentAssetCid": "my-holiday-photo.jpg",
        },
        indent=2,
    ).encode()
    commit_data = signed_commit(tree, signer(TEST_KEY), abstract="received").to_chain()
    local = Repository(repo)
    commit = Nid.of_bytes(commit_data.encode())
    with local.transaction():
        local.objects.put_block(Nid.of_bytes(tree), tree)
        local.objects.put_block(commit, commit_data.encode())
        local.refs.set(local.refs.head_rel(junk), local.refs.render_history([str(commit)]))

    report = _trace_json(nit, original)

    assert [n["nid"] for n in report["nodes"]] == [original]
    result = nit("trace", junk)
    assert result.exit_code == 17 and "which is not a Nid" in one_line_error(result)
