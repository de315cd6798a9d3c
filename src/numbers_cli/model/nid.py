"""Nid: an asset's identifier, the IPFS CIDv1 (base32) of its bytes.

This module is the one place where the rules of a Nid live. They are checked
here by hand, not through the generic `multiformats.CID`: parsing a CID string
with it costs ~450 µs (most of it in its runtime type checks), and `nit add` and
`nit commit` validate several CIDs per asset, which made that library the largest
cost of adding 1,000 small files. A CIDv1 in base32 is small enough to check
directly: multibase prefix `b`, RFC 4648 base32 without padding, then the
binary CID: varint version (1), varint codec, multihash (varint function code,
varint digest length, that many bytes). `multiformats` is still used for what
only it knows: CIDs written in another multibase (base58btc `z...`) and CIDv0
(`Qm...`), which users may paste and which are then converted or refused.
"""

from __future__ import annotations

import functools
import hashlib

from numbers_cli.errors import InvalidFormat

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12

# <version 1><codec><sha2-256><32 bytes>: every Nid we make has one of these prefixes.
RAW_PREFIX = bytes([0x01, RAW, SHA2_256, 0x20])
DAG_PB_PREFIX = bytes([0x01, DAG_PB, SHA2_256, 0x20])

_BASE32_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_MAX_VARINT_BYTES = 9  # multiformats unsigned-varint: at most 63 bits


def raw_cid_bytes(data: bytes | memoryview) -> bytes:
    """Binary CIDv1 of a raw block (codec 0x55)."""
    return RAW_PREFIX + hashlib.sha256(data).digest()


def dag_pb_cid_bytes(data: bytes) -> bytes:
    """Binary CIDv1 of a dag-pb block (codec 0x70)."""
    return DAG_PB_PREFIX + hashlib.sha256(data).digest()


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """One unsigned varint at `pos`: (value, next position); minimal encoding only."""
    value = shift = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos + i >= len(buf):
            raise InvalidFormat("truncated varint")
        byte = buf[pos + i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise InvalidFormat("varint is not minimally encoded")
            return value, pos + i + 1
        shift += 7
    raise InvalidFormat("varint longer than 9 bytes")


def cid_fields(cid: bytes) -> tuple[int, int, int, bytes]:
    """(version, codec, multihash code, digest) of a binary CIDv1; InvalidFormat if malformed."""
    if len(cid) == 36 and cid[:4] in (RAW_PREFIX, DAG_PB_PREFIX):  # ours: no parsing needed
        return 1, cid[1], SHA2_256, cid[4:]
    version, pos = _varint(cid, 0)
    if version != 1:
        raise InvalidFormat(f"CID version {version}; Nids are CIDv1")
    codec, pos = _varint(cid, pos)
    code, pos = _varint(cid, pos)
    length, pos = _varint(cid, pos)
    digest = cid[pos:]
    if len(digest) != length:
        raise InvalidFormat("multihash digest length does not match its header")
    if code == SHA2_256 and length != 32:
        raise InvalidFormat("a sha2-256 multihash has 32 bytes")
    return version, codec, code, digest


_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lower case
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # 10 bits → two characters
_BITS = str.maketrans({c: format(i, "05b") for i, c in enumerate(_ALPHABET)})


def _encode(cid: bytes) -> str:
    """`b` + base32 of `cid`, unpadded. By hand: the standard library's b32encode
    took 10-25 µs a call, and adding or committing an asset makes a dozen."""
    bits = len(cid) * 8
    chars = -(-bits // 5)
    n = int.from_bytes(cid, "big") << (chars * 5 - bits)
    out = ["b"]
    if chars & 1:
        chars -= 1
        out.append(_ALPHABET[n >> (chars * 5)])
        n &= (1 << (chars * 5)) - 1
    out += [_PAIRS[(n >> shift) & 1023] for shift in range((chars - 2) * 5, -1, -10)]
    return "".join(out)


@functools.lru_cache(maxsize=8192)  # the Nids a command is working on, not all it met
def _decode(text: str) -> bytes:
    """Binary CID of a `b...` base32 string (RFC 4648 decoding ignores case)."""
    body = text[1:].lower()
    if not body or not _BASE32_LOWER.issuperset(body):
        raise InvalidFormat("not base32")
    if len(body) * 5 % 8 >= 5:
        raise InvalidFormat("base32 of an impossible length")
    bits = body.translate(_BITS)
    size = len(bits) // 8
    return int(bits[: size * 8], 2).to_bytes(size, "big")


class Nid(str):
    """A CID string in the canonical form nit writes: CIDv1, base32 lower.

    A `str` subclass so that trees and commits serialize it as a plain string.
    Construct through `Nid.parse` (validates) or `Nid.from_bytes`; `Nid(text)`
    is for text nit wrote itself and has already checked.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Nid:
        """Validate a CID given by a user or read from a document."""
        if not isinstance(text, str):
            raise InvalidFormat(f"not a valid CID: {text!r}")
        stripped = text.strip()
        if stripped[:1] in ("b", "B"):  # base32, lower ('b') or upper ('B') multibase
            try:
                cid = _decode(stripped)
                cid_fields(cid)
            except InvalidFormat as exc:
                raise InvalidFormat(f"not a valid CID: {text!r} ({exc.message})") from None
            nid = _encode(cid)
            if nid != "b" + stripped[1:].lower():  # stray bits in the last character
                raise InvalidFormat(f"not a valid CID: {text!r} (non-canonical base32)")
            return cls(nid)
        return cls._parse_other_base(text, stripped)

    @classmethod
    def _parse_other_base(cls, text: str, stripped: str) -> Nid:
        """The cold path: other multibases and CIDv0, through the generic library."""
        from multiformats import CID

        try:
            cid = CID.decode(stripped)
        except Exception as exc:  # the library raises several unrelated types
            raise InvalidFormat(f"not a valid CID: {text!r}") from exc
        if cid.version != 1:
            raise InvalidFormat(f"{text!r} is a CIDv0; Nids are CIDv1 (base32)")
        return cls.from_bytes(bytes(cid))

    @classmethod
    def from_bytes(cls, cid: bytes) -> Nid:
        if len(cid) == 36 and cid[:4] in (RAW_PREFIX, DAG_PB_PREFIX):  # fast path, hot in add
            return cls(_encode(cid))
        try:
            cid_fields(bytes(cid))
        except InvalidFormat as exc:
            raise InvalidFormat(f"not a valid binary CID ({exc.message})") from None
        return cls(_encode(bytes(cid)))

    @classmethod
    def of_bytes(cls, data: bytes) -> Nid:
        """Nid of an in-memory document (tree, commit) that fits one chunk."""
        from numbers_cli.model.unixfs import nid_of_bytes

        return nid_of_bytes(data)

    def to_bytes(self) -> bytes:
        return _decode(self)

    @property
    def codec(self) -> int:
        return cid_fields(self.to_bytes())[1]

    @property
    def is_raw(self) -> bool:
        return self.codec == RAW

    def verify_block(self, data: bytes | memoryview) -> bool:
        """True when `data` is exactly the block this CID names (sha2-256 only)."""
        _, _, code, digest = cid_fields(self.to_bytes())
        return code == SHA2_256 and digest == hashlib.sha256(data).digest()

    def __repr__(self) -> str:
        return f"Nid({str(self)!r})"


def is_nid(text: object) -> bool:
    """True for a Nid in its one canonical spelling (CIDv1, base32 lower).

    Used to validate names inside documents (a commit's committer), where a
    CIDv0, another base or stray whitespace is a malformed record, not a Nid.
    """
    if not isinstance(text, str) or not text.startswith("b"):
        return False
    try:
        return Nid.parse(text) == text
    except InvalidFormat:
        return False


def short(nid: str, width: int = 12) -> str:
    """Abbreviation for people: enough of the tail to tell Nids apart."""
    return nid if len(nid) <= width + 3 else f"{nid[:6]}…{nid[-(width - 6) :]}"
