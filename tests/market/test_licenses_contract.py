"""The Licenses contract on a real anvil: offers, plans, sales split by plan with
pull payments, licence checks, and every revert of the issue's list.

Balances are read from the node (eth_getBalance), and every test that moves
money checks the contract's invariant: its balance equals what it owes.
"""

from __future__ import annotations

import hashlib

import pytest
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.market import address_of, read, revert_of, send, sign_mint

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import token_id

C = contract_abi("Custody")
L = contract_abi("Licenses")
NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
TERMS = "bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu"
COMMERCIAL, AI, DERIVATIVES = 1, 2, 4
ASSET = token_id(NID)


class Parties:
    """Who is who: the registrant holds the custody token; payees; a buyer."""

    def __init__(self, anvil: Anvil) -> None:
        self.holder_key = anvil.keys[1]
        self.buyer_key = anvil.keys[2]
        self.stranger_key = anvil.keys[3]
        self.holder = address_of(self.holder_key)
        self.buyer = address_of(self.buyer_key)
        self.stranger = address_of(self.stranger_key)
        self.payee_a = address_of(anvil.keys[4])
        self.payee_b = address_of(anvil.keys[5])
        self.payee_c = address_of(anvil.keys[6])
        self.payee_a_key = anvil.keys[4]


@pytest.fixture
def p(anvil: Anvil) -> Parties:
    return Parties(anvil)


@pytest.fixture
def asset(mclient: ChainClient, market_net: Network, p: Parties) -> int:
    """NID's custody token, minted to the holder, permitting every use."""
    assert market_net.custody is not None
    signature = sign_mint(p.holder_key, NID, p.holder, TEST_CHAIN_ID, market_net.custody)
    digest = hashlib.sha256(b"metadata").digest()
    custody = market_net.custody
    send(mclient, p.holder_key, C, custody, "mint", NID, p.holder, digest, 500, p.holder, signature)
    send(mclient, p.holder_key, C, custody, "setUsage", ASSET, 7)
    return ASSET


def lic(net: Network) -> str:
    assert net.licenses is not None
    return net.licenses


def offer(
    client: ChainClient,
    net: Network,
    p: Parties,
    *,
    price: int = 10**15,
    supply: int = 5,
    expiry: int = 0,
    uses: int = COMMERCIAL | AI,
) -> int:
    receipt = send(
        client, p.holder_key, L, lic(net), "createOffer", ASSET, TERMS, price, supply, expiry, uses
    )
    events = [L.decode_log(log) for log in client.transaction_logs(receipt.tx_hash)]
    (created,) = [e for e in events if e and e.name == "OfferCreated"]
    return int(created.args["offerId"])


def balance(client: ChainClient, address: str) -> int:
    return client.balance(address)


def assert_solvent(client: ChainClient, net: Network) -> None:
    """Nothing stuck, nothing missing: the contract holds exactly what it owes."""
    assert balance(client, lic(net)) == read(client, L, lic(net), "totalOwed")


def test_an_offer_holds_its_terms(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    offer_id = offer(mclient, market_net, p, price=123, supply=3, expiry=0, uses=AI)
    assert offer_id == 1
    got = read(mclient, L, lic(market_net), "offer", offer_id)
    assert got == (ASSET, 123, 0, 3, 0, AI, False, TERMS)
    assert read(mclient, L, lic(market_net), "offersOf", ASSET) == [1]
    assert read(mclient, L, lic(market_net), "uri", offer_id) == f"ipfs://{TERMS}"
    assert offer(mclient, market_net, p) == 2


def test_offer_reverts(mclient: ChainClient, market_net: Network, p: Parties, asset: int) -> None:
    now = mclient.block_timestamp()
    cases = [
        (p.stranger, (ASSET, TERMS, 1, 1, 0, AI), "NotController"),
        (p.holder, (ASSET, TERMS, 1, 0, 0, AI), "ZeroSupply"),
        (p.holder, (ASSET, TERMS, 1, 1, now - 1, AI), "ExpiryInPast"),
        (p.holder, (ASSET, "", 1, 1, 0, AI), "EmptyTerms"),
        (p.holder, (token_id("bafkreinothere"), TERMS, 1, 1, 0, AI), "ERC721NonexistentToken"),
    ]
    for sender, args, expected in cases:
        name, _ = revert_of(
            mclient, sender, L, lic(market_net), "createOffer", *args, decoders=(C,)
        )
        assert name == expected, args


def test_an_offer_grants_only_uses_the_asset_permits(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    assert market_net.custody is not None
    send(mclient, p.holder_key, C, market_net.custody, "setUsage", ASSET, COMMERCIAL)
    name, args = revert_of(
        mclient, p.holder, L, lic(market_net), "createOffer", ASSET, TERMS, 1, 1, 0, AI
    )
    assert (name, args["uses"], args["permitted"]) == ("UseNotPermitted", AI, COMMERCIAL)
    assert offer(mclient, market_net, p, uses=COMMERCIAL) == 1


def test_plan_rules(mclient: ChainClient, market_net: Network, p: Parties, asset: int) -> None:
    a, b = p.payee_a, p.payee_b
    zero = "0x" + "00" * 20
    cases = [
        (p.stranger, ([a], [10_000]), "NotController"),
        (p.holder, ([a, b], [5_000, 4_999]), "PlanSumInvalid"),
        (p.holder, ([a, b], [5_000, 5_001]), "PlanSumInvalid"),
        (p.holder, ([a, zero], [5_000, 5_000]), "InvalidPayee"),
        (p.holder, ([a, a], [5_000, 5_000]), "DuplicatePayee"),
        (p.holder, ([a, b], [10_000, 0]), "ZeroShare"),
        (p.holder, ([a, b], [10_000]), "PlanLengthMismatch"),
        (p.holder, ([], []), "PlanSize"),
        (p.holder, (["0x" + f"{k + 1:040x}" for k in range(17)], [588] * 16 + [592]), "PlanSize"),
    ]
    for sender, (payees, bps), expected in cases:
        name, info = revert_of(mclient, sender, L, lic(market_net), "setPlan", ASSET, payees, bps)
        assert name == expected, (payees, bps)
        if expected == "PlanSumInvalid":
            assert info["sum"] == sum(bps)
    send(mclient, p.holder_key, L, lic(market_net), "setPlan", ASSET, [a, b], [7_000, 3_000])
    assert read(mclient, L, lic(market_net), "planOf", ASSET) == ([a, b], [7_000, 3_000])
    send(mclient, p.holder_key, L, lic(market_net), "setPlan", ASSET, [b], [10_000])
    assert read(mclient, L, lic(market_net), "planOf", ASSET) == ([b], [10_000])


def test_a_sale_mints_the_licence_and_splits_the_price_by_plan(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    plan = ([p.payee_a, p.payee_b, p.payee_c], [3_333, 3_333, 3_334])
    send(mclient, p.holder_key, L, lic(market_net), "setPlan", ASSET, *plan)
    price = 1_000_003  # wei: 3333 bps of it is 333,300.99..., so the split leaves dust
    offer_id = offer(mclient, market_net, p, price=price, supply=2)
    receipt = send(mclient, p.buyer_key, L, lic(market_net), "buy", offer_id, value=price)
    assert read(mclient, L, lic(market_net), "balanceOf", p.buyer, offer_id) == 1
    b_share = price * 3_333 // 10_000
    c_share = price * 3_334 // 10_000
    owed = {who: read(mclient, L, lic(market_net), "owed", who) for who in plan[0]}
    assert owed == {p.payee_a: price - b_share - c_share, p.payee_b: b_share, p.payee_c: c_share}
    floors = [price * bps // 10_000 for bps in plan[1]]
    dust = price - sum(floors)
    assert dust == 2 and owed[p.payee_a] == floors[0] + dust  # the dust went to the first payee
    assert sum(owed.values()) == price
    assert_solvent(mclient, market_net)
    events = [L.decode_log(log) for log in mclient.transaction_logs(receipt.tx_hash)]
    names = [e.name for e in events if e]
    assert names.count("Credited") == 3 and "Purchased" in names and "TransferSingle" in names
    assert read(mclient, L, lic(market_net), "offer", offer_id)[4] == 1  # sold


def test_without_a_plan_the_holder_is_credited(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    offer_id = offer(mclient, market_net, p, price=777)
    send(mclient, p.buyer_key, L, lic(market_net), "buy", offer_id, value=777)
    assert read(mclient, L, lic(market_net), "owed", p.holder) == 777
    assert_solvent(mclient, market_net)


def test_buy_reverts(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int, anvil: Anvil
) -> None:
    price = 10**15
    offer_id = offer(mclient, market_net, p, price=price, supply=1)
    for sent in (price - 1, price + 1, 0):
        name, args = revert_of(mclient, p.buyer, L, lic(market_net), "buy", offer_id, value=sent)
        assert (name, args["price"], args["sent"]) == ("WrongPrice", price, sent)
    name, _ = revert_of(mclient, p.buyer, L, lic(market_net), "buy", 99, value=price)
    assert name == "UnknownOffer"
    send(mclient, p.buyer_key, L, lic(market_net), "buy", offer_id, value=price)
    name, args = revert_of(mclient, p.buyer, L, lic(market_net), "buy", offer_id, value=price)
    assert (name, args["supply"]) == ("SoldOut", 1)

    closing = offer(mclient, market_net, p, price=price)
    send(mclient, p.holder_key, L, lic(market_net), "closeOffer", closing)
    name, _ = revert_of(mclient, p.buyer, L, lic(market_net), "buy", closing, value=price)
    assert name == "OfferIsClosed"
    name, _ = revert_of(mclient, p.stranger, L, lic(market_net), "closeOffer", offer_id)
    assert name == "NotController"

    expiring = offer(mclient, market_net, p, price=price, expiry=mclient.block_timestamp() + 100)
    anvil.rpc("evm_increaseTime", [200])
    anvil.rpc("evm_mine")
    name, args = revert_of(mclient, p.buyer, L, lic(market_net), "buy", expiring, value=price)
    assert name == "OfferExpired"
    assert_solvent(mclient, market_net)


def test_withdraw_pays_what_is_owed_once(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    name, args = revert_of(mclient, p.payee_a, L, lic(market_net), "withdraw")
    assert (name, args["payee"]) == ("NothingDue", p.payee_a)
    send(mclient, p.holder_key, L, lic(market_net), "setPlan", ASSET, [p.payee_a], [10_000])
    price = 5 * 10**16
    offer_id = offer(mclient, market_net, p, price=price)
    send(mclient, p.buyer_key, L, lic(market_net), "buy", offer_id, value=price)
    send(mclient, p.buyer_key, L, lic(market_net), "buy", offer_id, value=price)
    before = balance(mclient, p.payee_a)
    receipt = send(mclient, p.payee_a_key, L, lic(market_net), "withdraw")
    fee = receipt.gas_used * (receipt.effective_gas_price or 0)
    assert balance(mclient, p.payee_a) == before + 2 * price - fee
    assert read(mclient, L, lic(market_net), "owed", p.payee_a) == 0
    assert balance(mclient, lic(market_net)) == 0
    assert_solvent(mclient, market_net)
    name, _ = revert_of(mclient, p.payee_a, L, lic(market_net), "withdraw")
    assert name == "NothingDue"


def test_license_of_checks_holder_use_and_expiry(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int, anvil: Anvil
) -> None:
    licenses = lic(market_net)
    ai_offer = offer(
        mclient, market_net, p, price=0, uses=AI, expiry=mclient.block_timestamp() + 500
    )
    both = offer(mclient, market_net, p, price=0, uses=AI | COMMERCIAL)
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, AI) == (False, 0)
    send(mclient, p.buyer_key, L, licenses, "buy", ai_offer)
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, AI) == (True, ai_offer)
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, COMMERCIAL) == (False, 0)
    assert read(mclient, L, licenses, "licenseOf", p.stranger, ASSET, AI) == (False, 0)
    anvil.rpc("evm_increaseTime", [1000])
    anvil.rpc("evm_mine")
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, AI) == (False, 0)
    send(mclient, p.buyer_key, L, licenses, "buy", both)
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, AI | COMMERCIAL) == (True, both)
    # a licence is a token: whoever it is transferred to holds it
    send(mclient, p.buyer_key, L, licenses, "safeTransferFrom", p.buyer, p.stranger, both, 1, b"")
    assert read(mclient, L, licenses, "licenseOf", p.stranger, ASSET, AI) == (True, both)
    assert read(mclient, L, licenses, "licenseOf", p.buyer, ASSET, AI) == (False, 0)


def test_licence_royalties_follow_the_asset_and_its_holder(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    offer_id = offer(mclient, market_net, p)
    assert read(mclient, L, lic(market_net), "royaltyInfo", offer_id, 10_000) == (p.holder, 500)
    assert read(mclient, L, lic(market_net), "supportsInterface", bytes.fromhex("2a55205a")) is True
    assert read(mclient, L, lic(market_net), "supportsInterface", bytes.fromhex("d9b67a26")) is True


def test_a_custody_transfer_moves_control_of_offers_and_plan(
    mclient: ChainClient, market_net: Network, p: Parties, asset: int
) -> None:
    assert market_net.custody is not None
    send(mclient, p.holder_key, C, market_net.custody, "transferFrom", p.holder, p.stranger, ASSET)
    name, info = revert_of(
        mclient, p.holder, L, lic(market_net), "createOffer", ASSET, TERMS, 1, 1, 0, AI
    )
    assert (name, info["controller"]) == ("NotController", p.stranger)
    name, _ = revert_of(
        mclient, p.holder, L, lic(market_net), "setPlan", ASSET, [p.holder], [10_000]
    )
    assert name == "NotController"
    send(mclient, p.stranger_key, L, lic(market_net), "setPlan", ASSET, [p.stranger], [10_000])
    send(mclient, p.stranger_key, L, lic(market_net), "createOffer", ASSET, TERMS, 1, 1, 0, AI)
    assert read(mclient, L, lic(market_net), "offersOf", ASSET) == [1]
