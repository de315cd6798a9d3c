"""`nit fetch` against a real anvil: a second repository continues an asset's history."""

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
from tests.support.store_damage import snapshot, sql
from tests.support.tools import free_port

from numbers_cli.chain import ChainClient, Network, Receipt
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository


def fetch(nit: Nit, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = nit("fetch", *args, "--json")
    assert result.stdout, result.output
    return result.exit_code, json.loads(result.stdout)


def ref_files(workdir: Path) -> dict[str, object]:
    """Every ref's text, and the store's content, to prove a second fetch writes nothing."""
    return {
        "refs": dict(sql(workdir, "SELECT name, value FROM refs")),  # type: ignore[arg-type]
        "store": snapshot(workdir)["store.db"],
    }


def remote_refs(workdir: Path, network: str) -> list[object]:
    return [
        name
        for (name,) in sql(
            workdir, "SELECT name FROM refs WHERE name LIKE ?", (f"refs/remotes/{network}/%",)
        )
    ]


def test_fetch_into_a_fresh_repository_reproduces_the_history(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    registered: list[Receipt],
) -> None:
    history = local_history(repo, asset)

    code, result = fetch(second, asset)

    assert code == 0
    assert result["state"] == "new"
    assert (result["onChain"], result["fetched"]) == (3, 3)
    assert result["stored"] == history and result["headUpdated"] and result["remoteUpdated"]
    assert len(result["missingTrees"]) == 3  # trees live on IPFS, not on chain
    there = Repository(second.cwd)
    assert there.refs.history(asset) == history
    assert there.refs.remote_history("devnet", asset) == [
        RemoteEntry(c, r.tx_hash, r.block_number) for c, r in zip(history, registered, strict=True)
    ]
    for commit in history:  # the exact bytes, so the same ids everywhere
        assert there.objects.get(commit) == Repository(repo).objects.get(commit)

    here = json.loads(nit("log", asset, "--json").stdout)
    log = second("log", asset, "--json")
    assert log.exit_code == 0, log.output
    # The same history; only the tracked file name is this repository's own.
    assert [e | {"path": None} for e in json.loads(log.stdout)] == [
        e | {"path": None} for e in here
    ]
    assert all(e["local"] for e in json.loads(second("log", asset, "--remote", "--json").stdout))

    # Trees come from IPFS, not the chain: once the store has them, fetch finds
    # them and the repository is whole.
    for tree in result["missingTrees"]:
        there.objects.put(Repository(repo).objects.get(Nid(tree)))
    assert fetch(second, asset)[1]["missingTrees"] == []
    assert second("fsck").exit_code == 0
    assert second("verify", asset).exit_code == 0


def test_fetching_twice_changes_nothing(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    registered: list[Receipt],
) -> None:
    assert fetch(second, asset)[0] == 0
    before = ref_files(second.cwd)
    objects = sorted((second.cwd / ".numbers" / "objects").rglob("*"))

    code, again = fetch(second, asset)

    assert code == 0
    assert again["state"] == "up-to-date" and again["changed"] is False
    assert again["stored"] == [] and not again["headUpdated"] and not again["remoteUpdated"]
    assert ref_files(second.cwd) == before
    assert sorted((second.cwd / ".numbers" / "objects").rglob("*")) == objects
    text = second("fetch", asset)
    assert text.exit_code == 0 and "already up to date" in text.stdout


def test_fetch_in_the_origin_repository_finds_its_trees(
    nit: Nit, repo: Path, asset: str, registered: list[Receipt]
) -> None:
    before = local_history(repo, asset)
    code, result = fetch(nit, "Canon_40D.jpg")  # a tracked file names its asset
    assert code == 0
    assert result["state"] == "up-to-date" and result["stored"] == []
    assert result["missingTrees"] == [] and result["remoteUpdated"]
    assert local_history(repo, asset) == before


def test_local_ahead_of_the_chain_is_kept(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    history = local_history(repo, asset)
    register_local(chain, repo, asset, anvil.keys[1], history[:2])

    text = nit("fetch", asset)
    assert text.exit_code == 0, text.output
    assert "local history is ahead of the chain" in text.stdout
    assert "1 local commit not pushed" in text.stdout
    assert local_history(repo, asset) == history
    assert [e.commit for e in Repository(repo).refs.remote_history("devnet", asset)] == history[:2]
    status = json.loads(nit("status", "--json").stdout)
    assert [(u["nid"], u["commits"]) for u in status["unpushed"]] == [(asset, 1)]


def test_fast_forward_after_another_machine_pushed(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    history = local_history(repo, asset)
    register_local(chain, repo, asset, anvil.keys[1], history[:1])
    assert fetch(second, asset)[1]["state"] == "new"
    register_local(chain, repo, asset, anvil.keys[1], history[1:])

    code, result = fetch(second, asset)
    assert code == 0 and result["state"] == "fast-forward"
    assert result["stored"] == history[1:]
    assert local_history(second.cwd, asset) == history


def test_diverged_history_puts_the_chain_first(
    nit: Nit, repo: Path, asset: str, on_chain: Network, chain: ChainClient, anvil: Anvil
) -> None:
    """Local c0 c1 c2; chain c0 X (X from another machine) → c0 X c1 c2, c1 c2 unpushed."""
    c0, c1, c2 = local_history(repo, asset)
    register_local(chain, repo, asset, anvil.keys[1], [c0])
    foreign, _ = made_commit(asset, anvil.keys[2], note="from another machine")
    chain.send_commits([(asset, foreign)], anvil.keys[2])
    x = commit_nid(foreign)

    code, result = fetch(nit, asset)
    assert code == 0
    assert result["state"] == "diverged"
    assert result["localOnly"] == [c1, c2] and result["stored"] == [x]
    assert local_history(repo, asset) == [c0, x, c1, c2]
    assert [e.commit for e in Repository(repo).refs.remote_history("devnet", asset)] == [c0, x]
    log = nit("log", asset, "--json")
    assert log.exit_code == 0
    assert {e["commitCid"] for e in json.loads(log.stdout)} == {c0, x, c1, c2}
    status = json.loads(nit("status", "--json").stdout)
    assert [(u["nid"], u["commits"]) for u in status["unpushed"]] == [(asset, 2)]
    assert fetch(nit, asset)[1]["state"] == "ahead"


def test_commits_with_bad_signatures_are_left_out(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    c0, c1, _ = local_history(repo, asset)
    register_local(chain, repo, asset, anvil.keys[1], [c0])
    forged, _ = made_commit(
        asset, anvil.keys[3], committer=json.loads(Repository(repo).objects.get(c0))["committer"]
    )
    chain.send_commits([(asset, forged)], anvil.keys[3])
    register_local(chain, repo, asset, anvil.keys[1], [c1])

    result = second("fetch", asset)
    assert result.exit_code == 13
    assert result.stderr.strip().startswith("nit: warning: left out on-chain commit #1 (tx 0x")
    assert "not by the committer" in result.stderr
    there = Repository(second.cwd)
    assert there.refs.history(asset) == [c0, c1]
    assert not there.objects.has(commit_nid(forged))
    assert [e.commit for e in there.refs.remote_history("devnet", asset)] == [c0, c1]

    code, again = fetch(second, asset)
    assert code == 13 and again["changed"] is False
    assert [r["index"] for r in again["rejected"]] == [1]


def test_interrupted_fetch_keeps_refs_and_finishes_next_time(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    registered: list[Receipt],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numbers_cli.repo import refs

    real = refs.Refs.render_remote

    def interrupted(entries: list[RemoteEntry]) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(refs.Refs, "render_remote", staticmethod(interrupted))
    result = second("fetch", asset)
    assert result.exit_code == 130
    assert local_history(second.cwd, asset) == []  # one transaction: no refs, no objects
    assert remote_refs(second.cwd, "devnet") == []

    monkeypatch.setattr(refs.Refs, "render_remote", staticmethod(real))
    code, done = fetch(second, asset)
    assert code == 0 and done["state"] == "new"
    assert done["stored"] == local_history(repo, asset)
    assert local_history(second.cwd, asset) == local_history(repo, asset)


def test_nothing_anywhere_is_not_found(nit: Nit, second: Nit, on_chain: Network) -> None:
    nid = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    result = second("fetch", nid)
    assert result.exit_code == 4
    assert result.stderr.startswith(f"nit: error: no commits of {nid} on devnet")


def test_fetch_needs_a_reachable_node(nit: Nit, repo: Path, asset: str, devnet: Network) -> None:
    use_network(Network("dead", 31337, f"http://127.0.0.1:{free_port()}", devnet.contract), "dead")
    result = nit("fetch", asset, "--network", "dead")
    assert result.exit_code == 9
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("nit: error: cannot reach RPC node")
    assert not (repo / ".numbers" / "refs" / "remotes" / "dead").exists()


def tree_cids(workdir: Path, asset: str) -> list[Nid]:
    store = Repository(workdir).objects
    return [
        Nid(json.loads(store.get(commit))["assetTreeCid"])
        for commit in local_history(workdir, asset)
    ]


@pytest.mark.ipfs
def test_fetch_brings_the_trees_from_the_ipfs_remote(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    registered: list[Receipt],
    ipfs_node,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    trees = tree_cids(repo, asset)
    for tree in trees:  # what `nit push` uploads, put on the node directly
        path = tmp_path / f"{tree}.json"
        path.write_bytes(Repository(repo).objects.get(tree))
        assert ipfs_node.add(path) == tree
    added = second("remote", "add", "node", ipfs_node.api_url, "--global")
    assert added.exit_code == 0, added.output

    code, result = fetch(second, asset)

    assert code == 0, result
    assert result["missingTrees"] == [] and result["treeError"] is None
    assert all(Repository(second.cwd).objects.has(tree) for tree in trees)
    assert second("verify", asset).exit_code == 0
    diff = second("diff", asset, "--remote", "--json")
    assert diff.exit_code == 0, diff.output


def test_an_unreachable_ipfs_remote_leaves_trees_missing_not_the_fetch(
    nit: Nit,
    repo: Path,
    asset: str,
    second: Nit,
    registered: list[Receipt],
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert second("remote", "add", "dead", dead, "--timeout", "2", "--global").exit_code == 0

    code, result = fetch(second, asset)

    assert code == 0
    assert result["missingTrees"] == tree_cids(repo, asset)
    assert result["treeError"] and "127.0.0.1" in result["treeError"]
    assert local_history(second.cwd, asset) == local_history(repo, asset)
    text = second("diff", asset, "--remote")
    assert text.exit_code == 9 and len(text.stderr.strip().splitlines()) == 1
