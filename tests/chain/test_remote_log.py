"""`nit log --remote` and `nit diff --remote` against a real anvil.

Commits are put on chain with ChainClient.send_commits (what `nit push` sends),
some made locally with `nit commit`, some "elsewhere" (signed by another key),
some forged, so the history read back has every kind of commit in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Nit
from tests.support.anvil import Anvil
from tests.support.chain_history import (
    commit_nid,
    local_history,
    made_commit,
    register_local,
    use_network,
)
from tests.support.tools import free_port

from numbers_cli.chain import ChainClient, Network
from numbers_cli.repo.repository import Repository

LOG_KEYS = {
    "asset",
    "index",
    "block",
    "tx",
    "logIndex",
    "recorder",
    "commitCid",
    "commit",
    "signatureValid",
    "signer",
    "signatureDetail",
    "local",
}


def remote_log(nit: Nit, *args: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    result = nit("log", *args, "--remote", "--json")
    assert result.stdout, result.output
    return result.exit_code, json.loads(result.stdout)


def register_foreign(chain: ChainClient, asset: str, key: str, count: int) -> list[str]:
    items = [(asset, made_commit(asset, key, note=f"elsewhere {n}")[0]) for n in range(count)]
    chain.send_commits(items, key)
    return [data for _, data in items]


# --- log --remote ---------------------------------------------------------------------


def test_lists_chain_order_with_blocks_and_local_marks(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    local = local_history(repo, asset)
    receipts = register_local(chain, repo, asset, anvil.keys[1], local[:2])
    (foreign,) = register_foreign(chain, asset, anvil.keys[2], 1)

    code, entries = remote_log(nit, asset)

    assert code == 0
    assert [e["index"] for e in entries] == [0, 1, 2]
    assert [e["block"] for e in entries] == chain.get_commits(asset)
    assert [e["block"] for e in entries[:2]] == [r.block_number for r in receipts]
    assert [e["tx"] for e in entries[:2]] == [r.tx_hash for r in receipts]
    assert [e["commitCid"] for e in entries] == [*local[:2], commit_nid(foreign)]
    assert [e["local"] for e in entries] == [True, True, False]
    assert all(e["signatureValid"] for e in entries)
    assert entries[0]["signer"] == entries[0]["commit"]["committer"]
    assert entries[0]["recorder"].lower() == chain_address(anvil, 1).lower()
    assert entries[2]["commit"]["abstract"] == "elsewhere 0"
    assert all(set(e) == LOG_KEYS for e in entries)


def chain_address(anvil: Anvil, index: int) -> str:
    from tests.support.chain_history import signer

    return signer(anvil.keys[index]).address


def test_text_output_marks_local_and_signatures(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    register_local(chain, repo, asset, anvil.keys[1], local_history(repo, asset)[:1])
    register_foreign(chain, asset, anvil.keys[2], 1)

    full = nit("log", asset, "--remote")
    assert full.exit_code == 0, full.output
    assert f"asset {asset} on devnet: 2 commits" in full.stdout
    assert full.stdout.count("(local)") == 1
    assert full.stdout.count("signature: ✓") == 2

    oneline = nit("log", asset, "--remote", "--oneline")
    lines = oneline.stdout.splitlines()[1:]
    assert len(lines) == 2 and lines[0].startswith("#0 block ") and " local " in lines[0]
    assert " local " not in lines[1]


def test_blocks_lists_block_numbers_only(
    nit: Nit, asset: str, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    register_foreign(chain, asset, anvil.keys[2], 3)
    blocks = chain.get_commits(asset)

    result = nit("log", asset, "--remote", "--blocks", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"index": i, "block": b} for i, b in enumerate(blocks)]

    text = nit("log", asset, "--remote", "--blocks")
    assert f"{asset} on devnet: 3 commits" in text.stdout
    assert [line for line in text.stdout.splitlines() if line.startswith("#")] == [
        f"#{i}  block {b}" for i, b in enumerate(blocks)
    ]

    sliced = nit("log", asset, "--remote", "--blocks", "--from-index", "1", "--json")
    assert [e["index"] for e in json.loads(sliced.stdout)] == [1, 2]


@pytest.mark.parametrize(
    ("options", "indexes"),
    [
        ((), [0, 1, 2, 3, 4]),
        (("--from-index", "1", "--to-index", "3"), [1, 2]),  # [A, B): B is exclusive
        (("--from-index", "3"), [3, 4]),
        (("--to-index", "2"), [0, 1]),
        (("--from-index", "-2"), [3, 4]),  # negative: from the end
        (("--from-index", "-3", "--to-index", "-1"), [2, 3]),
        (("--from-index", "3", "--to-index", "1"), [3, 4]),  # B not after A: to the end
        (("--from-index", "7"), []),
    ],
)
def test_index_slicing_like_the_reference_tool(
    nit: Nit,
    repo: Path,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
    options: tuple[str, ...],
    indexes: list[int],
) -> None:
    asset = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    register_foreign(chain, asset, anvil.keys[2], 5)
    code, entries = remote_log(nit, asset, *options)
    assert code == 0
    assert [e["index"] for e in entries] == indexes
    assert [e["commit"]["abstract"] for e in entries] == [f"elsewhere {i}" for i in indexes]


def test_commits_sharing_a_block_keep_their_order(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    """Several commits of one asset in one block: the k-th listing of a block is its k-th event."""
    asset = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    register_foreign(chain, asset, anvil.keys[2], 1)
    anvil.rpc("evm_setAutomine", [False])
    try:
        anvil.rpc("evm_setIntervalMining", [1])
        items = [(asset, made_commit(asset, anvil.keys[2], note=f"batch {n}")[0]) for n in range(3)]
        receipts = chain.send_commits(items, anvil.keys[2])
    finally:
        anvil.rpc("evm_setIntervalMining", [0])
        anvil.rpc("evm_setAutomine", [True])
    assert len({r.block_number for r in receipts}) < 3, "the batch was to share a block"

    code, entries = remote_log(nit, asset, "--from-index", "2")
    assert code == 0
    assert [e["commit"]["abstract"] for e in entries] == ["batch 1", "batch 2"]
    assert [e["tx"] for e in entries] == [r.tx_hash for r in receipts[1:]]
    _, every = remote_log(nit, asset)
    assert [e["commit"]["abstract"] for e in every] == [
        "elsewhere 0",
        "batch 0",
        "batch 1",
        "batch 2",
    ]


def test_bad_signatures_are_listed_flagged_and_fail_the_exit_code(
    nit: Nit, repo: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    asset = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    honest = chain_address(anvil, 2)
    good, _ = made_commit(asset, anvil.keys[2], note="good")
    forged, _ = made_commit(asset, anvil.keys[3], note="forged", committer=honest)
    chain.send_commits([(asset, good), (asset, forged)], anvil.keys[3])

    code, entries = remote_log(nit, asset)
    assert code == 13  # signed, but not by the committer it names
    assert [e["signatureValid"] for e in entries] == [True, False]
    assert entries[1]["signer"] == chain_address(anvil, 3)
    assert "not by the committer" in entries[1]["signatureDetail"]

    chain.send_commits([(asset, "not a commit {")], anvil.keys[3])
    text = nit("log", asset, "--remote")
    assert text.exit_code == 14  # a malformed commit beats a wrong signer
    assert text.stdout.count("signature: ✗") == 2
    assert text.stderr.strip() == ("nit: warning: 2 of 3 listed commits fail the signature check")
    code, entries = remote_log(nit, asset)
    assert entries[2]["commit"] is None and entries[2]["commitData"] == "not a commit {"

    # Only the listed commits count: the good one alone is fine.
    assert remote_log(nit, asset, "--to-index", "1")[0] == 0


def test_without_a_repository_a_nid_is_enough(
    nit: Nit, workdir: Path, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    asset = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    register_foreign(chain, asset, anvil.keys[2], 2)
    code, entries = remote_log(nit, asset)
    assert code == 0 and [e["local"] for e in entries] == [False, False]
    named = nit("log", "photo.jpg", "--remote")
    assert named.exit_code == 2 and "needs a repository" in named.stderr


def test_an_asset_with_no_commits_on_chain_is_not_found(
    nit: Nit, repo: Path, asset: str, on_chain: Network
) -> None:
    result = nit("log", asset, "--remote")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"nit: error: no commits of {asset} on devnet")


def test_remote_options_need_remote(nit: Nit, repo: Path, asset: str) -> None:
    for args in (("--blocks",), ("--from-index", "1"), ("--network", "devnet")):
        result = nit("log", asset, *args)
        assert result.exit_code == 2 and "only apply with --remote" in result.stderr
    assert nit("log", "--remote").exit_code == 2
    assert nit("diff", asset, "--to-index", "1").exit_code == 2


def test_unreachable_node_is_a_one_line_network_error(
    nit: Nit, repo: Path, asset: str, devnet: Network
) -> None:
    use_network(Network("dead", 31337, f"http://127.0.0.1:{free_port()}", devnet.contract), "dead")
    for args in (("log", asset, "--remote"), ("diff", asset, "--remote")):
        result = nit(*args, "--network", "dead")
        assert result.exit_code == 9, result.output
        assert result.stderr.startswith("nit: error: cannot reach RPC node at http://127.0.0.1:")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_stopped_node_is_a_one_line_network_error(nit: Nit, repo: Path, asset: str) -> None:
    from tests.support.anvil import anvil_or_skip

    node = anvil_or_skip()
    try:
        with ChainClient(Network("gone", 31337, node.rpc_url, None)) as deployer:
            contract = deployer.deploy_integrity_register(node.keys[0])
        gone = Network("gone", 31337, node.rpc_url, contract)
        use_network(gone, "gone")
        with ChainClient(gone) as client:
            client.send_commits([(asset, made_commit(asset, node.keys[1])[0])], node.keys[1])
        assert nit("log", asset, "--remote", "--network", "gone").exit_code == 0
    finally:
        node.stop()
    result = nit("log", asset, "--remote", "--network", "gone", "--json")
    assert result.exit_code == 9 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("nit: error: cannot reach RPC node")


# --- diff --remote -------------------------------------------------------------------


def test_diff_remote_compares_two_on_chain_commits(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    local = local_history(repo, asset)
    receipts = register_local(chain, repo, asset, anvil.keys[1])

    last_two = nit("diff", asset, "--remote", "--json")
    assert last_two.exit_code == 0, last_two.output
    value = json.loads(last_two.stdout)
    assert (value["fromIndex"], value["toIndex"]) == (1, 2)
    assert (value["fromBlock"], value["toTx"]) == (receipts[1].block_number, receipts[2].tx_hash)
    assert (value["fromCommitCid"], value["toCommitCid"]) == (local[1], local[2])
    removed = "".join(p["value"] for p in value["assetTreeDiff"] if p["removed"])
    added = "".join(p["value"] for p in value["assetTreeDiff"] if p["added"])
    assert "version 1" in removed and "version 2" in added

    first_two = json.loads(
        nit("diff", asset, "--remote", "--from-index", "0", "--to-index", "2", "--json").stdout
    )
    assert (first_two["fromIndex"], first_two["toIndex"]) == (0, 1)
    assert any("version 0" in p["value"] for p in first_two["assetTreeDiff"] if p["removed"])

    text = nit("diff", asset, "--remote", "--from-index", "0")
    assert text.exit_code == 0
    assert f"from: #0, block {receipts[0].block_number}, tx {receipts[0].tx_hash}" in text.stdout
    assert "assetTree:" in text.stdout


def test_diff_remote_names_a_missing_tree(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    register_local(chain, repo, asset, anvil.keys[1])
    foreign, tree = made_commit(asset, anvil.keys[2])
    chain.send_commits([(asset, foreign)], anvil.keys[2])
    tree_cid = json.loads(foreign)["assetTreeCid"]

    result = nit("diff", asset, "--remote")
    assert result.exit_code == 4
    assert f"AssetTree {tree_cid} of on-chain commit #3" in result.stderr
    assert f"`nit fetch {asset}`" in result.stderr
    assert nit("diff", asset, "--remote", "--to-index", "3").exit_code == 0
    Repository(repo).objects.put(tree)  # as an IPFS remote would bring it
    fixed = nit("diff", asset, "--remote", "--json")
    assert fixed.exit_code == 0, fixed.output
    assert any("made elsewhere" in p["value"] for p in json.loads(fixed.stdout)["assetTreeDiff"])
    assert nit("diff", asset, "--remote", "--from-index", "9").exit_code == 2


def test_diff_remote_ranges_and_junk_records(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    register_local(chain, repo, asset, anvil.keys[1])

    def ends(*options: str) -> tuple[int | None, int]:
        result = nit("diff", asset, "--remote", *options, "--json")
        assert result.exit_code == 0, result.output
        value = json.loads(result.stdout)
        assert value["toSignatureValid"] is True
        return value["fromIndex"], value["toIndex"]

    assert ends("--to-index", "2") == (0, 1)  # only B: the two commits before B
    assert ends("--to-index", "9") == (1, 2)  # clamped to the end
    assert ends("--to-index", "-1") == (0, 1)
    assert ends("--from-index", "2") == (None, 2)  # one commit: against nothing

    chain.send_commits([(asset, "{}")], anvil.keys[3])
    junk = nit("diff", asset, "--remote")
    assert junk.exit_code == 14
    assert junk.stderr.strip().endswith("is not a Numbers commit")
