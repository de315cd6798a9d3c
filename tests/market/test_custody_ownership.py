"""Custody's ERC-721 ownership on a real anvil, across the mint path that saves a slot.

Custody's mint does not write ERC721's owner mapping: it records the holder
in its own per-token slot (packed with the royalty and usage flags), raises
the balance with OpenZeppelin's `_increaseBalance` and overrides `_ownerOf`
(contracts/Custody.sol). These tests hold it to what OpenZeppelin's
`_safeMint` gives: the Transfer event, approvals and operators working before
the first transfer, balances and owners right through transfers (the first
one moves the holder into ERC721's mapping), per-token data surviving them,
the receiver check for contract recipients, and no second mint ever.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from eth_account import Account
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.market import address_of, deploy, read, revert_of, send, sign_mint, test_abi

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import token_id

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"  # the 5 bytes "hello"
DIGEST = hashlib.sha256(b'{"name": "hello"}').digest()
C = contract_abi("Custody")
ZERO = "0x" + "00" * 20
TID = token_id(NID)


def mint_args(key: str, to: str, royalty: int = 0, custody: str = "") -> tuple[Any, ...]:
    me = address_of(key)
    return (NID, to, DIGEST, royalty, me, sign_mint(key, NID, to, TEST_CHAIN_ID, custody))


def custody_of(net: Network) -> str:
    assert net.custody is not None
    return net.custody


def test_mint_emits_transfer_from_zero_and_sets_balance_and_owner(
    mclient: ChainClient, market_net: Network, anvil: Anvil
) -> None:
    custody = custody_of(market_net)
    key = anvil.keys[1]
    to = Account.create().address  # a recipient with no token yet
    receipt = send(mclient, key, C, custody, "mint", *mint_args(key, to, 250, custody))
    events = [C.decode_log(log) for log in mclient.transaction_logs(receipt.tx_hash)]
    names = [e.name for e in events if e]
    assert names == ["Transfer", "CustodyMinted"]
    transfer = events[0]
    assert transfer is not None
    assert (transfer.args["from"], transfer.args["to"], transfer.args["tokenId"]) == (ZERO, to, TID)
    assert read(mclient, C, custody, "ownerOf", TID) == to
    assert read(mclient, C, custody, "balanceOf", to) == 1
    assert read(mclient, C, custody, "royaltyInfo", TID, 10_000) == (to, 250)


def test_approvals_transfers_and_balances_through_the_holder_record(
    mclient: ChainClient, market_net: Network, anvil: Anvil
) -> None:
    custody = custody_of(market_net)
    first, operator, second = anvil.keys[1], anvil.keys[2], anvil.keys[3]
    a, op, b = address_of(first), address_of(operator), address_of(second)
    send(mclient, first, C, custody, "mint", *mint_args(first, a, 300, custody))
    send(mclient, first, C, custody, "setUsage", TID, 3)
    balance_a = read(mclient, C, custody, "balanceOf", a)

    # Before any transfer: only the holder of record may approve; the approved moves it.
    name, _ = revert_of(mclient, op, C, custody, "approve", op, TID)
    assert name == "ERC721InvalidApprover"
    send(mclient, first, C, custody, "approve", op, TID)
    assert read(mclient, C, custody, "getApproved", TID) == op
    name, _ = revert_of(mclient, b, C, custody, "transferFrom", a, b, TID)
    assert name == "ERC721InsufficientApproval"
    name, _ = revert_of(mclient, op, C, custody, "transferFrom", b, op, TID)
    assert name == "ERC721IncorrectOwner"
    send(mclient, operator, C, custody, "transferFrom", a, b, TID)

    assert read(mclient, C, custody, "ownerOf", TID) == b
    assert read(mclient, C, custody, "balanceOf", a) == balance_a - 1
    assert read(mclient, C, custody, "balanceOf", b) == 1
    assert read(mclient, C, custody, "getApproved", TID) == ZERO  # cleared by the transfer
    assert read(mclient, C, custody, "rulesOf", TID) == (b, ZERO, 3, 300)
    assert read(mclient, C, custody, "royaltyInfo", TID, 10_000) == (b, 300)
    name, _ = revert_of(mclient, a, C, custody, "transferFrom", b, a, TID)
    assert name == "ERC721InsufficientApproval"  # the former holder has no say

    # Later transfers run on ERC721's own owner mapping; an operator for all works too.
    send(mclient, second, C, custody, "setApprovalForAll", op, True)
    send(mclient, operator, C, custody, "transferFrom", b, a, TID)
    assert read(mclient, C, custody, "ownerOf", TID) == a
    assert read(mclient, C, custody, "balanceOf", a) == balance_a
    assert read(mclient, C, custody, "balanceOf", b) == 0
    assert read(mclient, C, custody, "rulesOf", TID) == (a, ZERO, 3, 300)
    send(mclient, first, C, custody, "setRoyalty", TID, 0)
    send(mclient, first, C, custody, "setUsage", TID, 0)
    send(mclient, first, C, custody, "transferFrom", a, b, TID)  # the Token slot is now empty
    assert read(mclient, C, custody, "ownerOf", TID) == b
    assert read(mclient, C, custody, "rulesOf", TID) == (b, ZERO, 0, 0)

    # Whoever holds it, and however empty its rules, the Nid has had its one token.
    name, args = revert_of(mclient, a, C, custody, "mint", *mint_args(first, a, 0, custody))
    assert (name, args["tokenId"]) == ("CustodyAlreadyMinted", TID)


def test_a_transfer_to_oneself_keeps_the_holder_and_its_governor(
    mclient: ChainClient, market_net: Network, anvil: Anvil
) -> None:
    custody = custody_of(market_net)
    key, governor = anvil.keys[1], address_of(anvil.keys[2])
    me = address_of(key)
    send(mclient, key, C, custody, "mint", *mint_args(key, me, 0, custody))
    balance = read(mclient, C, custody, "balanceOf", me)
    send(mclient, key, C, custody, "setGovernor", TID, governor)
    send(mclient, key, C, custody, "transferFrom", me, me, TID)
    assert read(mclient, C, custody, "ownerOf", TID) == me
    assert read(mclient, C, custody, "balanceOf", me) == balance
    assert read(mclient, C, custody, "controllerOf", TID) == governor


@pytest.mark.parametrize("recipient", ["accepting contract", "contract without the hook", "zero"])
def test_contract_recipients_must_accept_as_with_safe_mint(
    mclient: ChainClient, market_net: Network, anvil: Anvil, recipient: str
) -> None:
    custody = custody_of(market_net)
    key = anvil.keys[1]
    me = address_of(key)
    if recipient == "accepting contract":  # OpenZeppelin's TimelockController is an ERC721Holder
        to = deploy(mclient, anvil.keys[0], test_abi("TimelockController"), 0, [], [], me)
        send(mclient, key, C, custody, "mint", *mint_args(key, to, 0, custody))
        assert read(mclient, C, custody, "ownerOf", TID) == to
        assert read(mclient, C, custody, "balanceOf", to) == 1
        return
    to = ZERO if recipient == "zero" else deploy(mclient, anvil.keys[0], test_abi("PlainERC721"))
    name, args = revert_of(mclient, me, C, custody, "mint", *mint_args(key, to, 0, custody))
    assert (name, args["receiver"]) == ("ERC721InvalidReceiver", to)
    name, _ = revert_of(mclient, me, C, custody, "ownerOf", TID)
    assert name == "ERC721NonexistentToken"  # nothing was minted
