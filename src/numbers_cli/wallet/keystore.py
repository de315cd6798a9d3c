"""Named, encrypted wallets in the user's config directory, like keys in ~/.ssh.

Each wallet is one Web3 Secret Storage (v3) keystore, the JSON that geth,
MetaMask exports and eth-account all read: the key encrypted with AES-128-CTR
under a scrypt-derived key, plus the address in clear so a wallet can be listed
without its passphrase. Files live at `<user_config_dir>/wallets/<name>.json`,
mode 0600 in a 0700 directory, and are written atomically.

For CI, where there is nobody to type a passphrase, `NIT_PRIVATE_KEY` can hold
the key itself (`signer_from_env`).

Keystores are written by eth-account (`wallet create`, `wallet import`: its
import cost is paid by those commands only) and opened by `secret_storage`,
which reads the same format without eth-account's half-second import.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.config import user_config_dir
from numbers_cli.errors import InvalidFormat, WalletError, WrongPassphrase
from numbers_cli.fsio import atomic_write, make_dirs
from numbers_cli.model import json_input
from numbers_cli.model.address import checksum_address
from numbers_cli.wallet import secret_storage
from numbers_cli.wallet.eth_account_import import eth_account_module
from numbers_cli.wallet.signer import Signer, parse_private_key

__all__ = [
    "PRIVATE_KEY_ENV",
    "WALLET_NAME_RE",
    "WalletInfo",
    "create_wallet",
    "import_keystore",
    "import_private_key",
    "list_wallets",
    "signer_from_env",
    "unlock",
    "wallet_address",
    "wallet_path",
    "wallets_dir",
]

PRIVATE_KEY_ENV = "NIT_PRIVATE_KEY"

# A name becomes a file name: portable characters only, bounded, and no leading
# dot (".", ".." and hidden files, which is also how fsio names its temp files).
WALLET_NAME_RE = re.compile(r"(?!\.)[A-Za-z0-9_.-]{1,64}")

_FILE_MODE = 0o600
_DIR_MODE = 0o700
_SUFFIX = ".json"
_MAX_KEYSTORE_BYTES = 1 << 20  # a keystore is ~500 bytes; refuse to slurp anything huge


@dataclass(frozen=True)
class WalletInfo:
    """A stored wallet as listed without its passphrase.

    `address` is None when the file has no readable address (damaged, or a
    keystore placed there by hand without one).
    """

    name: str
    address: str | None
    path: Path


# --------------------------------------------------------------------------
# Locations and names


def wallets_dir() -> Path:
    """Directory of keystores: `<user_config_dir>/wallets` (honours NIT_CONFIG_DIR, XDG)."""
    return user_config_dir() / "wallets"


_KEY_LIKE_RE = re.compile(r"[0-9a-fA-F]{32,}")


def _check_name(name: str) -> str:
    """Validate a wallet name; one that looks like a key is refused and not echoed.

    Arguments given in the wrong order would otherwise turn a raw private key
    (64 hex digits fit the name rule) into a file name, or print it in an error.
    """
    if not isinstance(name, str):
        raise WalletError("a wallet name must be text")
    if _KEY_LIKE_RE.search(name):
        raise WalletError(
            "invalid wallet name: it looks like a key (a long run of hex digits); "
            "check the order of the arguments"
        )
    if not WALLET_NAME_RE.fullmatch(name):
        shown = repr(name) if len(name) <= 80 else "given"
        raise WalletError(
            f"invalid wallet name {shown}: use 1-64 of A-Z a-z 0-9 _ . - and do not start with '.'"
        )
    return name


def wallet_path(name: str) -> Path:
    """The keystore file of wallet `name` (which need not exist)."""
    return wallets_dir() / f"{_check_name(name)}{_SUFFIX}"


def _missing(name: str) -> WalletError:
    return WalletError(
        f"no wallet named {name!r}: create one with `nit wallet create {name}`",
        hint=f"wallets are kept in {wallets_dir()}",
    )


# --------------------------------------------------------------------------
# Keystore files


def _checksum(address: str) -> str:
    """`0x`-prefixed EIP-55 form of a 40-hex-digit address (with or without 0x)."""
    try:
        return checksum_address(address)
    except InvalidFormat:
        raise ValueError("not an address") from None


def _read_keystore(path: Path, name: str) -> dict[str, Any]:
    """Parsed keystore JSON of a stored wallet; missing or unreadable → WalletError."""
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_KEYSTORE_BYTES + 1)
    except FileNotFoundError:
        raise _missing(name) from None
    except OSError as exc:
        raise WalletError(f"cannot read wallet {name!r} ({path}): {exc.strerror or exc}") from None
    return _parse_keystore(data, f"wallet {name!r} ({path})")


def _parse_keystore(data: bytes, what: str) -> dict[str, Any]:
    if len(data) > _MAX_KEYSTORE_BYTES:
        raise WalletError(f"{what} is not a keystore: too large")
    try:
        keystore = json_input.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise WalletError(f"{what} is not a keystore: not JSON") from None
    if not isinstance(keystore, dict) or not isinstance(keystore.get("crypto"), dict):
        raise WalletError(f"{what} is not a Web3 Secret Storage keystore")
    if keystore.get("version") != 3:
        raise WalletError(
            f"{what}: keystore version {keystore.get('version')!r} is not supported (need 3)"
        )
    return keystore


def _stored_address(keystore: Mapping[str, Any]) -> str | None:
    address = keystore.get("address")
    if not isinstance(address, str):
        return None
    try:
        return _checksum(address)
    except ValueError:
        return None


def _decrypt(keystore: dict[str, Any], passphrase: str, what: str) -> bytes:
    """The 32 key bytes; wrong passphrase or damaged file → WalletError without secrets."""
    if not isinstance(passphrase, str):
        raise WalletError("a passphrase must be text")
    try:
        key = secret_storage.decrypt(keystore, passphrase)
    except secret_storage.MacMismatch:
        raise WrongPassphrase(f"wrong passphrase for {what}") from None
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
        OverflowError,
        MemoryError,
    ):
        raise WalletError(f"{what} is damaged or uses an unsupported format") from None
    if len(key) != 32:
        raise WalletError(f"{what} does not hold a 32-byte private key")
    return key


def _store(name: str, keystore: dict[str, Any]) -> Path:
    """Write a new keystore 0600 into the 0700 wallets directory; never overwrites."""
    path = wallet_path(name)
    directory = path.parent
    try:
        make_dirs(directory, _DIR_MODE)
        if os.name != "nt":
            os.chmod(directory, _DIR_MODE)  # tighten a directory made by hand or by older nit
        data = json.dumps(keystore, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        atomic_write(path, data, _FILE_MODE, overwrite=False)
    except FileExistsError:
        raise WalletError(
            f"a wallet named {name!r} already exists; choose another name",
            hint=f"its keystore is {path}",
        ) from None
    except OSError as exc:
        raise WalletError(f"cannot write wallet {name!r} ({path}): {exc.strerror or exc}") from None
    return path


def _refuse_existing(name: str) -> None:
    """Fail before the slow key derivation, not after it (`_store` re-checks atomically)."""
    path = wallet_path(name)
    if path.exists():
        raise WalletError(
            f"a wallet named {name!r} already exists; choose another name",
            hint=f"its keystore is {path}",
        )


def _encrypt(key: bytes, passphrase: str, scrypt_n: int | None) -> dict[str, Any]:
    Account = eth_account_module().Account

    if not isinstance(passphrase, str):
        raise WalletError("a passphrase must be text")
    if scrypt_n is not None and (scrypt_n < 2 or scrypt_n & (scrypt_n - 1)):
        raise WalletError("scrypt n must be a power of two greater than 1")
    return Account.encrypt(key, passphrase, kdf="scrypt", iterations=scrypt_n)


# --------------------------------------------------------------------------
# API


def create_wallet(name: str, passphrase: str, *, scrypt_n: int | None = None) -> str:
    """Make a new random key, store it encrypted as `name`, return its checksummed address.

    `scrypt_n` lowers the key-derivation cost for tests only; real wallets use
    eth-account's default (n = 2**18), which is what makes a stolen keystore
    expensive to brute-force.
    """
    Account = eth_account_module().Account

    _refuse_existing(name)
    key = bytes(Account.create().key)
    keystore = _encrypt(key, passphrase, scrypt_n)
    _store(name, keystore)
    return Signer(key).address


def import_private_key(
    name: str, private_key_hex: str, passphrase: str, *, scrypt_n: int | None = None
) -> str:
    """Store an existing raw key (64 hex, 0x optional) encrypted as `name`; return its address.

    A malformed key is rejected without repeating it in the error.
    """
    _check_name(name)
    key = parse_private_key(private_key_hex)
    _refuse_existing(name)
    keystore = _encrypt(key, passphrase, scrypt_n)
    _store(name, keystore)
    return Signer(key).address


def import_keystore(name: str, keystore_file: Path, passphrase: str) -> str:
    """Adopt a keystore exported by another wallet as `name`; return its address.

    The passphrase must open it (so nobody stores a keystore they cannot use),
    and an address recorded in it must match the key. The copy keeps its own
    encryption parameters and gets the address filled in if it had none.
    """
    _check_name(name)
    keystore_file = Path(keystore_file)
    what = f"keystore {keystore_file}"
    try:
        with keystore_file.open("rb") as file:
            data = file.read(_MAX_KEYSTORE_BYTES + 1)
    except OSError as exc:
        raise WalletError(f"cannot read {what}: {exc.strerror or exc}") from None
    keystore = _parse_keystore(data, what)
    _refuse_existing(name)
    key = _decrypt(keystore, passphrase, what)
    address = Signer(key).address
    recorded = keystore.get("address")
    if recorded is not None and _stored_address(keystore) != address:
        raise WalletError(f"{what}: its address field does not match the key it holds")
    keystore["address"] = address[2:]
    _store(name, keystore)
    return address


def list_wallets() -> list[WalletInfo]:
    """All stored wallets, sorted by name, read without decrypting anything."""
    directory = wallets_dir()
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise WalletError(f"cannot list wallets in {directory}: {exc.strerror or exc}") from None
    wallets = []
    for path in entries:
        name = path.name[: -len(_SUFFIX)]
        if not path.name.endswith(_SUFFIX) or not WALLET_NAME_RE.fullmatch(name):
            continue  # temp files of an interrupted write, editor backups, ...
        if not path.is_file():
            continue
        try:
            address = _stored_address(_read_keystore(path, name))
        except WalletError:
            address = None
        wallets.append(WalletInfo(name=name, address=address, path=path))
    return wallets


def wallet_address(name: str) -> str:
    """Checksummed address of wallet `name`, from its keystore, without the passphrase."""
    path = wallet_path(name)
    address = _stored_address(_read_keystore(path, name))
    if address is None:
        raise WalletError(
            f"wallet {name!r} ({path}) records no address",
            hint="unlocking it with its passphrase still works",
        )
    return address


def unlock(name: str, passphrase: str) -> Signer:
    """Decrypt wallet `name` and return a `Signer` for it.

    Checks that the decrypted key is the one the keystore's address names, so a
    tampered or mixed-up file is caught here rather than as a wrong signer later.
    """
    path = wallet_path(name)
    keystore = _read_keystore(path, name)
    signer = Signer(_decrypt(keystore, passphrase, f"wallet {name!r}"))
    recorded = _stored_address(keystore)
    if keystore.get("address") is not None and recorded != signer.address:
        raise WalletError(f"wallet {name!r} ({path}): its address field does not match its key")
    return signer


def signer_from_env(env: Mapping[str, str] | None = None) -> Signer | None:
    """A `Signer` from NIT_PRIVATE_KEY (for CI), or None when the variable is unset.

    Set but empty is an error, not "unset": CI systems expand a missing secret
    to "", and signing with some other wallet then would be a silent surprise.
    """
    env = os.environ if env is None else env
    raw = env.get(PRIVATE_KEY_ENV)
    if raw is None:
        return None
    if not raw.strip():
        raise WalletError(f"{PRIVATE_KEY_ENV} is set but empty")
    return Signer(parse_private_key(raw, source=PRIVATE_KEY_ENV))
