"""Keccak, addresses, secp256k1 signatures and transactions of the model layer.

nit signs and verifies with its own thin layer over libsecp256k1 (coincurve)
and Keccak (safe-pysha3) instead of eth-account, for start-up time. These tests
hold that layer to published vectors and, byte for byte, to eth-account,
eth-keys and eth-utils (still installed: web3 depends on them), so signatures
and transactions are exactly what they were.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak as reference_keccak
from eth_utils import to_checksum_address

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.address import (
    address_of_public_key,
    checksum_address,
    is_hex_address,
    keccak256,
)
from numbers_cli.model.secp256k1 import (
    GROUP_ORDER,
    load_private_key,
    public_key_bytes,
    recover_public_key,
)
from numbers_cli.model.signature import recover_signer, sign_text
from numbers_cli.model.transaction import rlp_encode, sign_transaction

# eth-account's documentation key and address (its sign_transaction examples).
KNOWN_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KNOWN_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def keys(count: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    while len(out) < count:
        raw = rnd.randbytes(32)
        if 0 < int.from_bytes(raw, "big") < GROUP_ORDER:
            out.append(raw)
    return out


# -- keccak and addresses -------------------------------------------------------


def test_keccak256_known_values():
    # Keccak-256 of "" (Ethereum's empty-code hash) and of "hello".
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"hello").hex() == (
        "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8"
    )
    rnd = random.Random(1)
    for size in (0, 1, 135, 136, 137, 1000, 70_000):  # around the 136-byte rate
        data = rnd.randbytes(size)
        assert keccak256(data) == reference_keccak(data)


# The test cases published in EIP-55 ("Test Cases": all caps, all lower, normal).
EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_published_vectors(address):
    assert checksum_address(address.lower()) == address
    assert checksum_address(address.upper().replace("0X", "0x")) == address
    assert checksum_address(address[2:]) == address  # like eth-utils, 0x is optional


def test_checksum_matches_eth_utils():
    rnd = random.Random(2)
    for _ in range(200):
        bare = rnd.randbytes(20).hex()
        assert checksum_address("0x" + bare) == to_checksum_address("0x" + bare)


@pytest.mark.parametrize(
    "bad", ["", "0x", "0x123", "0x" + "g" * 40, "0x" + "a" * 41, "1" * 39, None, 5]
)
def test_not_an_address(bad):
    with pytest.raises(InvalidFormat):
        checksum_address(bad)
    assert not is_hex_address(bad)


def test_is_address_needs_the_prefix():
    assert is_hex_address("0x" + "a" * 40) and is_hex_address("0X" + "A" * 40)
    assert not is_hex_address("a" * 40)


# -- keys and personal_sign -------------------------------------------------------


def test_known_key_gives_known_address():
    key = load_private_key(bytes.fromhex(KNOWN_KEY))
    assert address_of_public_key(public_key_bytes(key)) == KNOWN_ADDRESS


@pytest.mark.parametrize("raw", [b"", b"\x01" * 31, b"\x00" * 32, GROUP_ORDER.to_bytes(32, "big")])
def test_invalid_private_keys(raw):
    with pytest.raises(InvalidFormat) as info:
        load_private_key(raw)
    assert raw.hex() not in str(info.value) or not raw


def test_personal_sign_is_eth_accounts_byte_for_byte():
    texts = ["", "a" * 64, "hello", "photo taken in Zürich, 東京 📷", "x" * 1000]
    for raw in keys(40, seed=3):
        key = load_private_key(raw)
        address = Account.from_key(raw).address
        assert address_of_public_key(public_key_bytes(key)) == address
        for text in texts:
            signature = sign_text(key, text)
            reference = Account.sign_message(encode_defunct(text=text), raw).signature
            assert signature == "0x" + bytes(reference).hex()
            assert recover_signer(text, signature) == address


def _reference_recover(text: str, signature: str) -> str | None:
    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    except Exception:
        return None


def _ours(text: str, signature: str) -> str | None:
    try:
        return recover_signer(text, signature)
    except InvalidFormat:
        return None


def test_recover_accepts_and_refuses_what_eth_account_does():
    """Malformed and unusual signatures: same signer, or refused by both."""
    key = load_private_key(bytes.fromhex(KNOWN_KEY))
    text = "a" * 64
    good = sign_text(key, text)
    r, s, v = good[2:66], good[66:130], int(good[130:], 16)
    high_s = format(GROUP_ORDER - int(s, 16), "064x")  # the malleated twin (other v)
    order = format(GROUP_ORDER, "064x")
    variants = [
        good,
        good.upper().replace("0X", "0x"),
        good[2:],  # no 0x
        "0X" + good[2:],
        good[:-2] + "1b",
        good[:-2] + "1c",
        good[:-2] + "00",
        good[:-2] + "01",
        good[:-2] + "02",
        good[:-2] + "1d",
        good[:-2] + "22",
        good[:-2] + "23",  # 35: EIP-155 form, chain 0, bit 0
        good[:-2] + "24",
        good[:-2] + "25",
        good[:-2] + "ff",
        "0x" + r + high_s + format(55 - v, "02x"),
        "0x" + "00" * 32 + s + format(v, "02x"),
        "0x" + r + "00" * 32 + format(v, "02x"),
        "0x" + order + s + format(v, "02x"),
        "0x" + r + order + format(v, "02x"),
        "0x" + "ff" * 65,
        good[:-1],  # odd length: hexbytes pads a leading zero
        "0x" + good[3:],
        good + "00",
        good[:-2],
        "0x",
        "",
        "not hex at all",
        "0x" + "zz" * 65,
        "0xé" + good[4:],
    ]
    for signature in variants:
        assert _ours(text, signature) == _reference_recover(text, signature), signature
    assert _ours(text, good) == KNOWN_ADDRESS


def test_recover_public_key_refuses_out_of_range_values():
    digest = keccak256(b"x")
    for r, s, recovery_id in [(1, 1, 2), (GROUP_ORDER, 1, 0), (1, GROUP_ORDER, 0), (0, 0, 0)]:
        with pytest.raises(InvalidFormat):
            recover_public_key(digest, r, s, recovery_id)
    with pytest.raises(InvalidFormat):
        recover_public_key(b"short", 1, 1, 0)


# -- transactions -----------------------------------------------------------------


def test_rlp_yellow_paper_examples():
    # The examples of the Ethereum wiki's RLP page (ethereum.org, "RLP" examples).
    assert rlp_encode(b"dog") == b"\x83dog"
    assert rlp_encode([b"cat", b"dog"]) == b"\xc8\x83cat\x83dog"
    assert rlp_encode(b"") == b"\x80"
    assert rlp_encode([]) == b"\xc0"
    assert rlp_encode(b"\x00") == b"\x00"
    assert rlp_encode(b"\x0f") == b"\x0f"
    assert rlp_encode(b"\x04\x00") == b"\x82\x04\x00"
    assert rlp_encode([[], [[]], [[], [[]]]]) == bytes.fromhex("c7c0c1c0c3c0c1c0")
    lorem = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit"
    assert rlp_encode(lorem) == b"\xb8\x38" + lorem


def _random_transactions(seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(120):
        tx: dict = {
            "chainId": rnd.choice([1, 31337, 2**40 + 7]),
            "nonce": rnd.choice([0, 1, 127, 128, 2**20]),
            "gas": rnd.randint(21_000, 10_000_000),
            "value": rnd.choice([0, 1, 10**18, 2**200]),
            "data": rnd.randbytes(rnd.choice([0, 1, 55, 56, 900, 70_000])),
        }
        if i % 4:
            tx["to"] = to_checksum_address(rnd.randbytes(20).hex())
        if i % 2:
            tx["maxFeePerGas"] = rnd.choice([0, 1, 10**12])
            tx["maxPriorityFeePerGas"] = rnd.choice([0, 1, 10**9])
        else:
            tx["gasPrice"] = rnd.choice([0, 1, 10**12])
        out.append(tx)
    return out


def test_signed_transactions_are_eth_accounts_byte_for_byte():
    """EIP-1559 and EIP-155 legacy, calls and contract creations, as nit sends them."""
    raw_key = bytes.fromhex(KNOWN_KEY)
    key = load_private_key(raw_key)
    for tx in _random_transactions(seed=4):
        ours = sign_transaction(key, tx)
        reference = Account.sign_transaction(dict(tx), raw_key)
        assert ours.raw_transaction == bytes(reference.raw_transaction), tx
        assert ours.hash == bytes(reference.hash)
        assert Account.recover_transaction(ours.raw_transaction) == KNOWN_ADDRESS


def test_legacy_transaction_without_chain_id():
    raw_key = bytes.fromhex(KNOWN_KEY)
    tx = {"nonce": 3, "gasPrice": 10**9, "gas": 21_000, "to": KNOWN_ADDRESS, "value": 5}
    ours = sign_transaction(load_private_key(raw_key), tx)
    assert ours.raw_transaction == bytes(
        Account.sign_transaction(dict(tx), raw_key).raw_transaction
    )


@pytest.mark.parametrize(
    "change",
    [
        {"nonce": -1},
        {"gas": "21000"},
        {"value": True},
        {"to": "0x1234"},
        {"data": "0xzz"},
        {"from": KNOWN_ADDRESS},
        {"type": 1},
    ],
)
def test_malformed_transactions_are_refused(change):
    tx = {"chainId": 1, "nonce": 0, "gas": 21_000, "gasPrice": 1, "to": KNOWN_ADDRESS}
    with pytest.raises(InvalidFormat):
        sign_transaction(load_private_key(bytes.fromhex(KNOWN_KEY)), {**tx, **change})


# -- what signing and verifying import ------------------------------------------


def test_signing_and_verifying_import_no_eth_account_stack():
    """The point of this layer: commit, verify, log --remote and push sign and
    recover without loading eth-account, eth-keys, eth-utils, eth-abi, pydantic
    or py_ecc (about 0.5 s of imports before the first signature)."""
    code = (
        "import sys\n"
        "from numbers_cli.wallet import Signer\n"
        "from numbers_cli.model.signature import recover_signer\n"
        "from numbers_cli.chain.register import encode_call, decode_uint_array, nid_topic\n"
        "from numbers_cli.chain.transactions import _account\n"
        "signer = Signer(bytes.fromhex('" + KNOWN_KEY + "'))\n"
        "assert recover_signer('a', signer.sign_text('a')) == signer.address\n"
        "signer.sign_transaction({'chainId': 1, 'nonce': 0, 'gas': 1, 'maxFeePerGas': 1,\n"
        "    'maxPriorityFeePerGas': 1, 'to': signer.address, 'data': encode_call('commit', 'a', 'b')})\n"
        "_account('0x"
        + KNOWN_KEY
        + "').sign({'chainId': 1, 'nonce': 0, 'gas': 1, 'gasPrice': 1})\n"
        "decode_uint_array(bytes(64)); nid_topic('x')\n"
        "from numbers_cli.model.signature import is_address\n"
        "assert is_address(signer.address)\n"
        "heavy = ('eth_account', 'eth_keys', 'eth_utils', 'eth_abi', 'eth_keyfile', 'py_ecc',\n"
        "         'pydantic', 'web3', 'rlp', 'Crypto')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_committer_address_rule_is_eip55_or_lower_case():
    from numbers_cli.model.signature import is_address

    rnd = random.Random(6)
    for _ in range(100):
        lower = "0x" + rnd.randbytes(20).hex()
        checksummed = to_checksum_address(lower)
        assert is_address(lower) and is_address(checksummed)
        flipped = checksummed[:2] + "".join(
            c.swapcase() if c.isalpha() and rnd.random() < 0.3 else c for c in checksummed[2:]
        )
        assert is_address(flipped) == (flipped == checksummed or flipped[2:] == flipped[2:].lower())
    assert not is_address("0X" + "a" * 40)
    assert not is_address("0x" + "A" * 40)
    assert not is_address("mallory")
