"""The IntegrityRegister's calldata, return values and event logs, as bytes.

Encodings are derived from the shipped ABI (numbers_cli.contracts), the
contract the Numbers network and the reference tool use (spec/NUMBERS.md),
with chain.abi_codec and model.address's keccak (not eth-abi/eth-utils, whose import
alone would be a third of `nit log --remote`'s time).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from numbers_cli.chain import abi_codec as abi
from numbers_cli.contracts import ContractArtifact, load_artifact
from numbers_cli.errors import InvalidFormat
from numbers_cli.model.address import checksum_address, keccak256

__all__ = [
    "CommitRecord",
    "artifact",
    "commit_topic",
    "decode_commit_log",
    "decode_uint_array",
    "encode_call",
    "nid_topic",
]


@dataclass(frozen=True)
class CommitRecord:
    """One `Commit` event: a commit of asset `nid` as the chain holds it."""

    nid: str
    commit_data: str  # the compact commit JSON, exactly as stored
    recorder: str  # checksummed address that sent the transaction
    block_number: int
    tx_hash: str
    log_index: int


def artifact() -> ContractArtifact:
    return load_artifact("IntegrityRegister")


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(arg['type'] for arg in item['inputs'])})"


@cache
def _function(name: str) -> tuple[bytes, tuple[str, ...]]:
    """(4-byte selector, argument types) of a function of the register."""
    item = artifact().abi_item("function", name)
    types = tuple(arg["type"] for arg in item["inputs"])
    return keccak256(_signature(item).encode("utf-8"))[:4], types


def encode_call(name: str, *args: Any) -> bytes:
    """Calldata of `name(*args)`; e.g. encode_call("commit", nid, commit_data)."""
    selector, types = _function(name)
    return selector + abi.encode(types, args)


def decode_uint_array(data: bytes) -> list[int]:
    """A `uint256[]` return value (getCommits, getRecordLogs)."""
    try:
        (values,) = abi.decode(["uint256[]"], data)
    except InvalidFormat as exc:
        raise InvalidFormat(
            f"contract returned {len(data)} bytes that are not a uint256[]"
        ) from exc
    return [int(value) for value in values]


@cache
def commit_topic() -> str:
    """topic0 of the `Commit` event: keccak256 of its signature, 0x-hex."""
    signature = _signature(artifact().abi_item("event", "Commit"))
    return "0x" + keccak256(signature.encode("utf-8")).hex()


def nid_topic(nid: str) -> str:
    """The indexed `string assetCid` topic: keccak256 of the Nid's UTF-8 bytes, 0x-hex."""
    return "0x" + keccak256(nid.encode("utf-8")).hex()


def decode_commit_log(nid: str, log: dict[str, Any]) -> CommitRecord:
    """A `Commit` log from eth_getLogs (JSON-RPC form) as a CommitRecord."""
    if not isinstance(log, dict):
        raise InvalidFormat(f"malformed log from the node: {log!r:.80}")
    topics = [str(topic).lower() for topic in log.get("topics") or []]
    if len(topics) != 3 or topics[0] != commit_topic() or topics[2] != nid_topic(nid):
        raise InvalidFormat(f"log {log.get('transactionHash')} is not a Commit event of {nid}")
    try:
        # `string` and `bytes` share one ABI encoding; decoding as bytes keeps a
        # record whose text is not UTF-8 (anyone may commit anything under any
        # Nid) readable instead of failing the whole history on it.
        (raw,) = abi.decode(["bytes"], bytes.fromhex(str(log.get("data")).removeprefix("0x")))
    except (InvalidFormat, ValueError) as exc:
        raise InvalidFormat(
            f"Commit event in transaction {log.get('transactionHash')} has undecodable data"
        ) from exc
    try:
        return CommitRecord(
            nid=nid,
            commit_data=raw.decode("utf-8", errors="replace"),
            recorder=checksum_address("0x" + topics[1][-40:]),
            block_number=int(log["blockNumber"], 16),
            tx_hash=str(log["transactionHash"]),
            log_index=int(log["logIndex"], 16),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidFormat(f"malformed Commit log from the node: {log!r:.120}") from exc
