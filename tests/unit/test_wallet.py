"""Wallets: encrypted keystores on disk, and the Signer that never shows its key."""

from __future__ import annotations

import copy
import json
import os
import pickle
import stat
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_checksum_address

from numbers_cli import config_keys, wallet
from numbers_cli.errors import ExitCode, WalletError
from numbers_cli.wallet import (
    Signer,
    WalletInfo,
    create_wallet,
    import_keystore,
    import_private_key,
    list_wallets,
    signer_from_env,
    unlock,
    wallet_address,
)

CHEAP_N = 2  # scrypt n for tests: the format is the same, the brute-force cost is not
KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KNOWN_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
PASSPHRASE = "correct horse battery staple"

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user config dir; the real home is never touched."""
    for name in list(os.environ):
        if name.startswith("NIT_") or name.startswith("XDG_"):
            monkeypatch.delenv(name)
    user = tmp_path / "config"
    monkeypatch.setenv("NIT_CONFIG_DIR", str(user))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return user


def assert_secret_free(text: str, *secrets: str) -> None:
    lowered = text.lower()
    for secret in secrets:
        assert secret.lower() not in lowered
        bare = secret.lower().removeprefix("0x")
        assert bare not in lowered


# --------------------------------------------------------------------------
# Signer


def test_known_key_gives_known_address() -> None:
    signer = Signer(bytes.fromhex(KNOWN_KEY[2:]))
    assert signer.address == KNOWN_ADDRESS


def test_sign_text_is_eip191_personal_sign() -> None:
    signer = Signer(bytes.fromhex(KNOWN_KEY[2:]))
    text = "a" * 64  # what Numbers signs: the tree's sha256 as hex text
    signature = signer.sign_text(text)
    assert signature.startswith("0x") and len(signature) == 132
    int(signature, 16)
    assert int(signature[-2:], 16) in (27, 28)
    assert Account.recover_message(encode_defunct(text=text), signature=signature) == KNOWN_ADDRESS
    reference = Account.sign_message(encode_defunct(text=text), KNOWN_KEY).signature
    assert signature == "0x" + bytes(reference).hex()


def test_sign_text_unicode_round_trip() -> None:
    signer = Signer(os.urandom(31) + b"\x01")
    text = "photo taken in Zürich, 東京 📷"
    signature = signer.sign_text(text)
    assert Account.recover_message(encode_defunct(text=text), signature=signature) == signer.address


def test_sign_transaction_recovers_to_signer() -> None:
    signer = Signer(bytes.fromhex(KNOWN_KEY[2:]))
    tx = {
        "to": KNOWN_ADDRESS,
        "value": 0,
        "gas": 21000,
        "gasPrice": 1,
        "nonce": 0,
        "chainId": 31337,
    }
    signed = signer.sign_transaction(tx)
    assert Account.recover_transaction(signed.raw_transaction) == KNOWN_ADDRESS


def test_signer_never_shows_its_key() -> None:
    signer = Signer(bytes.fromhex(KNOWN_KEY[2:]))
    assert repr(signer) == f"Signer(address={KNOWN_ADDRESS!r})"
    assert_secret_free(repr(signer), KNOWN_KEY)
    assert_secret_free(str(signer), KNOWN_KEY)
    assert_secret_free(f"{signer}", KNOWN_KEY)
    assert not hasattr(signer, "__dict__")
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with pytest.raises(TypeError):
        copy.copy(signer)


def test_signer_rejects_invalid_keys() -> None:
    for bad in (b"", b"\x00" * 32, b"\xff" * 32, b"\x01" * 31):
        with pytest.raises(WalletError):
            Signer(bad)


# --------------------------------------------------------------------------
# Create, list, unlock


def test_create_list_unlock_round_trip(home: Path) -> None:
    address = create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    assert address.startswith("0x") and len(address) == 42
    assert is_checksum_address(address)
    path = home / "wallets" / "alice.json"
    assert list_wallets() == [WalletInfo(name="alice", address=address, path=path)]
    assert wallet_address("alice") == address

    signer = unlock("alice", PASSPHRASE)
    assert signer.address == address
    signature = signer.sign_text("hello")
    assert Account.recover_message(encode_defunct(text="hello"), signature=signature) == address

    keystore = json.loads(path.read_text())
    assert keystore["version"] == 3
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert keystore["crypto"]["kdfparams"]["n"] == CHEAP_N
    assert "0x" + keystore["address"].lower() == address.lower()
    assert_secret_free(path.read_text(), PASSPHRASE)


def test_list_sorted_and_ignores_stray_files(home: Path) -> None:
    create_wallet("zed", "p", scrypt_n=CHEAP_N)
    create_wallet("amy", "p", scrypt_n=CHEAP_N)
    directory = home / "wallets"
    (directory / ".amy.json.abc.tmp").write_text("{}")
    (directory / "notes.txt").write_text("x")
    (directory / "broken.json").write_text("not json")
    listed = list_wallets()
    assert [w.name for w in listed] == ["amy", "broken", "zed"]
    assert listed[1].address is None
    assert all(w.address for w in (listed[0], listed[2]))


def test_list_without_directory() -> None:
    assert list_wallets() == []


def test_default_kdf_cost_is_eth_account_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real wallets pass no work factor, so eth-account's default scrypt n applies."""
    calls: list[dict[str, object]] = []
    real_encrypt = Account.encrypt

    def spy(key: object, password: str, kdf: str | None = None, iterations: int | None = None):
        calls.append({"kdf": kdf, "iterations": iterations})
        return real_encrypt(key, password, kdf=kdf, iterations=CHEAP_N)

    monkeypatch.setattr(Account, "encrypt", spy)
    create_wallet("real", PASSPHRASE)
    assert calls == [{"kdf": "scrypt", "iterations": None}]


@posix_only
def test_file_and_directory_modes(home: Path) -> None:
    old = os.umask(0o022)
    try:
        create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    finally:
        os.umask(old)
    directory = home / "wallets"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "alice.json").stat().st_mode) == 0o600


@posix_only
def test_loose_wallet_directory_is_tightened(home: Path) -> None:
    directory = home / "wallets"
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_wrong_passphrase(home: Path) -> None:
    create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    with pytest.raises(WalletError) as info:
        unlock("alice", "wrong guess")
    assert str(info.value) == "wrong passphrase for wallet 'alice'"
    assert info.value.exit_code == ExitCode.WALLET
    assert info.value.__cause__ is None
    assert_secret_free(str(info.value), "wrong guess", PASSPHRASE)


def test_missing_wallet_says_how_to_create_one() -> None:
    for call in (lambda: unlock("ghost", "p"), lambda: wallet_address("ghost")):
        with pytest.raises(WalletError) as info:
            call()
        assert "nit wallet create" in str(info.value)
        assert "ghost" in str(info.value)


def test_duplicate_name_is_refused(home: Path) -> None:
    address = create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    before = (home / "wallets" / "alice.json").read_bytes()
    with pytest.raises(WalletError, match="already exists"):
        create_wallet("alice", "other", scrypt_n=CHEAP_N)
    with pytest.raises(WalletError, match="already exists"):
        import_private_key("alice", KNOWN_KEY, "other", scrypt_n=CHEAP_N)
    assert (home / "wallets" / "alice.json").read_bytes() == before
    assert wallet_address("alice") == address


def test_duplicate_refused_atomically_even_after_the_early_check(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two concurrent creates: the second must not replace the first's keystore."""
    create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    before = (home / "wallets" / "alice.json").read_bytes()
    monkeypatch.setattr(wallet.keystore, "_refuse_existing", lambda name: None)
    with pytest.raises(WalletError, match="already exists"):
        create_wallet("alice", "other", scrypt_n=CHEAP_N)
    assert (home / "wallets" / "alice.json").read_bytes() == before
    assert [p.name for p in (home / "wallets").iterdir()] == ["alice.json"]


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", ".hidden", "a/b", "../x", "with space", "ü", "x" * 65, "a\\b", "a:b"],
)
def test_bad_names(name: str, home: Path) -> None:
    with pytest.raises(WalletError, match="invalid wallet name"):
        create_wallet(name, PASSPHRASE, scrypt_n=CHEAP_N)
    assert not (home / "wallets").exists() or not any((home / "wallets").iterdir())


@pytest.mark.parametrize("name", ["a", "my-wallet_2.0", "x" * 64, "-dash"])
def test_good_names(name: str) -> None:
    create_wallet(name, "p", scrypt_n=CHEAP_N)
    assert [w.name for w in list_wallets()] == [name]


def test_key_given_as_name_is_refused_and_not_echoed() -> None:
    with pytest.raises(WalletError) as info:
        import_private_key(KNOWN_KEY[2:], "alice", PASSPHRASE, scrypt_n=CHEAP_N)
    assert_secret_free(str(info.value), KNOWN_KEY)
    assert list_wallets() == []


def test_wallet_name_rule_matches_config() -> None:
    """config validates user.wallet with its own copy of the rule; keep the two equal."""
    assert wallet.WALLET_NAME_RE.pattern == config_keys._WALLET_NAME_RE


# --------------------------------------------------------------------------
# Import


def test_import_private_key_with_and_without_prefix(home: Path) -> None:
    assert import_private_key("a", KNOWN_KEY, PASSPHRASE, scrypt_n=CHEAP_N) == KNOWN_ADDRESS
    assert import_private_key("b", KNOWN_KEY[2:], PASSPHRASE, scrypt_n=CHEAP_N) == KNOWN_ADDRESS
    assert (
        import_private_key(
            "c", f"  {KNOWN_KEY.upper().replace('0X', '0x')}\n", "p", scrypt_n=CHEAP_N
        )
        == KNOWN_ADDRESS
    )
    assert unlock("b", PASSPHRASE).address == KNOWN_ADDRESS
    assert_secret_free((home / "wallets" / "a.json").read_text(), KNOWN_KEY, PASSPHRASE)


@pytest.mark.parametrize(
    "bad",
    [
        KNOWN_KEY[:-1],
        KNOWN_KEY + "0",
        KNOWN_KEY[:-1] + "g",
        "0x" + "00" * 32,
        "0x" + "ff" * 32,
        "",
        "not a key at all",
    ],
)
def test_import_invalid_private_key_does_not_echo_it(bad: str) -> None:
    with pytest.raises(WalletError) as info:
        import_private_key("alice", bad, PASSPHRASE, scrypt_n=CHEAP_N)
    message = str(info.value)
    if len(bad) > 8:
        assert bad not in message
        assert bad.removeprefix("0x") not in message
    assert_secret_free(message, PASSPHRASE)
    assert info.value.__cause__ is None
    assert list_wallets() == []


def _external_keystore(tmp_path: Path, passphrase: str, **changes: object) -> Path:
    keystore = Account.encrypt(KNOWN_KEY, passphrase, kdf="scrypt", iterations=CHEAP_N)
    keystore.update(changes)
    path = tmp_path / "exported.json"
    path.write_text(json.dumps(keystore))
    return path


def test_import_keystore(home: Path, tmp_path: Path) -> None:
    source = _external_keystore(tmp_path, "their pass")
    assert import_keystore("imported", source, "their pass") == KNOWN_ADDRESS
    copy_path = home / "wallets" / "imported.json"
    assert json.loads(copy_path.read_text())["crypto"] == json.loads(source.read_text())["crypto"]
    if os.name == "posix":
        assert stat.S_IMODE(copy_path.stat().st_mode) == 0o600
    assert unlock("imported", "their pass").address == KNOWN_ADDRESS
    assert source.exists()


def test_import_keystore_without_address_gets_one(tmp_path: Path) -> None:
    source = _external_keystore(tmp_path, "p")
    data = json.loads(source.read_text())
    del data["address"]
    source.write_text(json.dumps(data))
    import_keystore("x", source, "p")
    assert wallet_address("x") == KNOWN_ADDRESS


def test_import_keystore_checks_passphrase(tmp_path: Path) -> None:
    source = _external_keystore(tmp_path, "their pass")
    with pytest.raises(WalletError, match="wrong passphrase") as info:
        import_keystore("imported", source, "guess")
    assert_secret_free(str(info.value), "guess", "their pass", KNOWN_KEY)
    assert list_wallets() == []


def test_import_keystore_rejects_mismatched_address(tmp_path: Path) -> None:
    source = _external_keystore(tmp_path, "p", address="00" * 20)
    with pytest.raises(WalletError, match="does not match"):
        import_keystore("x", source, "p")


def test_import_keystore_rejects_non_keystores(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    with pytest.raises(WalletError, match="not a Web3 Secret Storage keystore"):
        import_keystore("x", junk, "p")
    junk.write_text("{not json")
    with pytest.raises(WalletError, match="not JSON"):
        import_keystore("x", junk, "p")
    with pytest.raises(WalletError, match="cannot read"):
        import_keystore("x", tmp_path / "missing.json", "p")
    v4 = _external_keystore(tmp_path, "p", version=4)
    with pytest.raises(WalletError, match="version 4"):
        import_keystore("x", v4, "p")


def test_tampered_keystore_is_caught_on_unlock(home: Path) -> None:
    create_wallet("alice", PASSPHRASE, scrypt_n=CHEAP_N)
    path = home / "wallets" / "alice.json"
    data = json.loads(path.read_text())
    data["address"] = KNOWN_ADDRESS[2:]
    path.write_text(json.dumps(data))
    with pytest.raises(WalletError, match="does not match"):
        unlock("alice", PASSPHRASE)
    data["crypto"]["kdf"] = "argon2"
    path.write_text(json.dumps(data))
    with pytest.raises(WalletError, match="damaged or uses an unsupported format"):
        unlock("alice", PASSPHRASE)


# --------------------------------------------------------------------------
# NIT_PRIVATE_KEY


def test_signer_from_env() -> None:
    assert signer_from_env({}) is None
    signer = signer_from_env({"NIT_PRIVATE_KEY": KNOWN_KEY})
    assert signer is not None and signer.address == KNOWN_ADDRESS
    signer = signer_from_env({"NIT_PRIVATE_KEY": KNOWN_KEY[2:] + "\n"})
    assert signer is not None and signer.address == KNOWN_ADDRESS


def test_signer_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    assert signer_from_env() is None
    monkeypatch.setenv("NIT_PRIVATE_KEY", KNOWN_KEY)
    signer = signer_from_env()
    assert signer is not None and signer.address == KNOWN_ADDRESS


@pytest.mark.parametrize("bad", ["", "  ", KNOWN_KEY[:-2], KNOWN_KEY[:-1] + "z", "0x" + "00" * 32])
def test_signer_from_env_bad_value(bad: str) -> None:
    with pytest.raises(WalletError, match="NIT_PRIVATE_KEY") as info:
        signer_from_env({"NIT_PRIVATE_KEY": bad})
    if bad.strip():
        assert_secret_free(str(info.value), bad)
    assert info.value.__cause__ is None
