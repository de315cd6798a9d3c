"""A market action mined on chain whose record was never written, and whose journal
entry is gone too (the journal deleted, or the action done from another place with
the same wallet): the retry records it from the chain alone, and sends nothing.

And a dry run says what the real run would finish first.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.market.test_market_interrupted import events, journal, killed, nonce, records

from numbers_cli.chain.custody import token_id
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree


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
