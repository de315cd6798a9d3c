"""Opening Web3 Secret Storage keystores without eth-keyfile.

Vectors: the "Test Vectors" section of the Web3 Secret Storage Definition
(ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage):
password "testpassword", secret 7a28b5ba...4fe9d, one PBKDF2-SHA-256 and one
scrypt keystore. Files written by eth-account (what `nit wallet create`
writes) must open to the same key as eth-account's own `decrypt`.
"""

from __future__ import annotations

import copy

import pytest
from eth_account import Account

from numbers_cli.wallet import secret_storage

SECRET = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"

PBKDF2_VECTOR = {
    "crypto": {
        "cipher": "aes-128-ctr",
        "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
        "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
        "kdf": "pbkdf2",
        "kdfparams": {
            "c": 262144,
            "dklen": 32,
            "prf": "hmac-sha256",
            "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
        },
        "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
    },
    "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    "version": 3,
}

SCRYPT_VECTOR = {
    "crypto": {
        "cipher": "aes-128-ctr",
        "cipherparams": {"iv": "83dbcc02d8ccb40e466191a123791e0e"},
        "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
        "kdf": "scrypt",
        "kdfparams": {
            "dklen": 32,
            "n": 262144,
            "r": 1,
            "p": 8,
            "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
        },
        "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
    },
    "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    "version": 3,
}


@pytest.mark.parametrize("vector", [PBKDF2_VECTOR, SCRYPT_VECTOR], ids=["pbkdf2", "scrypt"])
def test_published_vectors(vector):
    assert secret_storage.decrypt(vector, "testpassword").hex() == SECRET


def test_wrong_passphrase_is_a_mac_mismatch():
    with pytest.raises(secret_storage.MacMismatch):
        secret_storage.decrypt(PBKDF2_VECTOR, "testpassword!")


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
@pytest.mark.parametrize(
    "passphrase", ["p", "correct horse battery staple", "pässwörd 東京 📷", ""]
)
def test_keystores_eth_account_writes_open_to_the_same_key(kdf, passphrase):
    key = bytes.fromhex(SECRET)
    keystore = Account.encrypt(key, passphrase, kdf=kdf, iterations=2 if kdf == "scrypt" else 16)
    assert secret_storage.decrypt(keystore, passphrase) == key
    assert secret_storage.decrypt(keystore, passphrase) == bytes(
        Account.decrypt(keystore, passphrase)
    )


def test_key_case_is_ignored_as_eth_keyfile_does():
    keystore = Account.encrypt(bytes.fromhex(SECRET), "p", kdf="scrypt", iterations=2)
    shouted = {"Crypto" if k == "crypto" else k: v for k, v in keystore.items()}
    shouted["Crypto"] = {k.upper(): v for k, v in shouted["Crypto"].items()}
    assert secret_storage.decrypt(shouted, "p").hex() == SECRET


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: c.pop("kdfparams"),
        lambda c: c.update(kdf="argon2"),
        lambda c: c.update(cipher="aes-128-cbc"),
        lambda c: c.update(ciphertext="zz"),
        lambda c: c["kdfparams"].update(prf="sha256"),
        lambda c: c["kdfparams"].update(c="many"),
        lambda c: c.pop("mac"),
    ],
)
def test_damaged_keystores_raise_no_mac_mismatch(damage):
    keystore = copy.deepcopy(PBKDF2_VECTOR)
    keystore["crypto"]["kdfparams"]["c"] = 2  # cheap: each damage is found before the MAC
    damage(keystore["crypto"])
    with pytest.raises((KeyError, TypeError, ValueError, NotImplementedError)) as info:
        secret_storage.decrypt(keystore, "testpassword")
    assert not isinstance(
        info.value, secret_storage.MacMismatch
    )  # "damaged", not "wrong passphrase"
