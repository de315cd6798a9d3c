"""Pure pieces of the market: amounts, shares, plans, expiry, uses, metadata JSON,
EIP-712 signing (against the EIP's published vector) and the mapping of every
custom error of the contracts to a one-line NitError."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from numbers_cli.chain import custody, licenses
from numbers_cli.chain.abi import checksum_address, contract_abi
from numbers_cli.errors import MarketRefused, NitError, NotAllowed, NotFound, UsageError
from numbers_cli.model.market import (
    parse_amount,
    parse_bps,
    parse_expiry,
    parse_payees,
    parse_uses,
    token_metadata,
)
from numbers_cli.model.nid import Nid
from numbers_cli.wallet import Signer

A = "0x" + "aa" * 20
B = "0x" + "bb" * 20
NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        ("0.01", 10**16),
        ("0.01 ETH", 10**16),
        ("1", 10**18),
        ("5 gwei", 5 * 10**9),
        ("1000wei", 1000),
        ("0", 0),
        (".5", 5 * 10**17),
        ("2 NUM", 2 * 10**18),
    ],
)
def test_amounts(text: str, wei: int) -> None:
    assert parse_amount(text) == wei


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", "negative"),
        ("abc", "not an amount"),
        ("1 doge", "not an amount"),
        ("0.5 wei", "more decimals"),
        ("1e3", "not an amount"),
        (str(2**96), "too large"),
    ],
)
def test_bad_amounts(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_amount(text, what="--price")


def test_bps() -> None:
    assert parse_bps("250") == 250
    assert parse_bps("2.5%") == 250
    assert parse_bps("100%") == 10_000
    for bad in ("10001", "-1", "x", "2.555%"):
        with pytest.raises(UsageError):
            parse_bps(bad)


def test_payees() -> None:
    assert parse_payees([f"{A}:7000", f"{B}:3000"]) == [(A, 7000), (B, 3000)]
    assert parse_payees([f"{A}:100%"]) == [(A, 10_000)]
    cases = {
        (f"{A}:5000", f"{B}:4999"): "sum to 9999",
        (f"{A}:5000", f"{A}:5000"): "twice",
        (f"{A}:0", f"{B}:10000"): "zero share",
        ("0xnothex:10000",): "ADDRESS:BPS",
        (A,): "ADDRESS:BPS",
        ("0x" + "00" * 20 + ":10000",): "zero address",
        (): "at least one",
    }
    for items, message in cases.items():
        with pytest.raises(UsageError, match=message):
            parse_payees(items)
    many = [f"0x{n:040x}:625" for n in range(1, 18)]
    with pytest.raises(UsageError, match="at most 16"):
        parse_payees(many)


def test_expiry() -> None:
    assert parse_expiry(None, now=NOW) == 0
    assert parse_expiry("never", now=NOW) == 0
    assert parse_expiry("30d", now=NOW) == NOW + 30 * 86400
    assert parse_expiry("2030-01-31", now=NOW) == 1_896_048_000
    assert parse_expiry("2030-01-31T12:00:00Z", now=NOW) == 1_896_048_000 + 43200
    assert parse_expiry("@1900000000", now=NOW) == 1_900_000_000
    for bad, message in (
        ("2001-01-01", "in the past"),
        ("@5", "in the past"),
        ("tomorrow", "not a date"),
        ("2030-13-01", "not a date"),
    ):
        with pytest.raises(UsageError, match=message):
            parse_expiry(bad, now=NOW)


def test_uses() -> None:
    assert parse_uses("ai-training,commercial") == 3
    assert parse_uses(["derivatives"]) == 4
    assert parse_uses("all") == 7
    assert parse_uses("AI_Training") == 2
    assert parse_uses(None) == 0
    with pytest.raises(UsageError, match="unknown use 'teleport'"):
        parse_uses("commercial,teleport")


def test_addresses_are_checked_with_their_checksum() -> None:
    good = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    assert checksum_address(good.lower()) == good
    assert checksum_address(good.upper().replace("0X", "0x")) == good
    with pytest.raises(UsageError, match="bad checksum"):
        checksum_address(good.replace("E", "e", 1))
    with pytest.raises(UsageError, match="not an address"):
        checksum_address("0x1234")


def test_metadata_is_deterministic_and_names_the_registration() -> None:
    args: dict[str, Any] = {
        "nid": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
        "name": "hello.txt",
        "description": "Custody of hello.",
        "network": "devnet",
        "chain_id": 31337,
        "register": A,
        "registration_commit": "bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu",
        "registration_tx": "0x" + "12" * 32,
    }
    first, second = token_metadata(**args), token_metadata(**args)
    assert first == second
    assert Nid.of_bytes(first).startswith("bafkrei")  # one raw block: what tokenURI encodes
    text = first.decode()
    assert text.startswith('{\n  "name": "hello.txt",\n  "description"')
    assert '"image": "ipfs://bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"' in text
    assert '"registrationCommit": "bafkreidptw' in text and '"chainId": 31337' in text


def test_sign_typed_data_matches_the_eip712_published_example() -> None:
    """EIP-712's own example ("Mail", key keccak256("cow")) and its published signature."""
    key = keccak(text="cow")
    signer = Signer(key)
    assert signer.address == "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    mail = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [
                {"name": "from", "type": "Person"},
                {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"},
            ],
        },
        "primaryType": "Mail",
        "domain": {
            "name": "Ether Mail",
            "version": "1",
            "chainId": 1,
            "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
        },
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!",
        },
    }
    r = "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
    s = "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562"
    assert signer.sign_typed_data(mail) == f"0x{r}{s}1c"


def _sample(kind: str) -> Any:
    if kind == "address":
        return A
    if kind.startswith(("uint", "int")):
        return 7
    if kind == "string":
        return "why"
    if kind.startswith("bytes") and kind != "bytes":
        return b"\x01" * int(kind[5:])
    return b"\x01"


@pytest.mark.parametrize(
    ("name", "explain"),
    [("Custody", custody.explain_error), ("Licenses", licenses.explain_error)],
)
def test_every_custom_error_has_a_one_line_message(name: str, explain: Any) -> None:
    abi = contract_abi(name)
    errors = [item for item in abi.artifact.abi if item["type"] == "error"]
    assert errors
    for item in errors:
        types = [arg["type"] for arg in item["inputs"]]
        signature = f"{item['name']}({','.join(types)})"
        data = keccak(text=signature)[:4] + encode(types, [_sample(t) for t in types])
        error = explain(data)
        assert isinstance(error, NitError), signature
        assert error.message and "\n" not in error.message, signature


def test_reverts_map_to_the_documented_exit_codes() -> None:
    def data(signature: str, types: list[str], values: list[Any]) -> bytes:
        return keccak(text=signature)[:4] + encode(types, values)

    cases = [
        (
            custody.explain_error(data("CustodyAlreadyMinted(uint256)", ["uint256"], [1])),
            MarketRefused,
        ),
        (
            custody.explain_error(data("InvalidMintSignature(address)", ["address"], [A])),
            NotAllowed,
        ),
        (
            licenses.explain_error(
                data(
                    "NotController(uint256,address,address)",
                    ["uint256", "address", "address"],
                    [1, A, B],
                )
            ),
            NotAllowed,
        ),
        (
            licenses.explain_error(data("SoldOut(uint256,uint32)", ["uint256", "uint32"], [1, 2])),
            MarketRefused,
        ),
        (
            licenses.explain_error(
                data("OfferExpired(uint256,uint64)", ["uint256", "uint64"], [1, 2])
            ),
            MarketRefused,
        ),
        (
            licenses.explain_error(
                data("WrongPrice(uint256,uint256,uint256)", ["uint256"] * 3, [1, 2, 3])
            ),
            UsageError,
        ),
        (licenses.explain_error(data("PlanSumInvalid(uint256)", ["uint256"], [9999])), UsageError),
        (licenses.explain_error(data("NothingDue(address)", ["address"], [A])), MarketRefused),
        # a Custody error passed on by Licenses (an asset without a custody token)
        (
            licenses.explain_error(data("ERC721NonexistentToken(uint256)", ["uint256"], [1])),
            NotFound,
        ),
    ]
    for error, kind in cases:
        assert type(error) is kind, error
    assert licenses.explain_error(b"\xde\xad\xbe\xef") is None
    assert licenses.explain_error(None) is None
