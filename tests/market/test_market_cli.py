"""`nit mint | license | royalty | govern | contracts` on a real anvil, as users run them.

One asset's life: registered with `nit push`, its custody token minted by the
registrant, rules set, licences offered and bought (by another wallet, in
another directory, through NIT_PRIVATE_KEY), revenue split and withdrawn,
governance handed over and back. Every action of the asset's owner shows up
as a commit of the asset, locally and on chain. Bad input fails with one line
and a documented exit code, and sends nothing (the chain's block number is
compared before and after: anvil mines a block per transaction).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from tests.conftest import TEST_ADDRESS, Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.support.anvil import Anvil
from tests.support.chain_history import use_network

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import CustodyContract, token_id
from numbers_cli.config import Config
from numbers_cli.model.commit import ACTION_NIDS, Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.market.check import check_license
from numbers_cli.ops.networks import resolve_network

PRICE_WEI = 10**16  # 0.01 ETH


@pytest.fixture
def buyer(tmp_path: Path, anvil: Anvil) -> tuple[Nit, dict[str, str], str]:
    """Another person: their own directory (no repository), their own wallet."""
    where = tmp_path / "buyer"
    where.mkdir()
    key = anvil.keys[2]
    return Nit(where), {"NIT_PRIVATE_KEY": key}, str(Account.from_key(key).address)


def data(result: Any) -> dict[str, Any]:
    ok(result)
    return json.loads(result.stdout)


def fails(result: Any, code: int, *fragments: str) -> str:
    assert result.exit_code == code, result.output
    line = one_line_error(result)
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_mint_records_the_token_in_the_tree_and_on_chain(nit: Nit, asset: Asset) -> None:
    repo = asset.repo()
    registration = repo.refs.history(asset.nid)[0]
    minted = data(nit("mint", str(asset.photo), "--royalty", "2.5%", "--json"))

    tid = token_id(asset.nid)
    assert minted["tokenId"] == str(tid)
    assert minted["recipient"] == TEST_ADDRESS
    assert minted["contract"] == asset.network.custody
    document = minted["metadataDocument"]
    assert document["image"] == f"ipfs://{asset.nid}"
    assert document["name"] == "Canon_40D.jpg"
    assert document["properties"]["nid"] == asset.nid
    assert document["properties"]["registrationCommit"] == registration
    assert document["properties"]["registrationTx"].startswith("0x")
    # tokenURI names the metadata exactly as stored (and as IPFS would address it)
    stored = repo.objects.get(Nid(minted["metadata"]))
    assert Nid.of_bytes(stored) == minted["metadata"]
    assert minted["tokenURI"] == f"ipfs://{minted['metadata']}"
    assert json.loads(stored) == document

    # recorded: a new commit of the asset, with the NFT in its tree, on chain too
    record = minted["record"]
    history = repo.refs.history(asset.nid)
    assert history == [registration, record["commit"]]
    commit = Commit.from_json(repo.objects.get(history[-1]))
    assert commit.get("actionName") == "action-mint-erc721-nft"
    assert commit.get("action") == ACTION_NIDS["action-mint-erc721-nft"]
    assert commit.get("attachment") == minted["metadata"]
    assert commit.get("actionResult") == f"eip155:31337/tx/{minted['transactions'][0]['hash']}"
    tree = AssetTree.from_bytes(repo.objects.get(commit.tree_cid))
    assert tree.get("nftRecord") == [
        {"network": "devnet", "contractAddress": asset.network.custody, "tokenId": str(tid)}
    ]
    assert record["pushedTx"] and asset.chain_commits()[-1] == commit.to_chain()
    log = ok(nit("log", str(asset.photo)))
    assert "action-mint-erc721-nft" in log.stdout
    remote = data(nit("log", str(asset.photo), "--remote", "--network", "devnet", "--json"))
    assert [c["commit"]["actionName"] for c in remote][-1] == "action-mint-erc721-nft"
    assert all(c["signatureValid"] for c in remote)
    ok(nit("verify", str(asset.photo)))  # the record is a commit like any other
    ok(nit("fsck"))

    shown = data(nit("govern", "show", str(asset.photo), "--json"))
    assert shown["holder"] == TEST_ADDRESS and shown["governor"] is None
    assert shown["royaltyBps"] == 250 and shown["tokenURI"] == minted["tokenURI"]
    assert shown["usage"] == {"commercial": False, "ai-training": False, "derivatives": False}


def test_mint_refusals_send_nothing(
    nit: Nit, asset: Asset, anvil: Anvil, media: Any, devnet: Network
) -> None:
    start = asset.block()
    fails(
        nit("mint", asset.nid, env={"NIT_PRIVATE_KEY": anvil.keys[3]}),
        20,
        "only the wallet that registered",
    )
    (other,) = media("Nikon_D70.jpg")
    ok(nit("add", str(other)))
    ok(nit("commit", "-m", "not pushed"))
    fails(nit("mint", str(other)), 4, "is not registered on devnet", "nit push")
    fails(nit("mint", asset.nid, "--to", "0x1234"), 2, "--to")
    fails(nit("mint", asset.nid, "--royalty", "10001"), 2, "out of range")
    fails(nit("mint", asset.nid, "--royalty", "lots"), 2, "--royalty")
    use_network(devnet, "bare")  # a register, but none of the market contracts
    fails(nit("mint", asset.nid, "--network", "bare"), 23, "nit contracts deploy --network bare")
    assert asset.block() == start

    ok(nit("mint", asset.nid))
    start = asset.block()
    fails(nit("mint", asset.nid), 21, "already minted")
    assert asset.block() == start


def test_licences_are_offered_bought_checked_and_paid_out(
    nit: Nit, asset: Asset, buyer: tuple[Nit, dict[str, str], str], anvil: Anvil
) -> None:
    buyer_nit, buyer_env, buyer_address = buyer
    ok(nit("mint", str(asset.photo)))
    ok(nit("govern", "set", str(asset.photo), "ai-training=yes", "commercial=yes"))
    offered = data(
        nit(
            "license", "offer", str(asset.photo), "--price", "0.01", "--supply", "2",
            "--terms", "cc-by-4.0", "--allow", "ai-training", "--expires", "30d", "--json",
        )
    )  # fmt: skip
    assert offered["offer"] == 1 and offered["priceWei"] == str(PRICE_WEI)
    assert offered["uses"] == ["ai-training"]
    assert offered["record"]["actionName"] == "action-license-offer"
    # the terms are the licence document, stored in the repository
    terms = json.loads(asset.repo().objects.get(Nid(offered["terms"])))
    assert terms == {
        "name": "CC-BY-4.0",
        "document": "https://creativecommons.org/licenses/by/4.0/legalcode",
    }

    listed = data(buyer_nit("license", "list", asset.nid, "--network", "devnet", "--json"))
    (row,) = listed["offers"]
    assert (row["status"], row["remaining"], row["price"]) == ("on sale", 2, "0.01 ETH")

    check_args = ("license", "check", buyer_address, asset.nid, "--network", "devnet")
    not_yet = buyer_nit(*check_args, "--use", "ai-training", "--json")
    assert not_yet.exit_code == 22 and json.loads(not_yet.stdout)["licensed"] is False

    bought = data(
        buyer_nit("license", "buy", asset.nid, "1", "--network", "devnet", "--json", env=buyer_env)
    )
    assert bought["buyer"] == buyer_address and bought["record"] is None  # no repository there

    yes = buyer_nit(*check_args, "--use", "ai-training")
    assert yes.exit_code == 0 and yes.stdout.startswith("licensed:"), yes.output
    no_use = buyer_nit(*check_args, "--use", "commercial", "--json")
    assert no_use.exit_code == 22
    assert "granting commercial" in json.loads(no_use.stdout)["reason"]
    nobody = nit("license", "check", TEST_ADDRESS, str(asset.photo))
    assert nobody.exit_code == 22 and "holds no licence" in nobody.stdout

    # The Python face scripts and `nit monitor` use.
    config = Config.load(asset.workdir)
    verdict = check_license(config, buyer_address, asset.nid, "ai-training", network="devnet")
    assert verdict.licensed and verdict.offer is not None and verdict.offer.offer_id == 1
    assert not check_license(
        config, buyer_address, asset.nid, ["commercial"], network="devnet"
    ).licensed

    # No plan yet: the sale is owed to the holder.
    owed = data(nit("royalty", "balance", "--json"))
    assert owed == {
        "address": TEST_ADDRESS,
        "network": "devnet",
        "owedWei": str(PRICE_WEI),
        "owed": "0.01 ETH",
    }
    partner = str(Account.from_key(anvil.keys[5]).address)
    planned = data(
        nit("royalty", "plan", str(asset.photo), "--payee", f"{TEST_ADDRESS}:7000",
            "--payee", f"{partner}:3000", "--json")
    )  # fmt: skip
    assert planned["plan"] == [
        {"payee": TEST_ADDRESS, "bps": 7000},
        {"payee": partner, "bps": 3000},
    ]
    # A second licence of the same offer is bought only when asked (`--again`).
    fails(
        buyer_nit("license", "buy", asset.nid, "1", "--network", "devnet", env=buyer_env),
        21,
        "already bought a licence of offer 1",
    )
    ok(buyer_nit("license", "buy", asset.nid, "1", "--again", "--network", "devnet", env=buyer_env))
    assert data(nit("royalty", "balance", partner, "--json"))["owedWei"] == str(PRICE_WEI * 3 // 10)
    assert data(nit("royalty", "balance", "--json"))["owedWei"] == str(
        PRICE_WEI + PRICE_WEI * 7 // 10
    )

    start = asset.block()
    fails(
        buyer_nit("license", "buy", asset.nid, "1", "--network", "devnet", env=buyer_env),
        21,
        "sold out",
    )
    assert asset.block() == start

    paid = data(nit("royalty", "withdraw", "--json"))
    assert paid["owedWei"] == str(PRICE_WEI * 17 // 10) and paid["transactions"]
    assert data(nit("royalty", "balance", "--json"))["owedWei"] == "0"
    fails(nit("royalty", "withdraw"), 21, "nothing is owed")

    actions = [
        Commit.from_json(asset.repo().objects.get(c)).get("actionName")
        for c in asset.repo().refs.history(asset.nid)
    ]
    assert actions == [
        "action-initial-registration-jade",  # the spec's name for that action Nid
        "action-mint-erc721-nft",
        "action-set-usage-rules",
        "action-license-offer",
        "action-set-revenue-plan",
    ]
    assert len(asset.chain_commits()) == len(actions)  # every record was pushed


def test_bad_input_is_refused_before_anything_is_sent(nit: Nit, asset: Asset) -> None:
    ok(nit("mint", str(asset.photo)))
    ok(nit("govern", "set", str(asset.photo), "ai-training=yes"))
    photo = str(asset.photo)
    offer = ("license", "offer", photo, "--supply", "1", "--terms", "mit")
    start = asset.block()
    fails(nit(*offer, "--price", "-1"), 2, "negative")
    fails(nit(*offer, "--price", "abc"), 2, "not an amount")
    fails(nit(*offer, "--price", "0.1", "--expires", "2001-01-01"), 2, "in the past")
    fails(nit(*offer, "--price", "0.1", "--allow", "teleport"), 2, "unknown use")
    fails(nit("license", "offer", photo, "--price", "1", "--supply", "0", "--terms", "mit"), 2)
    fails(nit("license", "offer", photo, "--price", "1", "--supply", "1", "--terms", "nonsense"), 2)
    fails(nit(*offer, "--price", "0.1", "--allow", "derivatives"), 21, "does not permit")
    fails(nit("royalty", "plan", photo, "--payee", "0xbad:10000"), 2, "ADDRESS:BPS")
    fails(
        nit("royalty", "plan", photo, "--payee", f"{TEST_ADDRESS}:5000",
            "--payee", "0x" + "12" * 20 + ":4000"),
        2,
        "sum to 9000",
    )  # fmt: skip
    fails(nit("license", "buy", photo, "99"), 4, "no licence offer 99")
    fails(nit("license", "check", "nobody", photo), 2, "not an address")
    fails(nit("govern", "set", photo, "colour=blue"), 2, "unknown rule")
    fails(nit("govern", "set", photo, "ai-training=maybe"), 2, "yes or no")
    fails(nit("govern", "hand-over", photo, "0x0"), 2, "not an address")
    fails(nit("mint", "bafkreinotanid"), 2)
    assert asset.block() == start


def test_dry_runs_check_and_price_but_send_nothing(
    nit: Nit, asset: Asset, buyer: tuple[Nit, dict[str, str], str]
) -> None:
    photo = str(asset.photo)
    start = asset.block()
    dry = data(nit("mint", photo, "--dry-run", "--json"))
    assert dry["dryRun"] is True and dry["transactions"] == [] and dry["record"] is None
    assert 60_000 < dry["estimate"]["gas"][0] < 200_000
    assert asset.block() == start
    assert len(asset.repo().refs.history(asset.nid)) == 1  # nothing recorded
    ok(nit("mint", photo))
    ok(nit("govern", "set", photo, "commercial=yes"))
    start = asset.block()
    for args in (
        ("govern", "set", photo, "royalty=1%"),
        ("royalty", "plan", photo, "--payee", f"{TEST_ADDRESS}:10000"),
        ("license", "offer", photo, "--price", "1 gwei", "--supply", "5", "--terms", "mit"),
        ("govern", "hand-over", photo, "0x" + "ab" * 20),
    ):
        result = data(nit(*args, "--dry-run", "--json"))
        assert result["estimate"]["gas"], args
        assert result["transactions"] == [], args
    out = ok(
        nit(
            "license",
            "offer",
            photo,
            "--price",
            "1",
            "--supply",
            "5",
            "--terms",
            "mit",
            "--dry-run",
        )
    )
    assert "dry run: would send 1 transaction" in out.stdout and "nothing was sent" in out.stdout
    assert asset.block() == start
    fails(nit("royalty", "withdraw", "--dry-run"), 21, "nothing is owed")


def test_insufficient_funds_state_the_cost(nit: Nit, asset: Asset, tmp_path: Path) -> None:
    ok(nit("mint", str(asset.photo)))
    ok(nit("license", "offer", str(asset.photo), "--price", "1", "--supply", "5", "--terms", "mit"))
    poor = Nit(tmp_path)
    key = "0x" + "7" * 64
    start = asset.block()
    fails(
        poor("license", "buy", asset.nid, "1", "--network", "devnet", env={"NIT_PRIVATE_KEY": key}),
        9,
        "insufficient funds",
    )
    assert asset.block() == start


def test_governance_handed_over_and_taken_back(
    nit: Nit, asset: Asset, anvil: Anvil, tmp_path: Path
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo))
    governor_key = anvil.keys[4]
    governor = str(Account.from_key(governor_key).address)
    handed = data(nit("govern", "hand-over", photo, governor, "--json"))
    assert handed["governor"] == governor
    assert handed["record"]["actionName"] == "action-hand-over-governance"

    start = asset.block()
    fails(nit("govern", "set", photo, "commercial=yes"), 20, f"its governor {governor}")
    fails(nit("govern", "take-back", photo), 20, "may not change the rules")
    fails(nit("royalty", "plan", photo, "--payee", f"{TEST_ADDRESS}:10000"), 20)
    assert asset.block() == start

    # What a DAO proposal would execute: the exact call, no sender checks.
    printed = data(nit("govern", "take-back", photo, "--calldata", "--json"))
    (call,) = printed["calls"]
    expected = contract_abi("Custody").encode_call(
        "setGovernor", token_id(asset.nid), "0x" + "00" * 20
    )
    assert call == {"to": asset.network.custody, "data": "0x" + expected.hex(), "valueWei": "0"}
    assert printed["transactions"] == [] and asset.block() == start

    # The governor (a person here, in their own directory) sets a rule, then hands back.
    gov = Nit(tmp_path)
    gov_env = {"NIT_PRIVATE_KEY": governor_key}
    ok(gov("govern", "set", asset.nid, "derivatives=yes", "--network", "devnet", env=gov_env))
    ok(gov("govern", "take-back", asset.nid, "--network", "devnet", env=gov_env))
    shown = data(nit("govern", "show", photo, "--json"))
    assert shown["governor"] is None and shown["controller"] == TEST_ADDRESS
    assert shown["usage"]["derivatives"] is True
    ok(nit("govern", "set", photo, "usage=commercial,ai-training"))
    assert data(nit("govern", "show", photo, "--json"))["usage"] == {
        "commercial": True,
        "ai-training": True,
        "derivatives": False,
    }


def test_contracts_deploy_is_idempotent_and_recorded(nit: Nit, asset: Asset) -> None:
    again = data(nit("contracts", "deploy", "--network", "devnet", "--json"))
    assert again["deployed"] is False
    assert (again["custody"], again["licenses"]) == (asset.network.custody, asset.network.licenses)
    priced = data(
        nit("contracts", "deploy", "--network", "devnet", "--force", "--dry-run", "--json")
    )
    assert priced["dryRun"] is True and len(priced["estimate"]["gas"]) == 2
    fresh = data(nit("contracts", "deploy", "--network", "devnet", "--force", "--json"))
    assert fresh["deployed"] is True and fresh["custody"] != asset.network.custody
    network = resolve_network(Config.load(None), "devnet")
    assert (network.custody, network.licenses) == (fresh["custody"], fresh["licenses"])
    assert network.contract == asset.network.contract  # the rest of the entry is kept


@pytest.mark.ipfs
def test_token_uri_resolves_on_the_ipfs_remote(nit: Nit, asset: Asset, ipfs_node: Any) -> None:
    """With an IPFS remote, the mint's record push puts the metadata JSON where tokenURI points."""
    ok(nit("remote", "add", "local", ipfs_node.api_url))
    minted = data(nit("mint", str(asset.photo), "--json"))
    assert minted["record"]["pushError"] is None
    with ChainClient(asset.network) as client:
        uri = CustodyContract(client, str(asset.network.custody)).token_uri(token_id(asset.nid))
    assert uri == minted["tokenURI"]
    served = ipfs_node.rpc("cat", {"arg": uri.removeprefix("ipfs://")})
    assert json.loads(served) == minted["metadataDocument"]
    assert json.loads(served)["image"] == f"ipfs://{asset.nid}"
    # and the image it names is there too (pushed with the commit)
    assert ipfs_node.rpc("cat", {"arg": asset.nid}) == asset.photo.read_bytes()
