"""A market command killed between the chain and its record, then run again: the
action happens on chain exactly once and is recorded exactly once.

The command runs as a real process (tests/support/market_crash.py) and kills
itself with SIGKILL at a chosen point: the journal write, the broadcast, the
receipts read, the settling of the journal after the record. Then the same
command (or another market command) runs in-process and must finish the job
from the market journal (ops.market.recovery) without sending it again.
`--no-push` keeps the record commits local, so the wallet's nonce counts the
market transactions alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.support.anvil import Anvil
from tests.support.lagging_node import Lag, lagging_front

from numbers_cli.chain import ChainClient
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import token_id
from numbers_cli.config import config_file
from numbers_cli.config_writer import set_table_entry
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree

DRIVER = Path(__file__).resolve().parents[1] / "support" / "market_crash.py"
C = contract_abi("Custody")
L = contract_abi("Licenses")


def killed(workdir: Path, log: Path, kill_at: str, *args: str) -> None:
    """Run `nit ARGS` as a process that SIGKILLs itself at `kill_at`."""
    run = subprocess.run(
        [sys.executable, str(DRIVER), "--log", str(log), "--kill-at", kill_at, "--", *args],
        cwd=workdir,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL, (kill_at, run.returncode, run.stderr)


def nonce(asset: Asset) -> int:
    """Transactions the node has from TEST_ADDRESS, mined or in its pool: a send that
    returned just before the kill may not be mined yet (anvil mines after answering)."""
    with ChainClient(asset.network) as client:
        return client._rpc.call_quantity("eth_getTransactionCount", [TEST_ADDRESS, "pending"])


def events(asset: Asset, address: str | None, name: str) -> list[dict[str, Any]]:
    """Every `name` event the contract at `address` ever emitted on the test chain."""
    assert address is not None
    abi = C if name == "CustodyMinted" else L
    with ChainClient(asset.network) as client:
        logs = client._rpc.call(
            "eth_getLogs", [{"address": address, "fromBlock": "0x0", "toBlock": "latest"}]
        )
    decoded = [abi.decode_log(log) for log in logs]
    return [event.args for event in decoded if event is not None and event.name == name]


def records(asset: Asset) -> list[str]:
    """The actionName of each commit of the asset's local history, oldest first."""
    repo = asset.repo()
    names = []
    for commit_nid in repo.refs.history(asset.nid):
        names.append(str(Commit.from_json(repo.objects.get(commit_nid)).get("actionName") or ""))
    return names


def journal(asset: Asset) -> Path:
    return asset.workdir / ".numbers" / "market" / "devnet.journal"


@pytest.mark.parametrize(
    ("kill_at", "sent_before"),
    [
        ("journal:1:before", False),  # nothing signed was kept: nothing may have left
        ("journal:1:after", False),  # journalled, never broadcast: the retry sends that one
        ("send:1:after", True),  # broadcast (anvil mines at once), receipt never read
        ("mined:1:after", True),  # mined and read back, nothing recorded
        ("settle:1:before", True),  # recorded, its journal entry not yet settled
    ],
)
def test_mint_killed_then_run_again_mints_once_and_records_once(
    nit: Nit, asset: Asset, tmp_path: Path, kill_at: str, sent_before: bool
) -> None:
    photo = str(asset.photo)
    custody = asset.network.custody
    before = nonce(asset)
    killed(asset.workdir, tmp_path / "mint.log", kill_at, "mint", photo, "--no-push")
    assert nonce(asset) - before == (1 if sent_before else 0)

    again = ok(nit("mint", photo, "--no-push", "--json"))

    result = json.loads(again.stdout)
    assert result["recovered"] is (kill_at != "journal:1:before")
    assert nonce(asset) - before == 1  # one mint transaction, whatever happened
    minted = events(asset, custody, "CustodyMinted")
    assert [e["tokenId"] for e in minted] == [token_id(asset.nid)]
    assert result["transactions"][0]["hash"].startswith("0x")
    # exactly one record, and the tree names the token once
    assert records(asset)[1:] == ["action-mint-erc721-nft"]
    repo = asset.repo()
    head = Commit.from_json(repo.objects.get(repo.refs.history(asset.nid)[-1]))
    assert head.get("actionResult") == f"eip155:31337/tx/{result['transactions'][0]['hash']}"
    assert result["record"]["commit"] == repo.refs.history(asset.nid)[-1]
    tree = AssetTree.from_bytes(repo.objects.get(head.tree_cid))
    assert len(tree.get("nftRecord")) == 1
    assert repo.objects.has(Nid(result["metadata"]))  # what tokenURI names is kept
    assert not journal(asset).exists()

    # Now it is done: a third run is refused like any second mint, and sends nothing.
    third = nit("mint", photo, "--no-push")
    assert third.exit_code == 21, third.output
    assert "already minted" in one_line_error(third)
    assert nonce(asset) - before == 1


def test_a_record_written_but_never_pushed_is_pushed_by_the_retry(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    killed(asset.workdir, tmp_path / "mint.log", "settle:1:before", "mint", photo)
    assert len(asset.chain_commits()) == 1  # the registration only: the record never left

    again = json.loads(ok(nit("mint", photo, "--json")).stdout)

    assert again["recovered"] is True
    assert "already recorded as commit" in " ".join(again["record"]["notes"])
    repo = asset.repo()
    record = Commit.from_json(repo.objects.get(repo.refs.history(asset.nid)[-1]))
    assert records(asset)[1:] == ["action-mint-erc721-nft"]
    assert asset.chain_commits() == [asset.chain_commits()[0], record.to_chain()]
    assert again["record"]["pushedTx"]


def test_a_purchase_killed_after_its_broadcast_is_never_bought_twice(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    ok(nit(*offer, "--no-push"))
    before = nonce(asset)
    killed(
        asset.workdir,
        tmp_path / "buy.log",
        "send:1:after",
        "license",
        "buy",
        photo,
        "1",
        "--no-push",
    )

    again = ok(nit("license", "buy", photo, "1", "--no-push"))

    assert "sent by an interrupted run and finished now: nothing was sent again" in again.stdout
    assert "recorded as commit" in again.stdout
    assert nonce(asset) - before == 1
    assert len(events(asset, asset.network.licenses, "Purchased")) == 1
    offers = json.loads(ok(nit("license", "list", photo, "--json")).stdout)
    assert offers["offers"][0]["sold"] == 1
    assert records(asset)[-1] == "action-license-purchase"
    assert records(asset).count("action-license-purchase") == 1
    assert not journal(asset).exists()


def rpc_of_devnet(url: str) -> None:
    """Point the user config's devnet (contracts and all) at `url`."""
    path = config_file("user")
    entry = dict(tomllib.loads(path.read_text())["networks"]["devnet"])
    entry["rpc"] = url
    set_table_entry("user", "networks", "devnet", entry)


def test_a_killed_purchase_is_finished_by_its_retry_when_the_node_serves_receipts_late(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """The load flake, made deterministic: the retry's node counts the purchase's nonce
    as used but serves its receipt only at the 10th ask (tests/support/lagging_node.py
    in front of the real anvil). The retry must finish it from its journal (not take it
    for dead and find it among the chain's events, or buy again)."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    ok(nit(*offer, "--no-push"))
    before = nonce(asset)
    buy = ("license", "buy", photo, "1", "--no-push")
    killed(asset.workdir, tmp_path / "buy.log", "send:1:after", *buy)

    lag = Lag(late_receipts=9, late_head=2)
    with lagging_front(asset.network.rpc_url, lag) as url:
        rpc_of_devnet(url)
        again = ok(nit(*buy))
    rpc_of_devnet(asset.network.rpc_url)

    assert lag.withheld_receipts  # receipts were late
    assert "sent by an interrupted run and finished now: nothing was sent again" in again.stdout
    assert nonce(asset) - before == 1
    assert len(events(asset, asset.network.licenses, "Purchased")) == 1
    assert records(asset).count("action-license-purchase") == 1
    assert not journal(asset).exists()


def test_another_command_first_finishes_the_interrupted_one(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    before = nonce(asset)
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")
    assert journal(asset).exists()

    # Two rule changes: two transactions, journalled and recorded as one action.
    change = ok(nit("govern", "set", photo, "commercial=yes", "royalty=1%", "--no-push", "--json"))

    result = json.loads(change.stdout)
    assert result["recovered"] is False
    (finished,) = result["finished"]
    assert (finished["action"], finished["state"]) == ("license-offer", "finished")
    assert records(asset)[-2:] == ["action-license-offer", "action-set-usage-rules"]
    assert finished["commit"] == asset.repo().refs.history(asset.nid)[-2]
    assert len(events(asset, asset.network.licenses, "OfferCreated")) == 1
    assert nonce(asset) - before == 3  # the offer, then usage and royalty
    assert not journal(asset).exists()
    shown = json.loads(ok(nit("govern", "show", photo, "--json")).stdout)
    assert (shown["usage"]["commercial"], shown["royaltyBps"], shown["offers"]) == (True, 100, [1])


def test_another_wallet_leaves_the_interrupted_action_to_the_one_that_sent_it(
    nit: Nit, asset: Asset, tmp_path: Path, anvil: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")

    with monkeypatch.context() as other:  # a second wallet, in the same repository
        other.setenv("NIT_PRIVATE_KEY", anvil.keys[2])
        bought = json.loads(ok(nit("license", "buy", photo, "1", "--no-push", "--json")).stdout)
    (waiting,) = bought["finished"]
    assert (waiting["action"], waiting["state"]) == ("license-offer", "waiting")
    assert TEST_ADDRESS in waiting["note"]
    assert "action-license-offer" not in records(asset)  # not recorded by someone else
    assert records(asset)[-1] == "action-license-purchase"

    finished = json.loads(ok(nit("govern", "set", photo, "commercial=yes", "--json")).stdout)
    assert [f["state"] for f in finished["finished"]] == ["finished"]
    assert records(asset).count("action-license-offer") == 1
    assert not journal(asset).exists()
