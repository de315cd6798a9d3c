"""Push conflicts, `nit status --remote` and `nit verify --remote`, against a real anvil
(and the real js-ipfs node for trees that are only on the remote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import made_commit
from tests.support.ipfs_node import IpfsNode

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def _status(nit: Nit) -> dict[str, Any]:
    return {
        a["asset"]: a
        for a in json.loads(ok(nit("status", "--remote", "--json")).stdout)["remote"]["assets"]
    }


def _foreign_commit(repo: Path, chain: ChainClient, asset: str, key: str) -> str:
    """Another clone's commit of `asset` on chain (its tree kept here, as a fetch would)."""
    data, tree = made_commit(asset, key, note="made on another clone")
    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(Nid.of_bytes(tree), tree)
    chain.send_commits([(asset, data)], key)
    return str(Nid.of_bytes(data.encode()))


def test_push_refuses_an_asset_the_chain_moved_on(
    nit: Nit,
    repo: Path,
    media: Any,
    on_devnet: Network,
    chain: ChainClient,
    anvil: Anvil,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NIT_NETWORK", "devnet")
    media("Canon_40D.jpg", "Nikon_D70.jpg")
    ok(nit("add", "Canon_40D.jpg", "Nikon_D70.jpg"))
    ok(nit("commit", "-m", "registration"))
    ok(nit("push", "--no-ipfs"))
    moved, other = (
        json.loads(nit("hash", n, "--json").stdout)[0]["nid"]
        for n in ("Canon_40D.jpg", "Nikon_D70.jpg")
    )
    assert _status(nit)[moved]["state"] == "up to date"
    unseen = _foreign_commit(repo, chain, moved, anvil.keys[2])
    state = _status(nit)[moved]
    assert state["state"] == "behind" and state["unseen"] == [unseen]
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        ok(nit("add", name, "-m", "an update"))
    ok(nit("commit", "-m", "update"))
    assert _status(nit)[moved]["state"] == "diverged" and _status(nit)[other]["state"] == "ahead"
    text = ok(nit("status", "--remote")).stdout
    assert "diverged" in text and "never seen here" in text
    result = nit("push", "--no-ipfs")
    assert result.exit_code == 19
    assert f"`nit fetch {moved}` first" in result.stderr and "--force" in result.stderr
    assert chain.commit_counts([moved, other]) == {moved: 2, other: 2}  # the other one went
    ok(nit("push", "--no-ipfs", "--force"))
    assert chain.commit_counts([moved]) == {moved: 3}


def test_fetch_then_push_resolves_the_conflict(
    nit: Nit,
    repo: Path,
    media: Any,
    on_devnet: Network,
    chain: ChainClient,
    anvil: Anvil,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NIT_NETWORK", "devnet")
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg"))
    ok(nit("commit", "-m", "registration"))
    ok(nit("push", "--no-ipfs"))
    asset = json.loads(nit("log", "--json").stdout)[0]["asset"]
    _foreign_commit(repo, chain, asset, anvil.keys[2])
    ok(nit("fetch", asset))
    assert _status(nit)[asset]["state"] == "up to date"
    ok(nit("add", "Canon_40D.jpg", "-m", "after the fetch"))
    ok(nit("commit", "-m", "update"))
    ok(nit("push", "--no-ipfs"))
    assert chain.commit_counts([asset]) == {asset: 3}


def _checks(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in json.loads(stdout)["checks"]}


def test_verify_remote_all_the_way_down(
    nit: Nit,
    repo: Path,
    asset: str,
    registered: Any,
    chain: ChainClient,
    anvil: Anvil,
    signing_key: str,
) -> None:
    result = nit("verify", "Canon_40D.jpg", "--remote", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    checks = _checks(result.stdout)
    assert report["commit"]["index"] == 2 and report["head"]["state"] == "up to date"
    for name in ("chain", "content", "tree", "assetCid", "assetSha256", "signature", "committer"):
        assert checks[name]["ok"], checks
    assert "in this repository" in checks["tree"]["detail"]
    text = ok(nit("verify", asset, "--network", "devnet")).stdout
    assert "VERIFIED" in text and "local head up to date" in text
    # A local commit not pushed: ahead. Another clone's commit on chain too: diverged,
    # and that latest commit is signed by someone other than its committer.
    ok(nit("add", "Canon_40D.jpg", "-m", "local only"))
    ok(nit("commit", "-m", "not pushed"))
    assert json.loads(nit("verify", asset, "--remote", "--json").stdout)["head"]["state"] == "ahead"
    data, tree = made_commit(asset, anvil.keys[3], committer="0x" + "22" * 20)
    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(Nid.of_bytes(tree), tree)
    chain.send_commits([(asset, data)], anvil.keys[3])
    result = nit("verify", asset, "--remote", "--json")
    assert result.exit_code == 13
    report = json.loads(result.stdout)
    assert report["head"]["state"] == "diverged" and report["commit"]["index"] == 3
    assert not _checks(result.stdout)["committer"]["ok"]


def test_verify_remote_catches_a_changed_file(
    nit: Nit, repo: Path, asset: str, registered: Any
) -> None:
    photo = repo / "Canon_40D.jpg"
    photo.write_bytes(photo.read_bytes() + b"\0")
    result = nit("verify", "Canon_40D.jpg", "--remote")
    assert result.exit_code == 10 and "✗ content" in result.stdout


def test_verify_remote_reads_the_tree_from_ipfs(
    nit: Nit, repo: Path, second: Nit, asset: str, registered: Any, ipfs_node: IpfsNode
) -> None:
    ok(nit("remote", "add", "node", ipfs_node.api_url, "--global"))
    ok(nit("push", "--no-chain"))
    result = second("verify", asset, "--remote", "--json")  # a clone that has nothing
    assert result.exit_code == 0, result.output
    tree = _checks(result.stdout)["tree"]
    assert "from the IPFS remote (CID recomputed)" in tree["detail"]
    assert json.loads(result.stdout)["head"]["state"] == "behind"


def test_verify_remote_of_an_unregistered_asset(
    nit: Nit, repo: Path, asset: str, on_chain: Network
) -> None:
    result = nit("verify", asset, "--remote")
    assert result.exit_code == 4 and "no commits of" in result.stderr


def test_verify_remote_applies_a_policy(
    nit: Nit, repo: Path, asset: str, registered: Any, tmp_path: Path
) -> None:
    """The commits were signed by TEST_ADDRESS (the `asset` fixture's signing key)."""
    from tests.conftest import TEST_ADDRESS

    good = tmp_path / "good.toml"
    good.write_text(f'[signers]\nallow = ["{TEST_ADDRESS}"]\n[require]\nmax_age = "1d"\n')
    result = nit("verify", asset, "--remote", "--policy", str(good), "--json")
    assert result.exit_code == 0, result.output
    assert [c["ok"] for c in json.loads(result.stdout)["checks"] if c["check"] == "policy"] == [
        True,
        True,
    ]
    other = tmp_path / "other.toml"
    other.write_text(
        '[signers]\nallow = ["0x63B7076FC0A914Af543C2e5c201df6C29FCC18c5"]\n'
        '[require]\nfields = ["license"]\n'
    )
    result = nit("verify", asset, "--remote", "--policy", str(other))
    assert result.exit_code == 16, result.output
    assert f"signer {TEST_ADDRESS} is not allowed by other.toml [signers]" in result.stdout
    assert "latest tree lacks license" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[signers]\nallowed = []\n")
    result = nit("verify", asset, "--remote", "--policy", str(bad))
    assert result.exit_code == 8 and "allowed" in result.stderr
