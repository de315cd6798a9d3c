"""DSSE signatures with the wallet's secp256k1 key, for securesystemslib's Envelope.

The scheme (docs/formats.md, "Stamp attestations"):
- what is signed: the envelope's pre-authentication encoding (PAE,
  `DSSEv1 <len(type)> <type> <len(payload)> <payload>`), as DSSE says;
- how: EIP-191 `personal_sign` of those bytes: ECDSA on secp256k1 over
  keccak256("\\x19Ethereum Signed Message:\\n" + len(PAE) + PAE); the signature
  is 65 bytes r ‖ s ‖ v (v = 27 or 28), base64 in the envelope's `sig`;
- key id: the signer's checksummed Ethereum address (`0x…`). Verifying needs
  no public key and no network: the address is recovered from the signature
  and must equal the key id.

Any Ethereum wallet can make such a signature ("sign message" of the PAE
bytes), and any EVM contract can check it with `ecrecover`.

Imported only by the attestation code (securesystemslib costs ~80 ms to import).
"""

from __future__ import annotations

from typing import Any

from securesystemslib.exceptions import UnverifiedSignatureError
from securesystemslib.signer import KEY_FOR_TYPE_AND_SCHEME, Key, Signature
from securesystemslib.signer import Signer as DsseSigner

from numbers_cli.wallet.signer import Signer

__all__ = ["KEYTYPE", "SCHEME", "EthereumKey", "WalletDsseSigner", "recover_pae_signer"]

KEYTYPE = "ethereum-address"
SCHEME = "eip191-personal-sign"


def recover_pae_signer(data: bytes, signature: bytes) -> str:
    """The checksummed address that EIP-191-signed `data`; ValueError if none can be."""
    from numbers_cli.errors import InvalidFormat
    from numbers_cli.model.signature import recover_bytes_signer

    if len(signature) != 65:
        raise ValueError(f"a signature is 65 bytes, not {len(signature)}")
    try:
        return recover_bytes_signer(data, signature)
    except InvalidFormat as exc:
        raise ValueError(exc.message) from None


class EthereumKey(Key):
    """A verifying "key" that is only an address: the signer is recovered, then compared."""

    def __init__(self, address: str) -> None:
        super().__init__(address, KEYTYPE, SCHEME, {"address": address})

    @classmethod
    def from_dict(cls, keyid: str, key_dict: dict[str, Any]) -> EthereumKey:
        return cls(str(key_dict.get("keyval", {}).get("address", keyid)))

    def to_dict(self) -> dict[str, Any]:
        return {"keytype": self.keytype, "scheme": self.scheme, "keyval": dict(self.keyval)}

    def verify_signature(self, signature: Signature, data: bytes) -> None:
        try:
            signer = recover_pae_signer(data, bytes.fromhex(signature.signature))
        except ValueError as exc:
            raise UnverifiedSignatureError(str(exc)) from None
        if signer.lower() != self.keyid.lower():
            raise UnverifiedSignatureError(f"signed by {signer}, not by {self.keyid}")


KEY_FOR_TYPE_AND_SCHEME[(KEYTYPE, SCHEME)] = EthereumKey


class WalletDsseSigner(DsseSigner):
    """securesystemslib's Signer over a wallet Signer (which never hands out its key)."""

    def __init__(self, wallet: Signer) -> None:
        self._wallet = wallet

    @property
    def public_key(self) -> Key:
        return EthereumKey(self._wallet.address)

    @classmethod
    def from_priv_key_uri(cls, priv_key_uri: str, public_key: Key, secrets_handler: Any = None):  # type: ignore[no-untyped-def,override]
        raise NotImplementedError("nit's wallet signer is made from an unlocked wallet")

    def sign(self, payload: bytes) -> Signature:
        signature = self._wallet.sign_bytes(payload)
        return Signature(self._wallet.address, signature.removeprefix("0x"))
