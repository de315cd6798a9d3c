"""Hostile payees and buyers, and a DAO taking over an asset's rules, on a real anvil.

- A payee contract that re-enters `withdraw` (and `buy`) from the payment it
  receives, and one that refuses payment.
- A buyer contract that re-enters `buy` and `withdraw` from the ERC-1155
  receive hook.
- The DAO hand-off: OpenZeppelin Governor + ERC20Votes + TimelockController
  (tests/support/contracts, built from contracts/test/ by contracts/build.mjs).
  The holder appoints the timelock; a proposal changing the rules passes a vote
  and executes, while the former holder's own calls revert.
"""

from __future__ import annotations

import hashlib

import pytest
from eth_utils import keccak
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.market import address_of, deploy, read, revert_of, send, sign_mint, test_abi

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import token_id

C = contract_abi("Custody")
L = contract_abi("Licenses")
NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
TERMS = "bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu"
ASSET = token_id(NID)
ZERO = "0x" + "00" * 20
REENTRANT = keccak(text="ReentrancyGuardReentrantCall()")[:4]


@pytest.fixture
def holder_key(anvil: Anvil) -> str:
    return anvil.keys[1]


@pytest.fixture
def minted(mclient: ChainClient, market_net: Network, holder_key: str) -> int:
    holder = address_of(holder_key)
    assert market_net.custody is not None
    signature = sign_mint(holder_key, NID, holder, TEST_CHAIN_ID, market_net.custody)
    digest = hashlib.sha256(b"metadata").digest()
    send(
        mclient,
        holder_key,
        C,
        market_net.custody,
        "mint",
        NID,
        holder,
        digest,
        0,
        holder,
        signature,
    )
    send(mclient, holder_key, C, market_net.custody, "setUsage", ASSET, 7)
    return ASSET


def create_offer(client: ChainClient, net: Network, key: str, price: int, supply: int = 10) -> int:
    assert net.licenses is not None
    send(client, key, L, net.licenses, "createOffer", ASSET, TERMS, price, supply, 0, 2)
    return int(read(client, L, net.licenses, "offerCount"))


def test_a_payee_reentering_withdraw_is_paid_exactly_once(
    mclient: ChainClient, market_net: Network, anvil: Anvil, holder_key: str, minted: int
) -> None:
    licenses = market_net.licenses
    assert licenses is not None
    payee_abi = test_abi("ReentrantPayee")
    payee = deploy(mclient, anvil.keys[0], payee_abi, licenses)
    other = address_of(anvil.keys[4])
    send(mclient, holder_key, L, licenses, "setPlan", ASSET, [payee, other], [5_000, 5_000])
    price = 10**16
    paid = create_offer(mclient, market_net, holder_key, price)
    free = create_offer(mclient, market_net, holder_key, 0)
    for _ in range(2):
        send(mclient, anvil.keys[2], L, licenses, "buy", paid, value=price)
    due = read(mclient, L, licenses, "owed", payee)
    assert due == price  # half of two sales
    send(mclient, anvil.keys[3], payee_abi, payee, "setOfferToBuy", free)

    send(mclient, anvil.keys[3], payee_abi, payee, "withdraw")

    assert read(mclient, payee_abi, payee, "payments") == 1
    assert read(mclient, payee_abi, payee, "received") == due == mclient.balance(payee)
    assert read(mclient, payee_abi, payee, "reentryWithdrawSucceeded") is False
    assert read(mclient, payee_abi, payee, "reentryError")[:4] == REENTRANT
    assert read(mclient, payee_abi, payee, "reentryBuySucceeded") is False
    assert read(mclient, L, licenses, "balanceOf", payee, free) == 0
    assert read(mclient, L, licenses, "owed", payee) == 0
    assert mclient.balance(licenses) == read(mclient, L, licenses, "totalOwed") == price


def test_a_payee_refusing_payment_keeps_its_balance_owed(
    mclient: ChainClient, market_net: Network, anvil: Anvil, holder_key: str, minted: int
) -> None:
    licenses = market_net.licenses
    assert licenses is not None
    payee_abi = test_abi("ReentrantPayee")
    payee = deploy(mclient, anvil.keys[0], payee_abi, licenses)
    send(mclient, holder_key, L, licenses, "setPlan", ASSET, [payee], [10_000])
    offer_id = create_offer(mclient, market_net, holder_key, 12345)
    send(mclient, anvil.keys[2], L, licenses, "buy", offer_id, value=12345)
    send(mclient, anvil.keys[3], payee_abi, payee, "setRefuse", True)
    name, args = revert_of(
        mclient, address_of(anvil.keys[3]), payee_abi, payee, "withdraw", decoders=(L,)
    )
    assert (name, args["payee"], args["amount"]) == ("WithdrawFailed", payee, 12345)
    assert read(mclient, L, licenses, "owed", payee) == 12345 == mclient.balance(licenses)


def test_a_buyer_reentering_from_the_receive_hook_gets_one_licence(
    mclient: ChainClient, market_net: Network, anvil: Anvil, holder_key: str, minted: int
) -> None:
    licenses = market_net.licenses
    assert licenses is not None
    buyer_abi = test_abi("ReentrantBuyer")
    buyer = deploy(mclient, anvil.keys[0], buyer_abi, licenses)
    price = 10**15
    offer_id = create_offer(mclient, market_net, holder_key, price)
    mclient.fund(anvil.keys[0], buyer, 10 * price)  # enough for the re-entrant purchase

    send(mclient, anvil.keys[2], buyer_abi, buyer, "buy", offer_id, value=price)

    assert read(mclient, buyer_abi, buyer, "hookCalls") == 1
    assert read(mclient, buyer_abi, buyer, "reentryBuySucceeded") is False
    assert read(mclient, buyer_abi, buyer, "reentryError")[:4] == REENTRANT
    assert read(mclient, buyer_abi, buyer, "reentryWithdrawSucceeded") is False
    assert read(mclient, L, licenses, "balanceOf", buyer, offer_id) == 1
    assert read(mclient, L, licenses, "offer", offer_id)[4] == 1  # sold once
    assert mclient.balance(licenses) == read(mclient, L, licenses, "totalOwed") == price


def test_a_dao_takes_over_the_rules_and_the_former_holder_cannot_act(
    mclient: ChainClient, market_net: Network, anvil: Anvil, holder_key: str, minted: int
) -> None:
    custody, licenses = market_net.custody, market_net.licenses
    assert custody is not None and licenses is not None
    admin_key, voter_key = anvil.keys[0], anvil.keys[7]
    voter, treasury = address_of(voter_key), address_of(anvil.keys[8])
    token_abi, timelock_abi, governor_abi = (
        test_abi(name) for name in ("VotesToken", "TimelockController", "DaoGovernor")
    )
    votes = deploy(mclient, voter_key, token_abi, 1_000 * 10**18)
    send(mclient, voter_key, token_abi, votes, "delegate", voter)
    min_delay = 3600
    timelock = deploy(
        mclient, admin_key, timelock_abi, min_delay, [], [ZERO], address_of(admin_key)
    )
    governor = deploy(mclient, admin_key, governor_abi, votes, timelock)
    for role in ("PROPOSER_ROLE", "CANCELLER_ROLE"):
        role_id = read(mclient, timelock_abi, timelock, role)
        send(mclient, admin_key, timelock_abi, timelock, "grantRole", role_id, governor)

    # The holder hands the rules to the DAO's timelock.
    send(mclient, holder_key, C, custody, "setGovernor", ASSET, timelock)
    holder = address_of(holder_key)
    for abi, address, call, args in (
        (C, custody, "setUsage", (ASSET, 1)),
        (C, custody, "setGovernor", (ASSET, ZERO)),
        (L, licenses, "setPlan", (ASSET, [holder], [10_000])),
        (L, licenses, "createOffer", (ASSET, TERMS, 1, 1, 0, 2)),
    ):
        name, info = revert_of(mclient, holder, abi, address, call, *args)
        assert (name, info["controller"]) == ("NotController", timelock), call

    # A proposal: allow commercial use only, and pay all revenue to the treasury.
    targets = [custody, licenses]
    calldatas = [
        C.encode_call("setUsage", ASSET, 1),
        L.encode_call("setPlan", ASSET, [treasury], [10_000]),
    ]
    description = "Commercial use only; revenue to the treasury"
    desc_hash = keccak(text=description)
    send(
        mclient,
        voter_key,
        governor_abi,
        governor,
        "propose",
        targets,
        [0, 0],
        calldatas,
        description,
    )
    proposal = read(
        mclient, governor_abi, governor, "hashProposal", targets, [0, 0], calldatas, desc_hash
    )
    anvil.rpc("anvil_mine", ["0x2"])  # past the 1-block voting delay
    send(mclient, voter_key, governor_abi, governor, "castVote", proposal, 1)
    anvil.rpc("anvil_mine", ["0x6"])  # past the 5-block voting period
    assert read(mclient, governor_abi, governor, "state", proposal) == 4  # Succeeded
    send(mclient, voter_key, governor_abi, governor, "queue", targets, [0, 0], calldatas, desc_hash)
    anvil.rpc("evm_increaseTime", [min_delay + 1])
    anvil.rpc("evm_mine")
    send(
        mclient, voter_key, governor_abi, governor, "execute", targets, [0, 0], calldatas, desc_hash
    )

    assert read(mclient, governor_abi, governor, "state", proposal) == 7  # Executed
    assert read(mclient, C, custody, "rulesOf", ASSET) == (holder, timelock, 1, 0)
    assert read(mclient, L, licenses, "planOf", ASSET) == ([treasury], [10_000])
    name, _ = revert_of(mclient, holder, C, custody, "setUsage", ASSET, 7)
    assert name == "NotController"
