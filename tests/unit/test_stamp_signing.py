"""How `nit attest` signs: EIP-191 personal_sign of raw bytes (a DSSE envelope's
PAE) through model.signature over libsecp256k1, byte for byte what eth-account
makes, and without loading eth-account on the stamp, attest and verify paths."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.secp256k1 import load_private_key
from numbers_cli.model.signature import recover_bytes_signer, sign_bytes
from numbers_cli.wallet import Signer
from numbers_cli.wallet.dsse import recover_pae_signer

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # eth-account docs


def test_sign_bytes_is_eth_accounts_byte_for_byte() -> None:
    rnd = random.Random(14)
    key = load_private_key(bytes.fromhex(KEY))
    messages = [b"", b"\x00", b"DSSEv1 28 application/vnd.in-toto+json 2 {}"]
    messages += [rnd.randbytes(rnd.randint(1, 3000)) for _ in range(40)]
    for data in messages:
        ours = sign_bytes(key, data)
        theirs = Account.sign_message(encode_defunct(primitive=data), bytes.fromhex(KEY))
        assert bytes.fromhex(ours[2:]) == bytes(theirs.signature), data[:20]
        address = Account.recover_message(
            encode_defunct(primitive=data), signature=theirs.signature
        )
        assert recover_bytes_signer(data, bytes(theirs.signature)) == address


def test_the_wallet_signer_and_the_dsse_key_agree() -> None:
    signer = Signer(bytes.fromhex(KEY))
    pae = b"DSSEv1 28 application/vnd.in-toto+json 7 payload"
    signature = bytes.fromhex(signer.sign_bytes(pae)[2:])
    assert recover_pae_signer(pae, signature) == signer.address
    assert recover_pae_signer(pae + b"!", signature) != signer.address
    with pytest.raises(ValueError, match="65 bytes"):
        recover_pae_signer(pae, signature[:64])
    with pytest.raises(ValueError):
        recover_pae_signer(pae, signature[:64] + b"\x05")  # v neither 27/28 nor 0/1
    with pytest.raises(InvalidFormat):
        recover_bytes_signer(pae, b"\x00" * 65)  # r = s = 0: no public key


def test_stamp_attest_and_verify_load_no_eth_account() -> None:
    """The modules of `nit stamp`, `nit attest` and `nit verify --statement`, and a
    DSSE envelope signed and checked, leave eth-account and its stack unloaded."""
    code = (
        "import sys\n"
        "from numbers_cli.ops.stamp import run, attest, verify, batch, check\n"
        "from numbers_cli.wallet.dsse import WalletDsseSigner, EthereumKey\n"
        "from numbers_cli.wallet import Signer\n"
        "from securesystemslib.dsse import Envelope\n"
        f"signer = Signer(bytes.fromhex('{KEY}'))\n"
        "envelope = Envelope(b'{}', 'application/vnd.in-toto+json', {})\n"
        "envelope.sign(WalletDsseSigner(signer))\n"
        "envelope.verify([EthereumKey(signer.address)], 1)\n"
        "heavy = ('eth_account', 'eth_keys', 'eth_utils', 'eth_abi', 'eth_keyfile',\n"
        "         'eth_hash', 'py_ecc', 'pydantic', 'web3')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stderr
