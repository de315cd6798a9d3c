"""chain.abi_codec against eth-abi: the same bytes out, the same values back, and
malformed data refused (as eth-abi's strict decoder refuses it)."""

from __future__ import annotations

import random

import eth_abi
import pytest
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

from numbers_cli.chain import abi_codec as abi
from numbers_cli.chain.register import encode_call
from numbers_cli.errors import InvalidFormat

NID = "bafkreigynoecrp5lpj3v7goch7sw5mxqpiff65txrydehlklrv3hmnp664"
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

CASES = [
    (["string", "string"], [NID, '{"a":"é 東京 📷"}']),
    (["string"], [""]),
    (["string", "string", "bytes"], [NID, "x" * 33, bytes(range(65))]),
    (["uint256[]"], [[1, 2, 2**256 - 1, 0]]),
    (["uint256[]"], [[]]),
    (
        ["uint8", "int256", "int16", "bool", "address", "bytes32", "bytes4"],
        [255, -(2**255), -1, True, ADDRESS, b"\x01" * 32, b"abcd"],
    ),
    (["string[]", "bytes"], [["a", "", "c" * 70], b""]),
    (["address[]", "uint64"], [[ADDRESS, "0x" + "00" * 20], 2**64 - 1]),
]


@pytest.mark.parametrize(("types", "values"), CASES)
def test_encode_and_decode_match_eth_abi(types, values):
    encoded = abi.encode(types, values)
    assert encoded == eth_abi.encode(types, values)
    assert list(abi.decode(types, encoded)) == [
        list(v) if isinstance(v, tuple) else v for v in eth_abi.decode(types, encoded)
    ]


def test_register_calldata_matches_eth_abi():
    data = encode_call("commit", NID, '{"assetTreeCid":"x"}')
    assert data[:4] == keccak(text="commit(string,string)")[:4]
    assert data[4:] == eth_abi.encode(["string", "string"], [NID, '{"assetTreeCid":"x"}'])


def test_random_round_trips():
    rnd = random.Random(5)
    for _ in range(200):
        values = [
            rnd.randbytes(rnd.randint(0, 100)),
            [rnd.getrandbits(256) for _ in range(rnd.randint(0, 5))],
        ]
        encoded = abi.encode(["bytes", "uint256[]"], values)
        assert encoded == eth_abi.encode(["bytes", "uint256[]"], values)
        assert list(abi.decode(["bytes", "uint256[]"], encoded)) == values


def _mutations(encoded: bytes) -> list[bytes]:
    out = [encoded[:-1], encoded[:-32], encoded[:31], b"", b"\x00" * 31]
    out.append((2**255).to_bytes(32, "big") + encoded[32:])  # offset far away
    out.append(encoded[:32] + (2**64).to_bytes(32, "big") + encoded[64:])  # length too long
    out.append(encoded[:-1] + b"\x01")  # non-zero padding
    return out


@pytest.mark.parametrize("types", [["bytes"], ["string"], ["uint256[]"]])
def test_malformed_data_is_refused_like_eth_abi(types):
    value = {"bytes": b"abc", "string": "abc", "uint256[]": [7]}[types[0]]
    for bad in _mutations(abi.encode(types, [value])):
        try:
            expected = eth_abi.decode(types, bad)
        except (DecodingError, OverflowError):  # eth-abi overflows on huge lengths
            expected = None
        if expected is None:
            with pytest.raises(InvalidFormat):
                abi.decode(types, bad)
        else:
            assert list(abi.decode(types, bad)) == [
                list(v) if isinstance(v, tuple) else v for v in expected
            ]


@pytest.mark.parametrize(
    ("types", "values"),
    [
        (["uint8"], [256]),
        (["uint256"], [-1]),
        (["int8"], [128]),
        (["bool"], [1]),
        (["address"], ["0x1234"]),
        (["bytes4"], [b"12345"]),
        (["string"], [b"bytes"]),
        (["bytes"], ["text"]),
        (["uint7"], [1]),
        (["tuple"], [1]),
        (["uint256[2]"], [[1, 2]]),
        (["string"], []),
    ],
)
def test_values_that_do_not_fit_are_refused(types, values):
    with pytest.raises(InvalidFormat):
        abi.encode(types, values)


def test_strict_decoding_of_static_values():
    with pytest.raises(InvalidFormat):
        abi.decode(["bool"], (2).to_bytes(32, "big"))
    with pytest.raises(InvalidFormat):
        abi.decode(["address"], b"\x01" + bytes(31))
    with pytest.raises(InvalidFormat):
        abi.decode(["uint8"], (256).to_bytes(32, "big"))
    with pytest.raises(InvalidFormat):
        abi.decode(["string"], abi.encode(["bytes"], [b"\xff\xfe"]))
