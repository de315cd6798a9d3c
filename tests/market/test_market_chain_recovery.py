"""A market action mined on chain whose record was never written, and whose journal
entry is gone too (the journal deleted, or the action done from another place with
the same wallet): the retry records it from the chain alone, and sends nothing.

And a dry run says what the real run would finish first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from tests.conftest import TEST_ADDRESS, Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.market.test_market_interrupted import events, journal, killed, nonce, records
from tests.support.anvil import Anvil
from tests.support.market import address_of, send, sign_mint
from tests.support.range_limited_node import range_limited

from numbers_cli.chain import ChainClient
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import token_id
from numbers_cli.config import Config
from numbers_cli.config_writer import set_table_entry
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree

OTHER = "0x000000000000000000000000000000000000bEEF"


def head(asset: Asset) -> Commit:
    repo = asset.repo()
    return Commit.from_json(repo.objects.get(repo.refs.history(asset.nid)[-1]))


def nft_records(asset: Asset) -> list[dict[str, str]]:
    tree = AssetTree.from_bytes(asset.repo().objects.get(head(asset).tree_cid))
    return list(tree.get("nftRecord") or [])


def test_a_mint_whose_journal_is_gone_is_recorded_from_the_chain_once(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    before = nonce(asset)
    killed(asset.workdir, tmp_path / "mint.log", "mined:1:after", "mint", photo, "--no-push")
    journal(asset).unlink()  # the note of the mint is lost: only the chain knows
    (minted,) = events(asset, asset.network.custody, "CustodyMinted")

    dry = ok(nit("mint", photo, "--dry-run"))  # says what the real run will do, does nothing
    assert "on the chain already but not recorded here" in dry.output
    assert records(asset)[1:] == [] and nonce(asset) - before == 1

    again = ok(nit("mint", photo, "--no-push", "--json"))

    result = json.loads(again.stdout)
    assert nonce(asset) - before == 1  # nothing sent again
    assert len(events(asset, asset.network.custody, "CustodyMinted")) == 1
    assert result["recovered"] is True and result["fromChain"] is True
    tx = result["transactions"][0]["hash"]
    assert head(asset).get("actionResult") == f"eip155:31337/tx/{tx}"
    assert records(asset)[1:] == ["action-mint-erc721-nft"]
    assert result["record"]["commit"] == asset.repo().refs.history(asset.nid)[-1]
    assert nft_records(asset) == [
        {
            "network": "devnet",
            "contractAddress": asset.network.custody,
            "tokenId": str(token_id(asset.nid)),
        }
    ]
    assert result["tokenId"] == str(minted["tokenId"])
    # the metadata the token names (rebuilt from the history, checked against the
    # digest on chain) is kept, as a normal mint keeps it
    assert asset.repo().objects.has(Nid(result["metadata"]))
    assert result["tokenURI"] == f"ipfs://{result['metadata']}"

    # Recorded once: the next run is refused like any second mint and records nothing.
    third = nit("mint", photo, "--no-push")
    assert third.exit_code == 21, third.output
    assert "already minted" in one_line_error(third)
    assert records(asset)[1:] == ["action-mint-erc721-nft"]
    assert nonce(asset) - before == 1


def test_a_mint_done_elsewhere_with_the_same_wallet_is_recorded_by_the_retry_here(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """Minted from another place (no history there: nothing recorded, the journal in
    that place's data dir); the repository holding the history records it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    recipient = "0x000000000000000000000000000000000000bEEF"
    ok(
        Nit(elsewhere)(
            "mint", asset.nid, "--network", "devnet", "--to", recipient, "--royalty", "250"
        )
    )
    assert records(asset)[1:] == []
    before = nonce(asset)

    again = ok(nit("mint", str(asset.photo), "--no-push"))

    assert nonce(asset) - before == 0
    assert "already minted on devnet but not recorded here" in again.output
    assert "nothing was sent" in again.output
    assert records(asset)[1:] == ["action-mint-erc721-nft"]
    attachment = json.loads(asset.repo().objects.get(Nid(str(head(asset).get("attachment")))))
    # the metadata minted elsewhere (described without a history) is what is attached
    assert attachment["properties"]["nid"] == asset.nid
    assert len(nft_records(asset)) == 1
    third = nit("mint", str(asset.photo), "--no-push")
    assert third.exit_code == 21


def test_dry_run_reports_the_interrupted_action_the_real_run_finishes_first(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")
    before = nonce(asset)

    dry = json.loads(
        ok(nit("govern", "set", photo, "commercial=yes", "--dry-run", "--json")).stdout
    )
    text = ok(nit("govern", "set", photo, "commercial=yes", "--dry-run"))

    (pending,) = dry["finished"]
    assert (pending["action"], pending["asset"], pending["state"]) == (
        "license-offer",
        asset.nid,
        "pending",
    )
    assert pending["tx"].startswith("0x")
    assert "would first finish the interrupted license-offer" in text.output
    assert nonce(asset) == before and journal(asset).exists()  # a dry run changes nothing
    assert "action-license-offer" not in records(asset)

    real = json.loads(ok(nit("govern", "set", photo, "commercial=yes", "--json")).stdout)
    assert [(f["action"], f["state"]) for f in real["finished"]] == [("license-offer", "finished")]


def test_dry_run_of_the_interrupted_request_itself_says_nothing_would_be_sent(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    killed(asset.workdir, tmp_path / "mint.log", "send:1:after", "mint", photo, "--no-push")
    before = nonce(asset)

    dry = nit("mint", photo, "--dry-run", "--json")

    assert dry.exit_code == 0, dry.output  # not "already minted": the real run finishes it
    result = json.loads(dry.stdout)
    assert result["dryRun"] is True and result["recovered"] is True
    (pending,) = result["finished"]
    assert (pending["action"], pending["state"], pending["sameRequest"]) == (
        "mint",
        "pending",
        True,
    )
    text = ok(nit("mint", photo, "--dry-run"))
    assert "an interrupted run already sent this mint" in text.output
    assert nonce(asset) == before and journal(asset).exists()
    assert records(asset)[1:] == []


OFFER = ("license", "offer", "--price", "1000 wei", "--supply", "5", "--terms", "mit")


def test_an_offer_whose_journal_is_gone_is_recorded_by_the_retry_not_offered_twice(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = (*OFFER[:2], photo, *OFFER[2:])
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")
    journal(asset).unlink()
    before = nonce(asset)

    again = json.loads(ok(nit(*offer, "--no-push", "--json")).stdout)

    assert nonce(asset) == before  # not offered a second time
    assert len(events(asset, asset.network.licenses, "OfferCreated")) == 1
    assert (again["fromChain"], again["offer"]) == (True, 1)
    assert records(asset)[-1] == "action-license-offer"
    assert head(asset).get("actionResult") == f"eip155:31337/tx/{again['transactions'][0]['hash']}"

    # Recorded now: the same offer made again is a deliberate second offer, and is sent.
    second = json.loads(ok(nit(*offer, "--no-push", "--json")).stdout)
    assert (second["fromChain"], second["offer"]) == (False, 2)
    assert records(asset).count("action-license-offer") == 2
    assert nonce(asset) == before + 1


def test_a_plan_whose_journal_is_gone_is_recorded_by_the_retry_not_sent_again(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    plan = ("royalty", "plan", photo, "--payee", f"{TEST_ADDRESS}:7000", "--payee", f"{OTHER}:3000")
    killed(asset.workdir, tmp_path / "plan.log", "mined:1:after", *plan, "--no-push")
    journal(asset).unlink()
    before = nonce(asset)

    again = json.loads(ok(nit(*plan, "--no-push", "--json")).stdout)

    assert nonce(asset) == before
    assert again["fromChain"] is True
    assert len(events(asset, asset.network.licenses, "PlanSet")) == 1
    assert records(asset)[-1] == "action-set-revenue-plan"


def test_a_hand_over_and_a_take_back_whose_journals_are_gone_are_recorded_by_the_retry(
    nit: Nit, asset: Asset, tmp_path: Path, anvil: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before (the wallet no longer governs / there is no governor any more)."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    key = anvil.keys[2]
    governor = str(Account.from_key(key).address)
    with ChainClient(asset.network) as client:
        client.fund(anvil.keys[0], governor, 10**18)
    hand = ("govern", "hand-over", photo, governor, "--no-push")
    killed(asset.workdir, tmp_path / "hand.log", "mined:1:after", *hand)
    journal(asset).unlink()
    before = nonce(asset)

    again = json.loads(ok(nit(*hand, "--json")).stdout)

    assert nonce(asset) == before and again["fromChain"] is True
    assert records(asset)[-1] == "action-hand-over-governance"
    refused = nit(*hand)  # recorded: now a plain retry is refused, nothing sent
    assert refused.exit_code == 2 and "already governs" in one_line_error(refused)
    assert nonce(asset) == before

    monkeypatch.setenv("NIT_PRIVATE_KEY", key)  # the governor hands control back
    back = ("govern", "take-back", photo, "--no-push")
    killed(asset.workdir, tmp_path / "back.log", "mined:1:after", *back)
    journal(asset).unlink()

    again = json.loads(ok(nit(*back, "--json")).stdout)

    assert again["fromChain"] is True
    assert records(asset)[-1] == "action-take-back-governance"
    assert records(asset).count("action-take-back-governance") == 1
    refused = nit(*back)
    assert refused.exit_code != 0 and "has no governor" in one_line_error(refused)


def test_a_purchase_and_a_close_whose_journals_are_gone_are_recorded_not_repeated(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """A second licence bought (paid twice) or a second close sent, before."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    ok(nit(*OFFER[:2], photo, *OFFER[2:], "--no-push"))
    buy = ("license", "buy", photo, "1", "--no-push")
    killed(asset.workdir, tmp_path / "buy.log", "mined:1:after", *buy)
    journal(asset).unlink()
    before = nonce(asset)

    again = json.loads(ok(nit(*buy, "--json")).stdout)

    assert nonce(asset) == before and again["fromChain"] is True
    assert len(events(asset, asset.network.licenses, "Purchased")) == 1
    assert records(asset).count("action-license-purchase") == 1

    close = ("license", "close", photo, "1", "--no-push")
    killed(asset.workdir, tmp_path / "close.log", "mined:1:after", *close)
    journal(asset).unlink()
    before = nonce(asset)

    closed = ok(nit(*close))

    assert "found on the chain and recorded now: nothing was sent" in closed.output
    assert nonce(asset) == before
    assert len(events(asset, asset.network.licenses, "OfferClosed")) == 1
    assert records(asset)[-1] == "action-license-close"


def test_the_chain_is_read_in_ranges_a_public_node_allows(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """Public nodes refuse eth_getLogs over more than a few thousand blocks; the events
    are read `log_chunk` (5,000) blocks at a time, as the register's logs are, so a
    mint 6,000 blocks back is still found and recorded, not refused by the node."""
    photo = str(asset.photo)
    before = nonce(asset)
    killed(asset.workdir, tmp_path / "mint.log", "mined:1:after", "mint", photo, "--no-push")
    journal(asset).unlink()
    with ChainClient(asset.network, timeout=600) as client:  # slow on a loaded machine
        client._rpc.call("anvil_mine", [hex(6000)])
    config = Config.load(None)
    entry = dict(config.table("networks")["devnet"])
    with range_limited(asset.network.rpc_url, 5000) as url:
        set_table_entry("user", "networks", "devnet", {**entry, "rpc": url})
        again = ok(nit("mint", photo, "--no-push", "--json"))

    assert json.loads(again.stdout)["fromChain"] is True
    assert nonce(asset) - before == 1  # nothing sent again
    assert records(asset)[1:] == ["action-mint-erc721-nft"]


def test_a_mint_squatted_by_another_wallet_is_refused_not_recorded_as_ours(
    nit: Nit, asset: Asset, anvil: Anvil
) -> None:
    """The contract takes any registrant's own consent, so another wallet can mint the
    custody token of a Nid it never registered. That mint is not this wallet's: the
    retry is refused as before (held by the squatter), and nothing is recorded."""
    squatter = anvil.keys[3]
    who = address_of(squatter)
    with ChainClient(asset.network) as client:
        signature = sign_mint(
            squatter, asset.nid, who, asset.network.chain_id, str(asset.network.custody)
        )
        send(
            client,
            squatter,
            contract_abi("Custody"),
            str(asset.network.custody),
            "mint",
            asset.nid,
            who,
            b"\x11" * 32,
            0,
            who,
            signature,
        )
    before = nonce(asset)

    refused = nit("mint", str(asset.photo), "--no-push")

    assert refused.exit_code == 21, refused.output
    assert f"already minted (held by {who})" in one_line_error(refused)
    assert records(asset)[1:] == []
    assert nonce(asset) == before


def test_a_closed_offer_whose_journal_is_gone_is_not_adopted_for_a_new_one(
    nit: Nit, asset: Asset, tmp_path: Path
) -> None:
    """Adopting stands for "the retry of that very offer": one that is closed (or
    expired, or sold out) cannot be what the user asks for now, so a new one is made."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = (*OFFER[:2], photo, *OFFER[2:])
    killed(asset.workdir, tmp_path / "offer.log", "mined:1:after", *offer, "--no-push")
    journal(asset).unlink()
    ok(nit("license", "close", photo, "1", "--no-push"))
    before = nonce(asset)

    again = json.loads(ok(nit(*offer, "--no-push", "--json")).stdout)

    assert (again["fromChain"], again["offer"]) == (False, 2)
    assert nonce(asset) == before + 1
    assert len(events(asset, asset.network.licenses, "OfferCreated")) == 2
