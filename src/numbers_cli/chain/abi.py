"""A compiled contract's ABI as bytes: calldata, return values, custom errors, events.

The market contracts' bindings (chain.custody, chain.licenses) are built on
this; the IntegrityRegister keeps its own spec-shaped module (chain.register).
Everything comes from the shipped artifact (numbers_cli.contracts), so a
binding can never disagree with the bytecode it deploys. eth_abi/eth_utils
are imported lazily, like web3 elsewhere: `nit --help` must not pay for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from numbers_cli.contracts import ContractArtifact, load_artifact
from numbers_cli.errors import InvalidFormat, NotFound, UsageError

__all__ = ["ContractAbi", "DecodedError", "DecodedEvent", "checksum_address", "contract_abi"]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def checksum_address(text: str, what: str = "address") -> str:
    """`text` as a checksummed address; UsageError unless it is 0x + 40 hex digits whose
    mixed case (if any) is a valid EIP-55 checksum."""
    from eth_utils import to_checksum_address

    raw = text.strip()
    if not _ADDRESS.fullmatch(raw):
        raise UsageError(f"{what} {text!r} is not an address (0x and 40 hex digits)")
    address = str(to_checksum_address(raw))
    digits = raw[2:]
    if digits != digits.lower() and digits != digits.upper() and raw != address:
        raise UsageError(f"{what} {raw} has a bad checksum (mixed case): did you mean {address}?")
    return address


def _type_of(param: dict[str, Any]) -> str:
    """The canonical ABI type of a parameter; tuples spelled out, e.g. (uint256,string)[]."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_type_of(component) for component in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _checksummed(param: dict[str, Any], value: Any) -> Any:
    """`value` decoded by eth_abi, with every address in it checksummed (eth_abi gives
    lower case; nit shows and compares addresses in their checksummed form)."""
    from eth_utils import to_checksum_address

    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_checksummed(inner, item) for item in value]
    if kind == "tuple":
        return tuple(_checksummed(c, v) for c, v in zip(param["components"], value, strict=True))
    if kind == "address":
        return str(to_checksum_address(value))
    return value


def _decode(params: list[dict[str, Any]], data: bytes) -> list[Any]:
    from eth_abi import decode

    values = decode([_type_of(p) for p in params], data)
    return [_checksummed(p, v) for p, v in zip(params, values, strict=True)]


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_type_of(p) for p in item.get('inputs', []))})"


@dataclass(frozen=True)
class DecodedError:
    """A revert decoded against the ABI: a custom error, Error(string) or Panic(uint256)."""

    name: str
    args: dict[str, Any]

    def __str__(self) -> str:
        """`Name(arg=value, ...)`: how an error without a message of its own is shown."""
        shown = ", ".join(
            f"{k}={v.hex() if isinstance(v, bytes) else v}" for k, v in self.args.items()
        )
        return f"{self.name}({shown})"


@dataclass(frozen=True)
class DecodedEvent:
    name: str
    args: dict[str, Any]
    log_index: int
    block_number: int
    tx_hash: str


class ContractAbi:
    """Encoders and decoders for one artifact's ABI."""

    def __init__(self, artifact: ContractArtifact) -> None:
        self.artifact = artifact

    @property
    def name(self) -> str:
        return self.artifact.name

    def _function(self, name: str) -> dict[str, Any]:
        items = [
            i for i in self.artifact.abi if i.get("type") == "function" and i.get("name") == name
        ]
        if len(items) != 1:
            raise NotFound(f"contract {self.name} has {len(items)} functions named {name}")
        return items[0]

    @cached_property
    def _errors(self) -> dict[bytes, dict[str, Any]]:
        from eth_utils import keccak

        items = [i for i in self.artifact.abi if i.get("type") == "error"]
        items += [
            {"name": "Error", "inputs": [{"name": "reason", "type": "string"}]},
            {"name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
        ]
        return {keccak(text=_signature(item))[:4]: item for item in items}

    @cached_property
    def _events(self) -> dict[str, dict[str, Any]]:
        from eth_utils import keccak

        return {
            "0x" + keccak(text=_signature(item)).hex(): item
            for item in self.artifact.abi
            if item.get("type") == "event"
        }

    def encode_call(self, name: str, *args: Any) -> bytes:
        """Calldata of `name(*args)`."""
        from eth_abi import encode
        from eth_utils import keccak

        item = self._function(name)
        types = [_type_of(p) for p in item["inputs"]]
        return keccak(text=_signature(item))[:4] + encode(types, list(args))

    def decode_result(self, name: str, data: bytes) -> tuple[Any, ...]:
        """The return values of `name` from eth_call's bytes."""
        from eth_abi.exceptions import DecodingError

        try:
            return tuple(_decode(self._function(name)["outputs"], data))
        except DecodingError as exc:
            raise InvalidFormat(
                f"{self.name}.{name} returned {len(data)} bytes that do not decode as its result"
            ) from exc

    def creation_code(self, *args: Any) -> bytes:
        """Creation bytecode followed by the encoded constructor arguments."""
        from eth_abi import encode

        code = bytes.fromhex(self.artifact.bytecode.removeprefix("0x"))
        ctor = [i for i in self.artifact.abi if i.get("type") == "constructor"]
        types = [_type_of(p) for p in ctor[0]["inputs"]] if ctor else []
        return code + (encode(types, list(args)) if types else b"")

    def decode_error(self, data: bytes | None) -> DecodedError | None:
        """The custom error (or Error/Panic) a revert carries; None if unknown or empty."""
        from eth_abi.exceptions import DecodingError

        if not data or len(data) < 4:
            return None
        item = self._errors.get(bytes(data[:4]))
        if item is None:
            return None
        inputs = item.get("inputs", [])
        try:
            values = _decode(inputs, bytes(data[4:]))
        except DecodingError:
            return None
        return DecodedError(
            item["name"], {p["name"]: v for p, v in zip(inputs, values, strict=True)}
        )

    def event_topic(self, name: str) -> str:
        for topic, item in self._events.items():
            if item["name"] == name:
                return topic
        raise NotFound(f"contract {self.name} has no event {name}")

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """A JSON-RPC log of this contract as an event; None if it is not one of its events."""
        from eth_abi.exceptions import DecodingError

        topics = [str(t).lower() for t in log.get("topics") or []]
        item = self._events.get(topics[0]) if topics else None
        if item is None:
            return None
        indexed = [p for p in item["inputs"] if p.get("indexed")]
        plain = [p for p in item["inputs"] if not p.get("indexed")]
        try:
            values = _decode(plain, bytes.fromhex(str(log["data"]).removeprefix("0x")))
            args = {p["name"]: v for p, v in zip(plain, values, strict=True)}
            for param, topic in zip(indexed, topics[1:], strict=True):
                kind = _type_of(param)
                if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
                    args[param["name"]] = topic  # indexed dynamic values are only their hash
                else:
                    (args[param["name"]],) = _decode([param], bytes.fromhex(topic[2:]))
            return DecodedEvent(
                name=item["name"],
                args=args,
                log_index=int(log["logIndex"], 16),
                block_number=int(log["blockNumber"], 16),
                tx_hash=str(log["transactionHash"]),
            )
        except (DecodingError, KeyError, TypeError, ValueError) as exc:
            raise InvalidFormat(f"malformed {item['name']} log from the node: {exc}") from None


@cache
def contract_abi(name: str) -> ContractAbi:
    """The ABI of the shipped artifact `name` ("Custody", "Licenses")."""
    return ContractAbi(load_artifact(name))
