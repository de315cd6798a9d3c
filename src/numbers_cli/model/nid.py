"""Nid: an asset's identifier, the IPFS CIDv1 (base32) of its bytes.

The hot path (chunk hashing) works on binary CIDs built by concatenation, because
building a `multiformats.CID` object costs ~200 µs — 0.8 s per GiB of chunks.
The library is used where a CID string is parsed or printed.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cached_property

from numbers_cli.errors import InvalidFormat

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12

# <version 1><codec><sha2-256><32 bytes>: every Nid we make has one of these prefixes.
RAW_PREFIX = bytes([0x01, RAW, SHA2_256, 0x20])
DAG_PB_PREFIX = bytes([0x01, DAG_PB, SHA2_256, 0x20])


def raw_cid_bytes(data: bytes | memoryview) -> bytes:
    """Binary CIDv1 of a raw block (codec 0x55)."""
    return RAW_PREFIX + hashlib.sha256(data).digest()


def dag_pb_cid_bytes(data: bytes) -> bytes:
    """Binary CIDv1 of a dag-pb block (codec 0x70)."""
    return DAG_PB_PREFIX + hashlib.sha256(data).digest()


class Nid(str):
    """A CID string in the canonical form nit writes: CIDv1, base32 lower.

    A `str` subclass so that trees and commits serialize it as a plain string.
    Construct through `Nid.parse` (validates) or `Nid.from_bytes`.
    """

    @classmethod
    def parse(cls, text: str) -> Nid:
        """Validate a CID given by a user or read from a document."""
        from multiformats import CID

        try:
            cid = CID.decode(text.strip())
        except Exception as exc:  # the library raises several unrelated types
            raise InvalidFormat(f"not a valid CID: {text!r}") from exc
        if cid.version != 1:
            raise InvalidFormat(f"{text!r} is a CIDv0; Nids are CIDv1 (base32)")
        return cls(str(cid.encode("base32")))

    @classmethod
    def from_bytes(cls, cid: bytes) -> Nid:
        if len(cid) == 36 and cid[:4] in (RAW_PREFIX, DAG_PB_PREFIX):  # fast path, hot in add
            return cls("b" + base64.b32encode(cid).decode("ascii").lower().rstrip("="))
        from multiformats import CID

        try:
            return cls(str(CID.decode(cid).encode("base32")))
        except Exception as exc:
            raise InvalidFormat("not a valid binary CID") from exc

    @classmethod
    def of_bytes(cls, data: bytes) -> Nid:
        """Nid of an in-memory document (tree, commit) that fits one chunk."""
        from numbers_cli.model.unixfs import nid_of_bytes

        return nid_of_bytes(data)

    @cached_property
    def _cid(self):  # type: ignore[no-untyped-def]
        from multiformats import CID

        return CID.decode(str(self))

    def to_bytes(self) -> bytes:
        if self.startswith("bafk") or self.startswith("bafy"):
            text = self[1:].upper()
            return base64.b32decode(text + "=" * (-len(text) % 8))
        return bytes(self._cid)

    @property
    def codec(self) -> int:
        return int(self._cid.codec.code)

    @property
    def is_raw(self) -> bool:
        return self.codec == RAW

    def verify_block(self, data: bytes | memoryview) -> bool:
        """True when `data` is exactly the block this CID names (sha2-256 only)."""
        if self._cid.hashfun.name != "sha2-256":
            return False
        return bytes(self._cid.raw_digest) == hashlib.sha256(data).digest()

    def __repr__(self) -> str:
        return f"Nid({str(self)!r})"


def is_nid(text: object) -> bool:
    """True for a Nid in its one canonical spelling (CIDv1, base32 lower).

    Used to validate names inside documents (a commit's committer), where a
    CIDv0, another base or stray whitespace is a malformed record, not a Nid.
    """
    if not isinstance(text, str) or not text.startswith("b"):
        return False
    if len(text) == 59 and text.startswith(("bafk", "bafy")):  # raw / dag-pb sha2-256: no parser
        try:
            return Nid.from_bytes(Nid(text).to_bytes()) == text
        except (ValueError, InvalidFormat):
            return False
    try:
        return Nid.parse(text) == text
    except InvalidFormat:
        return False


def short(nid: str, width: int = 12) -> str:
    """Abbreviation for people: enough of the tail to tell Nids apart."""
    return nid if len(nid) <= width + 3 else f"{nid[:6]}…{nid[-(width - 6) :]}"
