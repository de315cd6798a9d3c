"""Throwaway X.509 material for C2PA tests, made with `cryptography` (never a real CA),
and a signer that writes real C2PA manifests with c2pa-python itself."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nit tests"),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class TestPki:
    """A root CA and one signing certificate it issued, written as PEM files."""

    ca_pem: Path
    chain_pem: Path  # signing cert, then the CA
    key_pem: Path  # the signing key, 0600
    other_key_pem: Path  # a key that does not match the certificate, 0600


def make_pki(directory: Path, *, expired: bool = False) -> TestPki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("nit test root"))
        .issuer_name(_name("nit test root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=400))
        .not_valid_after(NOW + datetime.timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = (
        (NOW - datetime.timedelta(days=60), NOW - datetime.timedelta(days=30))
        if expired
        else (NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=30))
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("nit test signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = TestPki(
        directory / "ca.pem",
        directory / "chain.pem",
        directory / "key.pem",
        directory / "other.pem",
    )
    pki.ca_pem.write_bytes(_pem(ca))
    pki.chain_pem.write_bytes(_pem(cert) + _pem(ca))
    for path, private in (
        (pki.key_pem, key),
        (pki.other_key_pem, ec.generate_private_key(ec.SECP256R1())),
    ):
        path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        os.chmod(path, 0o600)
    return pki


def c2pa_sign(
    pki: TestPki,
    source: Path,
    dest: Path,
    assertions: list[dict[str, Any]],
    *,
    generator: str = "test-generator",
    ingredients: list[tuple[Path, dict[str, Any]]] = (),  # type: ignore[assignment]
) -> None:
    """Sign `source` into `dest` with c2pa-python directly, as a camera or AI tool would."""
    import c2pa

    context = c2pa.Context.from_dict(
        {
            "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
            "builder": {"thumbnail": {"enabled": False}},
        }
    )
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo("es256", pki.chain_pem.read_bytes(), pki.key_pem.read_bytes(), None)
    )
    definition = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": dest.name,
        "assertions": assertions,
    }
    with c2pa.Builder(json.dumps(definition), context) as builder:
        for path, ingredient in ingredients:
            with path.open("rb") as stream:
                builder.add_ingredient(ingredient, "image/jpeg", stream)
        with source.open("rb") as src, dest.open("w+b") as out:
            builder.sign(signer, "image/jpeg", src, out)


def read_manifest_store(path: Path, anchors: Path | None = None) -> tuple[str, dict[str, Any]]:
    """(validation state, store JSON) as c2pa-python's Reader reports them."""
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors is not None:
        settings["trust"] = {"user_anchors": anchors.read_text()}
    with c2pa.Reader(str(path), context=c2pa.Context.from_dict(settings)) as reader:
        return reader.get_validation_state(), json.loads(reader.json())
