"""Opening a Web3 Secret Storage (v3) keystore: the key from the file and a passphrase.

Why not eth-keyfile's `decode_keyfile_json` (what eth-account's `decrypt`
calls): that module imports py_ecc's BLS pairing code and eth-utils at load,
about 0.5 s, for a keystore format that is scrypt or PBKDF2, AES-128-CTR and a
keccak MAC. Every command that signs with a stored wallet pays it before the
first signature. This is the same algorithm over the same primitives
eth-keyfile uses (pycryptodome's scrypt, AES and Counter; hashlib's PBKDF2), in
its order: derive, check the MAC, decrypt. Writing keystores stays with
eth-account (`wallet create` / `wallet import` only), so files remain exactly
what eth-keyfile makes. Tests hold this to the published test vectors of the
Web3 Secret Storage definition and to keystores eth-account wrote.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from numbers_cli.model.address import keccak256

__all__ = ["MacMismatch", "decrypt"]


class MacMismatch(ValueError):
    """The derived key does not match the file's MAC: the passphrase is wrong
    (or the ciphertext was altered)."""


def _lower_keys(value: Any) -> Any:
    """Keys lower-cased at every level (eth-keyfile reads `Crypto` as `crypto`)."""
    if isinstance(value, Mapping):
        return {k.lower() if isinstance(k, str) else k: _lower_keys(v) for k, v in value.items()}
    return value


def _hex(value: Any) -> bytes:
    return bytes.fromhex(str(value).removeprefix("0x"))


def _derive(crypto: Mapping[str, Any], password: bytes) -> bytes:
    kdf = crypto["kdf"]
    params = crypto["kdfparams"]
    salt = _hex(params["salt"])
    if kdf == "scrypt":
        from Crypto.Protocol.KDF import scrypt

        # pycryptodome takes text here and encodes it as latin-1, as eth-keyfile passes it.
        derived = scrypt(
            password.decode("latin-1"),
            salt.decode("latin-1"),
            key_len=params["dklen"],
            N=params["n"],
            r=params["r"],
            p=params["p"],
            num_keys=1,
        )
        return bytes(derived)  # type: ignore[arg-type]
    if kdf == "pbkdf2":
        prf, _, hash_name = str(params["prf"]).partition("-")
        if prf != "hmac":
            raise NotImplementedError(f"unsupported pbkdf2 prf {params['prf']!r}")
        return hashlib.pbkdf2_hmac(hash_name, password, salt, params["c"], params["dklen"])
    raise NotImplementedError(f"unsupported key derivation function {kdf!r}")


def decrypt(keystore: Mapping[str, Any], passphrase: str) -> bytes:
    """The secret a version-3 keystore holds.

    MacMismatch for a wrong passphrase; KeyError, TypeError, ValueError or
    NotImplementedError for a file that is damaged or uses something else
    than scrypt/PBKDF2 with AES-128-CTR.
    """
    from Crypto.Cipher import AES
    from Crypto.Util import Counter

    crypto = _lower_keys(keystore)["crypto"]
    if crypto.get("cipher", "aes-128-ctr") != "aes-128-ctr":
        raise NotImplementedError(f"unsupported cipher {crypto['cipher']!r}")
    derived = _derive(crypto, passphrase.encode("utf-8"))
    ciphertext = _hex(crypto["ciphertext"])
    if not hmac.compare_digest(keccak256(derived[16:32] + ciphertext), _hex(crypto["mac"])):
        raise MacMismatch("MAC mismatch")
    iv = int.from_bytes(_hex(crypto["cipherparams"]["iv"]), "big")
    counter = Counter.new(128, initial_value=iv, allow_wraparound=True)
    return bytes(AES.new(derived[:16], AES.MODE_CTR, counter=counter).decrypt(ciphertext))
