"""The X.509 key and certificate chain that sign C2PA manifests, checked before use.

C2PA signs with X.509 (COSE) and does not accept secp256k1, so the wallet
cannot sign a manifest: the user names a PEM certificate chain and its PEM
private key in the config (`c2pa.cert`, `c2pa.key`). Everything that would
make the SDK fail half-way, or produce a manifest no validator accepts, is
checked here first with `cryptography`, each with one clear sentence:
an unreadable or group/world-readable key, a certificate that has expired or
is not yet valid, a key that does not belong to the certificate, a curve or
key type C2PA does not allow.
"""

from __future__ import annotations

import datetime
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.errors import ConfigError, DataInputError


@dataclass(frozen=True)
class Credentials:
    chain_pem: bytes  # signing certificate first, then its issuers
    key_pem: bytes  # PKCS#8, unencrypted: handed to the SDK, never printed
    alg: str  # the SDK's name: es256, es384, es512, ps256, ed25519
    subject: str
    not_after: datetime.datetime

    def __repr__(self) -> str:  # keep the key out of tracebacks and logs
        return f"Credentials(subject={self.subject!r}, alg={self.alg!r})"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _algorithm(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        alg = curves.get(key.curve.name)
        if alg is None:
            raise DataInputError(
                f"C2PA does not accept the {key.curve.name} curve (the wallet's secp256k1 "
                "cannot sign manifests); use a P-256, P-384 or P-521, Ed25519 or RSA key"
            )
        return alg
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise DataInputError(f"C2PA cannot sign with a {type(key).__name__}")


def load(cert_path: Path, key_path: Path, *, now: datetime.datetime | None = None) -> Credentials:
    """Read and check the pair; raises ConfigError (files) or DataInputError (contents)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    chain_pem = _read(cert_path, "C2PA certificate")
    mode = os.stat(key_path).st_mode if key_path.exists() else 0
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"C2PA key {key_path} is readable by others (mode {stat.S_IMODE(mode):o})",
            hint=f"chmod 600 {key_path}",
        )
    key_bytes = _read(key_path, "C2PA key")
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise DataInputError(f"{cert_path}: not a PEM certificate chain") from None
    try:
        key = serialization.load_pem_private_key(key_bytes, password=None)
    except TypeError:
        raise DataInputError(
            f"{key_path}: the key is encrypted; give nit an unencrypted PKCS#8 key in a 0600 file"
        ) from None
    except ValueError:
        raise DataInputError(f"{key_path}: not a PEM private key") from None
    alg = _algorithm(key)
    cert = chain[0]
    subject = cert.subject.rfc4514_string()
    now = now or datetime.datetime.now(datetime.UTC)
    if now > cert.not_valid_after_utc:
        raise DataInputError(
            f"C2PA certificate {subject} expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        )
    if now < cert.not_valid_before_utc:
        raise DataInputError(
            f"C2PA certificate {subject} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
        )
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if cert.public_key().public_bytes(der, raw) != key.public_key().public_bytes(der, raw):  # type: ignore[union-attr]
        raise DataInputError(f"C2PA key {key_path} does not match the certificate {subject}")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Credentials(chain_pem, key_pem, alg, subject, cert.not_valid_after_utc)
