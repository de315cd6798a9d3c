"""The Solidity contract ABI encoding of elementary types, without eth-abi.

For the IntegrityRegister (chain.register), which every push, `log --remote`
and fetch uses; the market contracts' richer ABIs (tuples) go through chain.abi.

Covered: `uint<M>`, `int<M>`, `address`, `bool`, `bytes<M>`, `bytes`, `string`
and arrays `T[]` of any of them (the head/tail layout of the Solidity ABI
specification, "Formal Specification of the Encoding"). Tuples and fixed-size
arrays are not: no function of the register takes them.

Why not eth-abi: importing it costs about 0.2 s (eth-utils, pydantic), a third
of what `nit log --remote` of 1,000 commits may take end to end. Decoding is
strict in eth-abi's way: offsets and lengths inside the data, padding bytes
zero, integers and booleans in range. Tests compare encodings and decodings
with eth-abi's, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.address import checksum_address

__all__ = ["decode", "encode"]

_WORD = 32
_ELEMENTARY = re.compile(r"(uint|int|bytes)(\d*)|address|bool|string")


def _check_type(kind: str) -> None:
    base = kind.removesuffix("[]")
    match = _ELEMENTARY.fullmatch(base)
    if match is None or base.endswith("[]"):
        raise InvalidFormat(f"ABI type {kind!r} is not supported")
    family, size = match.group(1), match.group(2)
    if family in ("uint", "int") and size and not (0 < int(size) <= 256 and int(size) % 8 == 0):
        raise InvalidFormat(f"ABI type {kind!r} is not supported")
    if family == "bytes" and size and not 0 < int(size) <= 32:
        raise InvalidFormat(f"ABI type {kind!r} is not supported")


def _is_dynamic(kind: str) -> bool:
    return kind in ("bytes", "string") or kind.endswith("[]")


def _bits(kind: str, family: str) -> int:
    return int(kind[len(family) :] or 256)


def _pad_right(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % _WORD)


# -- encoding ----------------------------------------------------------------------


def _encode_static(kind: str, value: Any) -> bytes:
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidFormat(f"ABI bool needs True or False, not {value!r:.40}")
        return int(value).to_bytes(_WORD, "big")
    if kind == "address":
        return bytes(12) + bytes.fromhex(checksum_address(str(value))[2:])
    if kind.startswith("uint"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidFormat(f"ABI {kind} needs an integer, not {value!r:.40}")
        if not 0 <= value < 1 << _bits(kind, "uint"):
            raise InvalidFormat(f"{value} does not fit in {kind}")
        return value.to_bytes(_WORD, "big")
    if kind.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidFormat(f"ABI {kind} needs an integer, not {value!r:.40}")
        bits = _bits(kind, "int")
        if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
            raise InvalidFormat(f"{value} does not fit in {kind}")
        return value.to_bytes(_WORD, "big", signed=True)
    # bytes<M>
    size = int(kind[5:])
    if not isinstance(value, bytes | bytearray) or len(value) > size:
        raise InvalidFormat(f"ABI {kind} needs at most {size} bytes")
    return _pad_right(bytes(value))


def _encode_one(kind: str, value: Any) -> bytes:
    if kind == "string":
        if not isinstance(value, str):
            raise InvalidFormat(f"ABI string needs text, not {type(value).__name__}")
        value = value.encode("utf-8")
        kind = "bytes"
    if kind == "bytes":
        if not isinstance(value, bytes | bytearray):
            raise InvalidFormat(f"ABI bytes needs bytes, not {type(value).__name__}")
        return len(value).to_bytes(_WORD, "big") + _pad_right(bytes(value))
    if kind.endswith("[]"):
        items = list(value)
        element = kind[:-2]
        return len(items).to_bytes(_WORD, "big") + encode([element] * len(items), items)
    return _encode_static(kind, value)


def encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """The ABI encoding of `values` as the tuple `(types...)` (function arguments)."""
    if len(types) != len(values):
        raise InvalidFormat(f"{len(types)} ABI types for {len(values)} values")
    for kind in types:
        _check_type(kind)
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = _WORD * len(types)
    for kind, value in zip(types, values, strict=True):
        encoded = _encode_one(kind, value)
        if _is_dynamic(kind):
            heads.append(offset.to_bytes(_WORD, "big"))
            tails.append(encoded)
            offset += len(encoded)
        else:
            heads.append(encoded)
    return b"".join(heads) + b"".join(tails)


# -- decoding ----------------------------------------------------------------------


def _word(data: bytes, at: int) -> bytes:
    if at < 0 or at + _WORD > len(data):
        raise InvalidFormat(f"ABI data of {len(data)} bytes ends before byte {at + _WORD}")
    return data[at : at + _WORD]


def _uint_at(data: bytes, at: int) -> int:
    return int.from_bytes(_word(data, at), "big")


def _decode_static(kind: str, word: bytes) -> Any:
    value = int.from_bytes(word, "big")
    if kind == "bool":
        if value > 1:
            raise InvalidFormat("ABI bool is neither 0 nor 1")
        return bool(value)
    if kind == "address":
        if word[:12] != bytes(12):
            raise InvalidFormat("ABI address has non-zero padding")
        return "0x" + word[12:].hex()  # lower case, as eth-abi returns it
    if kind.startswith("uint"):
        if value >> _bits(kind, "uint"):
            raise InvalidFormat(f"ABI value does not fit in {kind}")
        return value
    if kind.startswith("int"):
        bits = _bits(kind, "int")
        signed = int.from_bytes(word, "big", signed=True)
        if not -(1 << (bits - 1)) <= signed < 1 << (bits - 1):
            raise InvalidFormat(f"ABI value does not fit in {kind}")
        return signed
    size = int(kind[5:])
    if any(word[size:]):
        raise InvalidFormat(f"ABI {kind} has non-zero padding")
    return word[:size]


def _decode_at(kind: str, data: bytes, at: int) -> Any:
    """The value of `kind` whose encoding starts at byte `at` (its tail, if dynamic)."""
    if kind in ("bytes", "string"):
        length = _uint_at(data, at)
        start = at + _WORD
        end = start + length
        padded_end = end + (-length % _WORD)
        if padded_end > len(data):
            raise InvalidFormat(f"ABI {kind} of {length} bytes runs past the data")
        if any(data[end:padded_end]):
            raise InvalidFormat(f"ABI {kind} has non-zero padding")
        raw = data[start:end]
        if kind == "bytes":
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidFormat("ABI string is not UTF-8") from None
    if kind.endswith("[]"):
        count = _uint_at(data, at)
        body = data[at + _WORD :]
        if count > len(body) // _WORD:
            raise InvalidFormat(f"ABI array of {count} items runs past the data")
        return list(decode([kind[:-2]] * count, body))
    return _decode_static(kind, _word(data, at))


def decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """Values of the tuple `(types...)` from its ABI encoding (return values, event data)."""
    for kind in types:
        _check_type(kind)
    values = []
    for index, kind in enumerate(types):
        head = index * _WORD
        if _is_dynamic(kind):
            offset = _uint_at(data, head)
            if offset >= len(data):
                raise InvalidFormat(f"ABI offset {offset} points past the data")
            values.append(_decode_at(kind, data, offset))
        else:
            values.append(_decode_at(kind, data, head))
    return tuple(values)
