"""The Custody contract on a real anvil: minting with the registrant's EIP-712
consent, tokenURI, ERC-2981, and rules only the holder (or its governor) sets.

Reverts are read from the node's error data (tests.support.market.revert_of),
not from nit's own error mapping; test_market_errors.py checks that mapping.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.market import address_of, read, revert_of, send, sign_mint

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain.abi import contract_abi
from numbers_cli.chain.custody import mint_authorization, token_id
from numbers_cli.model.nid import Nid

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"  # the 5 bytes "hello"
METADATA = b'{\n  "name": "hello"\n}'
C = contract_abi("Custody")
ZERO = "0x" + "00" * 20


def sha256(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


class Keys:
    def __init__(self, anvil: Anvil) -> None:
        self.registrant = anvil.keys[1]
        self.other = anvil.keys[2]
        self.third = anvil.keys[3]


@pytest.fixture
def keys(anvil: Anvil) -> Keys:
    return Keys(anvil)


def mint(
    client: ChainClient,
    net: Network,
    signer_key: str,
    *,
    nid: str = NID,
    to: str | None = None,
    sender_key: str | None = None,
    royalty: int = 0,
    metadata: bytes = METADATA,
) -> Any:
    registrant = address_of(signer_key)
    to = to or registrant
    assert net.custody is not None
    signature = sign_mint(signer_key, nid, to, TEST_CHAIN_ID, net.custody)
    return send(
        client,
        sender_key or signer_key,
        C,
        net.custody,
        "mint",
        nid,
        to,
        sha256(metadata),
        royalty,
        registrant,
        signature,
    )


def test_mint_gives_the_token_of_the_nid_to_the_recipient(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    receipt = mint(mclient, market_net, keys.registrant)
    tid = int.from_bytes(keccak(NID.encode()), "big")
    assert token_id(NID) == tid == read(mclient, C, custody, "tokenIdOf", NID)
    assert read(mclient, C, custody, "ownerOf", tid) == address_of(keys.registrant)
    assert read(mclient, C, custody, "balanceOf", address_of(keys.registrant)) == 1
    # tokenURI: ipfs:// + the CIDv1 of the metadata bytes, as nit (and IPFS) compute it
    assert read(mclient, C, custody, "tokenURI", tid) == f"ipfs://{Nid.of_bytes(METADATA)}"
    logs = mclient.transaction_logs(receipt.tx_hash)
    events = [C.decode_log(log) for log in logs]
    minted = [e for e in events if e and e.name == "CustodyMinted"]
    assert len(minted) == 1
    assert minted[0].args["nid"] == NID
    assert minted[0].args["registrant"] == address_of(keys.registrant)
    assert minted[0].args["tokenId"] == tid


def test_mint_digest_is_the_eip712_hash_wallets_sign(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    assert market_net.custody is not None
    recipient = address_of(keys.other)
    typed = mint_authorization(NID, recipient, TEST_CHAIN_ID, market_net.custody)
    signable = encode_typed_data(full_message=typed)
    expected = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert read(mclient, C, market_net.custody, "mintDigest", NID, recipient) == expected


def test_anyone_may_submit_the_registrants_consent_for_any_recipient(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    assert market_net.custody is not None
    recipient = address_of(keys.third)
    mint(mclient, market_net, keys.registrant, to=recipient, sender_key=keys.other)
    assert read(mclient, C, market_net.custody, "ownerOf", token_id(NID)) == recipient


def test_a_second_mint_of_the_same_nid_reverts(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    mint(mclient, market_net, keys.registrant)
    me = address_of(keys.registrant)
    signature = sign_mint(keys.registrant, NID, me, TEST_CHAIN_ID, custody)
    name, args = revert_of(
        mclient, me, C, custody, "mint", NID, me, sha256(METADATA), 0, me, signature
    )
    assert name == "CustodyAlreadyMinted" and args["tokenId"] == token_id(NID)


@pytest.mark.parametrize(
    "tamper", ["other signer", "other recipient", "other chain", "other contract", "garbage"]
)
def test_a_bad_signature_reverts(
    mclient: ChainClient, market_net: Network, keys: Keys, tamper: str
) -> None:
    custody = market_net.custody
    assert custody is not None
    registrant = address_of(keys.registrant)
    to = registrant
    key, nid, chain_id, contract = keys.registrant, NID, TEST_CHAIN_ID, custody
    if tamper == "other signer":
        key = keys.other
    elif tamper == "other recipient":
        to = address_of(keys.third)  # signed for the registrant, submitted for someone else
    elif tamper == "other chain":
        chain_id = 1
    elif tamper == "other contract":
        contract = "0x" + "22" * 20
    signature = sign_mint(key, nid, registrant, chain_id, contract)
    if tamper == "garbage":
        signature = b"\x01" * 65
    name, args = revert_of(
        mclient, registrant, C, custody, "mint", NID, to, sha256(METADATA), 0, registrant, signature
    )
    assert name == "InvalidMintSignature" and args["registrant"] == registrant
    nothing = revert_of(mclient, registrant, C, custody, "ownerOf", token_id(NID))
    assert nothing[0] == "ERC721NonexistentToken"


def test_royalty_info_pays_the_current_holder(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    mint(mclient, market_net, keys.registrant, royalty=250)
    tid = token_id(NID)
    assert read(mclient, C, custody, "royaltyInfo", tid, 10_000) == (
        address_of(keys.registrant),
        250,
    )
    new_holder = address_of(keys.other)
    send(
        mclient,
        keys.registrant,
        C,
        custody,
        "transferFrom",
        address_of(keys.registrant),
        new_holder,
        tid,
    )
    assert read(mclient, C, custody, "royaltyInfo", tid, 1_000_000) == (new_holder, 25_000)
    # ERC-165: ERC-721 and ERC-2981
    assert read(mclient, C, custody, "supportsInterface", bytes.fromhex("80ac58cd")) is True
    assert read(mclient, C, custody, "supportsInterface", bytes.fromhex("2a55205a")) is True


def test_royalty_over_100_percent_reverts(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    me = address_of(keys.registrant)
    signature = sign_mint(keys.registrant, NID, me, TEST_CHAIN_ID, custody)
    name, args = revert_of(
        mclient, me, C, custody, "mint", NID, me, sha256(METADATA), 10_001, me, signature
    )
    assert (name, args["royaltyBps"]) == ("RoyaltyTooHigh", 10_001)
    mint(mclient, market_net, keys.registrant)
    name, _ = revert_of(mclient, me, C, custody, "setRoyalty", token_id(NID), 10_001)
    assert name == "RoyaltyTooHigh"


def test_only_the_holder_sets_rules(mclient: ChainClient, market_net: Network, keys: Keys) -> None:
    custody = market_net.custody
    assert custody is not None
    mint(mclient, market_net, keys.registrant)
    tid = token_id(NID)
    holder, stranger = address_of(keys.registrant), address_of(keys.other)
    for call, args in (
        ("setUsage", (tid, 3)),
        ("setRoyalty", (tid, 100)),
        ("setGovernor", (tid, stranger)),
    ):
        name, info = revert_of(mclient, stranger, C, custody, call, *args)
        assert name == "NotController", call
        assert (info["caller"], info["controller"]) == (stranger, holder)
    send(mclient, keys.registrant, C, custody, "setUsage", tid, 3)
    send(mclient, keys.registrant, C, custody, "setRoyalty", tid, 100)
    assert read(mclient, C, custody, "rulesOf", tid) == (holder, ZERO, 3, 100)
    name, info = revert_of(mclient, holder, C, custody, "setUsage", tid, 8)
    assert (name, info["usage"]) == ("UnknownUsage", 8)


def test_the_appointed_governor_alone_sets_rules_until_it_hands_back(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    mint(mclient, market_net, keys.registrant)
    tid = token_id(NID)
    holder, governor = address_of(keys.registrant), address_of(keys.other)
    send(mclient, keys.registrant, C, custody, "setGovernor", tid, governor)
    assert read(mclient, C, custody, "controllerOf", tid) == governor
    name, info = revert_of(mclient, holder, C, custody, "setUsage", tid, 1)
    assert (name, info["controller"]) == ("NotController", governor)
    name, _ = revert_of(mclient, holder, C, custody, "setGovernor", tid, ZERO)
    assert name == "NotController"  # the holder cannot take it back on its own
    send(mclient, keys.other, C, custody, "setUsage", tid, 2)
    send(mclient, keys.other, C, custody, "setGovernor", tid, ZERO)  # hands control back
    assert read(mclient, C, custody, "controllerOf", tid) == holder
    send(mclient, keys.registrant, C, custody, "setUsage", tid, 5)
    assert read(mclient, C, custody, "rulesOf", tid) == (holder, ZERO, 5, 0)


def test_transferring_the_token_moves_control_to_the_new_holder(
    mclient: ChainClient, market_net: Network, keys: Keys
) -> None:
    custody = market_net.custody
    assert custody is not None
    mint(mclient, market_net, keys.registrant)
    tid = token_id(NID)
    old, new, governor = (address_of(k) for k in (keys.registrant, keys.other, keys.third))
    send(mclient, keys.registrant, C, custody, "setUsage", tid, 1)
    send(mclient, keys.registrant, C, custody, "setGovernor", tid, governor)
    # the holder moves the token (ERC-721 transfer rights stay with the holder)
    send(mclient, keys.registrant, C, custody, "transferFrom", old, new, tid)
    assert read(mclient, C, custody, "rulesOf", tid) == (new, ZERO, 1, 0)
    for who in (old, governor):
        name, info = revert_of(mclient, who, C, custody, "setUsage", tid, 7)
        assert (name, info["controller"]) == ("NotController", new)
    send(mclient, keys.other, C, custody, "setUsage", tid, 7)
    assert read(mclient, C, custody, "usageOf", tid) == 7


def test_reads_of_an_unminted_token_revert(mclient: ChainClient, market_net: Network) -> None:
    custody = market_net.custody
    assert custody is not None
    sender = Account.create().address
    for call in ("rulesOf", "controllerOf", "tokenURI", "usageOf"):
        name, args = revert_of(mclient, sender, C, custody, call, token_id(NID))
        assert (name, args["tokenId"]) == ("ERC721NonexistentToken", token_id(NID)), call
    assert read(mclient, C, custody, "royaltyInfo", token_id(NID), 100) == (ZERO, 0)
