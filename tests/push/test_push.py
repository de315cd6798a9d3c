"""`nit push` on a real anvil: what lands on chain, in which order, and what it records."""

from __future__ import annotations

import json

import pytest
from tests.push.conftest import committed, make_files, use_network
from tests.support.store_damage import sql

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def chain_commits(network: Network, asset: str) -> list[Nid]:
    """Commit Nids of `asset` on chain, in chain order."""
    with ChainClient(network) as client:
        return [Nid.of_bytes(r.commit_data.encode()) for r in client.history(asset)]


def local_history(workdir, asset: str) -> list[Nid]:
    return Repository.find(workdir).refs.history(asset)


def assets_of(workdir) -> list[Nid]:
    return Repository.find(workdir).refs.assets()


def test_push_registers_every_commit_in_order_and_records_it(nit, repo, workdir, on_devnet):
    photo = workdir / "a.bin"
    photo.write_bytes(b"first version")
    committed(nit, photo)
    [asset] = assets_of(workdir)
    # a second commit of the same asset (an update of its metadata)
    assert nit("add", str(photo), "--license", "cc-by-4.0").exit_code == 0
    assert nit("commit", "-m", "licence").exit_code == 0
    others = make_files(workdir, 3)
    committed(nit, *others)

    result = nit("push", "--no-ipfs")

    assert result.exit_code == 0, result.stderr
    assert "5 commits registered on devnet" in result.stdout
    repo_ = Repository.find(workdir)
    for nid in repo_.refs.assets():
        local = repo_.refs.history(nid)
        assert chain_commits(on_devnet, nid) == local
        recorded = repo_.refs.remote_history("devnet", nid)
        assert [e.commit for e in recorded] == local
        assert all(e.tx_hash.startswith("0x") and e.block > 0 for e in recorded)
    assert len(local_history(workdir, asset)) == 2


def test_second_push_sends_nothing(nit, repo, workdir, on_devnet):
    committed(nit, *make_files(workdir, 2))
    assert nit("push", "--no-ipfs").exit_code == 0
    with ChainClient(on_devnet) as client:
        nonce = client._rpc.call_quantity("eth_getTransactionCount", [on_devnet_sender(), "latest"])

    again = nit("push", "--no-ipfs")

    assert again.exit_code == 0, again.stderr
    assert "Everything up to date on devnet" in again.stdout
    with ChainClient(on_devnet) as client:
        assert (
            client._rpc.call_quantity("eth_getTransactionCount", [on_devnet_sender(), "latest"])
            == nonce
        )


def on_devnet_sender() -> str:
    from tests.conftest import TEST_ADDRESS

    return TEST_ADDRESS


def test_dry_run_lists_and_sends_nothing(nit, repo, workdir, on_devnet):
    committed(nit, *make_files(workdir, 2))

    result = nit("push", "--no-ipfs", "--dry-run", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert [c["state"] for c in report["commits"]] == ["planned", "planned"]
    for nid in assets_of(workdir):
        assert chain_commits(on_devnet, nid) == []


def test_json_result_names_every_commit_with_its_transaction(nit, repo, workdir, on_devnet):
    committed(nit, *make_files(workdir, 2))

    result = nit("push", "--no-ipfs", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["network"] == "devnet" and report["chain_id"] == on_devnet.chain_id
    assert {c["asset"] for c in report["commits"]} == set(assets_of(workdir))
    for c in report["commits"]:
        assert c["state"] == "pushed"
        assert c["commit"] == local_history(workdir, c["asset"])[0]
        assert c["tx_hash"].startswith("0x") and len(c["tx_hash"]) == 66
        assert isinstance(c["block"], int)


def test_commits_already_on_chain_are_recorded_not_sent_again(nit, repo, workdir, on_devnet):
    """Refs lost (or the push made from another clone): the chain is asked first."""
    committed(nit, *make_files(workdir, 3))
    assert nit("push", "--no-ipfs").exit_code == 0
    sql(workdir, "DELETE FROM refs WHERE name LIKE 'refs/remotes/devnet/%'")

    result = nit("push", "--no-ipfs", "--json")

    assert result.exit_code == 0, result.stderr
    states = [c["state"] for c in json.loads(result.stdout)["commits"]]
    assert states == ["found"] * 3
    for nid in assets_of(workdir):
        assert chain_commits(on_devnet, nid) == local_history(workdir, nid)  # once each
    assert "Everything up to date" in nit("push", "--no-ipfs").stdout


def test_push_of_chosen_assets_only(nit, repo, workdir, on_devnet):
    first, second = make_files(workdir, 2)
    committed(nit, first, second)

    assert nit("push", "--no-ipfs", str(first)).exit_code == 0

    repo_ = Repository.find(workdir)
    first_nid = repo_.index().tracked["file-0.bin"].nid
    second_nid = repo_.index().tracked["file-1.bin"].nid
    assert len(chain_commits(on_devnet, first_nid)) == 1
    assert chain_commits(on_devnet, second_nid) == []


def test_status_shows_what_is_pushed(nit, repo, workdir, on_devnet):
    committed(nit, *make_files(workdir, 1))
    before = json.loads(nit("status", "--json").stdout)
    assert nit("push", "--no-ipfs").exit_code == 0
    after = json.loads(nit("status", "--json").stdout)
    assert before != after


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"chain_id": 1}, "serves chain id 31337, but network devnet is chain id 1"),
        ({"contract": "0x000000000000000000000000000000000000dEaD"}, "no contract at"),
        ({"rpc": "http://127.0.0.1:9"}, "127.0.0.1:9"),
    ],
)
def test_bad_network_fails_in_one_line_and_sends_nothing(
    nit, repo, workdir, on_devnet, change, expected
):
    import dataclasses

    committed(nit, *make_files(workdir, 1))
    renamed = {"chain_id": "chain_id", "contract": "contract", "rpc": "rpc_url"}
    bad = dataclasses.replace(on_devnet, **{renamed[k]: v for k, v in change.items()})
    use_network(bad)

    result = nit("push", "--no-ipfs")

    assert result.exit_code == 9, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    use_network(on_devnet)
    [nid] = assets_of(workdir)
    assert chain_commits(on_devnet, nid) == []
    assert not (workdir / ".numbers" / "push" / "devnet.journal").exists()


def test_insufficient_funds_shows_balance_and_cost(nit, repo, workdir, devnet, monkeypatch):
    use_network(devnet)
    poor_key = "0x" + "11" * 32
    monkeypatch.setenv("NIT_PRIVATE_KEY", poor_key)
    committed(nit, *make_files(workdir, 2))

    result = nit("push", "--no-ipfs")

    assert result.exit_code == 9
    assert "insufficient funds on devnet" in result.stderr
    assert "has 0 ETH" in result.stderr and "would cost an estimated" in result.stderr
    assert result.stderr.count("\n") == 1


def test_wrong_passphrase_fails_before_sending(nit, repo, workdir, devnet, funded, monkeypatch):
    use_network(devnet)
    monkeypatch.setenv("NIT_PASSPHRASE", "right one")
    assert nit("wallet", "create").exit_code == 0
    committed(nit, *make_files(workdir, 1))
    monkeypatch.setenv("NIT_PASSPHRASE", "wrong one")

    result = nit("push", "--no-ipfs")

    assert result.exit_code == 6, result.stderr
    [nid] = assets_of(workdir)
    assert chain_commits(devnet, nid) == []


def test_unknown_network_is_a_config_error(nit, repo, workdir, signing_key):
    committed(nit, *make_files(workdir, 1))
    result = nit("push", "--no-ipfs", "--network", "nope")
    assert result.exit_code == 8
    assert "unknown network 'nope'" in result.stderr
