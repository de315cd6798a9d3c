"""Retries with no journal left, for the two actions that used to send again:
`nit govern set` (the rules set once more) and `nit license buy` run outside any
repository (a second licence paid for).

`govern set` now reads the chain: the requested rules already there and this
wallet's unrecorded UsageSet/RoyaltySet made them, it records those; already there
and recorded (or set by someone else), it sends and records nothing. A buyer whose
wallet bought the offer before is refused, naming that purchase, unless `--again`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from eth_account import Account
from tests.conftest import TEST_ADDRESS as TEST
from tests.conftest import Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.market.test_market_chain_recovery import head
from tests.market.test_market_interrupted import events, journal, killed, nonce, records
from tests.market.test_market_interrupted_buyer import buyer_nonce, licences_held
from tests.support.anvil import Anvil

from numbers_cli.chain import ChainClient
from numbers_cli.chain.abi import contract_abi

C = contract_abi("Custody")


def custody_events(asset: Asset, name: str) -> list[tuple[str, dict[str, object]]]:
    """(transaction, arguments) of every `name` event of the Custody contract."""
    with ChainClient(asset.network) as client:
        logs = client._rpc.call(
            "eth_getLogs",
            [{"address": asset.network.custody, "fromBlock": "0x0", "toBlock": "latest"}],
        )
    decoded = [C.decode_log(log) for log in logs]
    return [(e.tx_hash, e.args) for e in decoded if e is not None and e.name == name]


def rules(nit: Nit, photo: str) -> tuple[bool, int]:
    shown = json.loads(ok(nit("govern", "show", photo, "--json")).stdout)
    return shown["usage"]["commercial"], shown["royaltyBps"]


def test_a_rule_change_whose_journal_is_gone_is_recorded_from_the_chain_not_sent_again(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    change = ("govern", "set", photo, "commercial=yes", "royalty=1%", "--no-push")
    killed(asset.workdir, tmp_path / "set.log", "mined:1:after", *change)
    journal(asset).unlink()
    before = nonce(asset)

    dry = ok(nit(*change, "--dry-run"))
    assert "on the chain already but not recorded here" in dry.output
    assert nonce(asset) == before and records(asset)[-1] != "action-set-usage-rules"

    again = json.loads(ok(nit(*change, "--json")).stdout)

    assert nonce(asset) == before  # nothing sent again
    assert (again["recovered"], again["fromChain"]) == (True, True)
    assert len(custody_events(asset, "UsageSet")) == len(custody_events(asset, "RoyaltySet")) == 1
    ((royalty_tx, _),) = custody_events(asset, "RoyaltySet")
    assert [t["hash"] for t in again["transactions"]][-1] == royalty_tx
    assert head(asset).get("actionResult") == f"eip155:31337/tx/{royalty_tx}"
    assert records(asset).count("action-set-usage-rules") == 1
    assert rules(nit, photo) == (True, 100)

    # Recorded, and the chain has it: nothing to change, nothing sent, nothing recorded.
    third = ok(nit(*change))
    assert "already" in third.output and "nothing was sent" in third.output
    assert nonce(asset) == before
    assert records(asset).count("action-set-usage-rules") == 1

    # A change the chain does not have is sent; only the setting that differs.
    changed = json.loads(
        ok(nit(*change[:3], "commercial=yes", "royalty=3%", "--no-push", "--json")).stdout
    )
    assert nonce(asset) == before + 1 and len(changed["transactions"]) == 1
    assert changed["fromChain"] is False
    assert records(asset).count("action-set-usage-rules") == 2
    assert rules(nit, photo) == (True, 300)


def test_a_rule_change_made_elsewhere_with_the_same_wallet_is_recorded_here(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    ok(nit("mint", str(asset.photo), "--no-push"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ok(Nit(elsewhere)("govern", "set", asset.nid, "ai-training=yes", "--network", "devnet"))
    before = nonce(asset)

    again = ok(nit("govern", "set", str(asset.photo), "ai-training=yes", "--no-push"))

    assert "found on the chain and recorded now: nothing was sent" in again.output
    assert nonce(asset) == before
    assert records(asset)[-1] == "action-set-usage-rules"
    ((usage_tx, _),) = custody_events(asset, "UsageSet")
    assert head(asset).get("actionResult") == f"eip155:31337/tx/{usage_tx}"


def test_rules_already_so_by_the_mint_send_nothing_and_record_nothing(
    nit: Nit, asset: Asset
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--royalty", "250", "--no-push"))
    before, history = nonce(asset), records(asset)

    dry = ok(nit("govern", "set", photo, "royalty=2.5%", "--dry-run"))
    same = json.loads(ok(nit("govern", "set", photo, "royalty=2.5%", "--json")).stdout)

    assert "already" in dry.output and "nothing" in dry.output
    assert same["transactions"] == [] and same["record"] is None
    assert any("already" in note for note in same["notes"])
    assert nonce(asset) == before and records(asset) == history
    assert custody_events(asset, "RoyaltySet") == []


def test_a_buyer_outside_any_repository_whose_journal_is_lost_is_not_charged_twice(
    nit: Nit, asset: Asset, anvil: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    ok(nit("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit"))
    where = tmp_path / "buyer"
    where.mkdir()
    buyer = Nit(where)
    key = anvil.keys[2]
    address = str(Account.from_key(key).address)
    monkeypatch.setenv("NIT_PRIVATE_KEY", key)
    buy = ("license", "buy", asset.nid, "1", "--network", "devnet")
    killed(where, tmp_path / "buy.log", "mined:1:after", *buy)
    (Path(os.environ["NIT_DATA_DIR"]) / "market" / "devnet.journal").unlink()
    (purchase,) = [e for e in events(asset, asset.network.licenses, "Purchased")]
    before = buyer_nonce(asset, address)

    for args in (buy, (*buy, "--dry-run")):
        refused = buyer(*args)
        assert refused.exit_code == 21, refused.output
        line = one_line_error(refused)
        assert "already bought" in line and "--again" in line and "offer 1" in line
        with ChainClient(asset.network) as client:
            (log,) = client._rpc.call(
                "eth_getLogs",
                [{"address": asset.network.licenses, "fromBlock": "0x0", "toBlock": "latest",
                  "topics": [contract_abi("Licenses").event_topic("Purchased")]}],
            )  # fmt: skip
        assert log["transactionHash"] in line
    assert buyer_nonce(asset, address) == before and licences_held(asset, address, 1) == 1
    assert purchase["buyer"] == address

    second = json.loads(ok(buyer(*buy, "--again", "--json")).stdout)

    assert second["fromChain"] is False and second["transactions"]
    assert buyer_nonce(asset, address) == before + 1
    assert licences_held(asset, address, 1) == 2
    assert len(events(asset, asset.network.licenses, "Purchased")) == 2


def test_a_recorded_purchase_is_not_repeated_by_a_plain_retry_in_the_repository(
    nit: Nit, asset: Asset
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    ok(nit("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit"))
    ok(nit("license", "buy", photo, "1", "--no-push"))
    before = nonce(asset)

    refused = nit("license", "buy", photo, "1", "--no-push")

    assert refused.exit_code == 21 and "--again" in one_line_error(refused)
    assert nonce(asset) == before
    ok(nit("license", "buy", photo, "1", "--no-push", "--again"))
    assert nonce(asset) == before + 1
    assert records(asset).count("action-license-purchase") == 2


def test_both_transactions_of_a_recorded_rule_change_count_as_recorded(
    nit: Nit, asset: Asset
) -> None:
    """Two settings are two transactions; the commit names the last, and its action
    record lists both, so the first is not taken later for an unrecorded change."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    both = json.loads(
        ok(
            nit("govern", "set", photo, "commercial=yes", "royalty=1%", "--no-push", "--json")
        ).stdout
    )
    assert len(both["transactions"]) == 2
    before, history = nonce(asset), records(asset)

    usage_only = json.loads(
        ok(nit("govern", "set", photo, "commercial=yes", "--no-push", "--json")).stdout
    )

    assert (usage_only["unchanged"], usage_only["fromChain"]) == (True, False)
    assert nonce(asset) == before and records(asset) == history


def test_a_second_purchase_asked_for_is_still_bought_exactly_once_across_a_crash(
    nit: Nit, asset: Asset, anvil: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--again` does not weaken the journal: its killed run's retry finishes that
    purchase and buys no third licence."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    ok(nit("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit"))
    where = tmp_path / "buyer"
    where.mkdir()
    buyer = Nit(where)
    key = anvil.keys[2]
    address = str(Account.from_key(key).address)
    monkeypatch.setenv("NIT_PRIVATE_KEY", key)
    buy = ("license", "buy", asset.nid, "1", "--network", "devnet")
    ok(buyer(*buy))
    killed(where, tmp_path / "again.log", "send:1:after", *buy, "--again")

    retry = json.loads(ok(buyer(*buy, "--again", "--json")).stdout)

    assert retry["recovered"] is True
    assert licences_held(asset, address, 1) == 2
    assert len(events(asset, asset.network.licenses, "Purchased")) == 2


def test_a_dry_run_shows_whether_the_retry_adopts_or_sends(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """An unrecorded offer still on sale is adopted (the dry run says so, `fromChain`);
    once it is closed a new one would be sent, and the dry run prices it instead."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")
    journal(asset).unlink()

    adopts = ok(nit(*offer, "--dry-run"))
    adopts_json = json.loads(ok(nit(*offer, "--dry-run", "--json")).stdout)

    assert "on the chain already but not recorded here" in adopts.output
    assert "records it and sends nothing" in adopts.output
    assert (adopts_json["fromChain"], adopts_json["offer"], adopts_json["estimate"]) == (
        True,
        1,
        None,
    )

    elsewhere = tmp_path / "elsewhere"  # the same wallet closes it outside the repository
    elsewhere.mkdir()
    ok(Nit(elsewhere)("license", "close", asset.nid, "1", "--network", "devnet"))

    sends = ok(nit(*offer, "--dry-run"))
    sends_json = json.loads(ok(nit(*offer, "--dry-run", "--json")).stdout)

    assert "would send 1 transaction" in sends.output
    assert sends_json["fromChain"] is False and sends_json["estimate"]["gas"]


def test_the_plan_the_chain_already_has_is_not_sent_again(nit: Nit, asset: Asset) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    other = "0x000000000000000000000000000000000000bEEF"
    plan = ("royalty", "plan", photo, "--payee", f"{other}:7000", "--payee", f"{TEST}:3000")
    ok(nit(*plan, "--no-push"))
    before, history = nonce(asset), records(asset)

    again = ok(nit(*plan, "--no-push"))
    as_json = json.loads(ok(nit(*plan, "--no-push", "--json")).stdout)

    assert "already is (nothing was sent)" in again.output
    assert (as_json["unchanged"], as_json["transactions"], as_json["record"]) == (True, [], None)
    assert nonce(asset) == before and records(asset) == history
    # the first payee gets the rounding dust: the same shares in another order differ
    swapped = ("royalty", "plan", photo, "--payee", f"{TEST}:3000", "--payee", f"{other}:7000")
    ok(nit(*swapped, "--no-push"))
    assert nonce(asset) == before + 1
    assert len(events(asset, asset.network.licenses, "PlanSet")) == 2
