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
        text = text.strip()
        if _fast_binary(text, canonical=True) is not None:  # the Nids nit makes: no library
            return cls(text)
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

    @cached_property
    def _binary(self) -> bytes | None:
        return _fast_binary(self)

    @property
    def codec(self) -> int:
        binary = self._binary
        if binary is not None:
            return binary[1]
        return int(self._cid.codec.code)

    @property
    def is_raw(self) -> bool:
        return self.codec == RAW

    def verify_block(self, data: bytes | memoryview) -> bool:
        """True when `data` is exactly the block this CID names (sha2-256 only)."""
        binary = self._binary
        if binary is not None:
            return binary[4:] == hashlib.sha256(data).digest()
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
    if _fast_binary(text, canonical=True) is not None:  # raw / dag-pb sha2-256: no parser
        return True
    try:
        return Nid.parse(text) == text
    except InvalidFormat:
        return False


_B32 = frozenset("abcdefghijklmnopqrstuvwxyz234567")


def _fast_binary(text: str, *, canonical: bool = False) -> bytes | None:
    """The binary CID of a canonical raw/dag-pb sha2-256 CIDv1 in base32, else None.

    Decoding one through `multiformats` costs ~0.5 ms (its runtime type checks);
    reading every commit and tree of 10,000 assets (`nit dataset export`,
    `verify`) spent most of its time there. Anything else takes the library path.
    `canonical`: also refuse non-zero trailing bits (parsing); the digest is the
    same either way, so checking a block needs no such test.
    """
    if (
        len(text) != 59
        or not text.startswith(("bafkrei", "bafybei"))
        or not _B32.issuperset(text[1:])
    ):
        return None
    body = text[1:].upper()
    binary = base64.b32decode(body + "=" * (-len(body) % 8))
    if binary[:4] not in (RAW_PREFIX, DAG_PB_PREFIX):
        return None
    if canonical and "b" + base64.b32encode(binary).decode("ascii").lower().rstrip("=") != text:
        return None  # non-canonical trailing bits
    return binary


def short(nid: str, width: int = 12) -> str:
    """Abbreviation for people: enough of the tail to tell Nids apart."""
    return nid if len(nid) <= width + 3 else f"{nid[:6]}…{nid[-(width - 6) :]}"
