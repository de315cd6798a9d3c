"""Reads of whole blocks and of every register event: for proofs and chain scans.

A mixin of ChainClient (same node, same one-line NetworkErrors), kept apart
from the asset-history reads in client.py: proof bundles need headers, all
receipts and raw transactions of a block (to rebuild its tries), and
`nit trace --scan-chain` needs every `Commit` event of the register, whatever
asset it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.register import CommitRecord, commit_topic
from numbers_cli.chain.rpc import RpcError
from numbers_cli.errors import InvalidFormat, NetworkError

if TYPE_CHECKING:
    from numbers_cli.chain.rpc import JsonRpc

__all__ = ["BlockReads", "ScannedCommit"]


@dataclass(frozen=True)
class ScannedCommit:
    """A `Commit` event of any asset. The event indexes the Nid only by its hash
    (`string indexed assetCid`), so the Nid itself comes from the commit's tree."""

    nid_hash: str  # 0x-hex keccak256 of the Nid
    commit_data: str
    recorder: str
    block_number: int
    tx_hash: str
    log_index: int


def decode_scanned(log: dict[str, Any]) -> ScannedCommit:
    """A register `Commit` log (eth_getLogs form) of any asset; InvalidFormat if it is not one."""
    from numbers_cli.chain import abi_codec

    try:
        topics = [str(topic).lower() for topic in log["topics"]]
    except (KeyError, TypeError) as exc:
        raise InvalidFormat(f"malformed Commit log from the node: {exc}") from None
    if len(topics) != 3 or topics[0] != commit_topic():
        raise InvalidFormat(f"log {log.get('transactionHash')} is not a Commit event")
    try:
        (raw,) = abi_codec.decode(["bytes"], bytes.fromhex(str(log["data"]).removeprefix("0x")))
        return ScannedCommit(
            nid_hash=topics[2],
            commit_data=raw.decode("utf-8", errors="replace"),
            recorder="0x" + topics[1][-40:],
            block_number=int(log["blockNumber"], 16),
            tx_hash=str(log["transactionHash"]),
            log_index=int(log["logIndex"], 16),
        )
    except InvalidFormat as exc:
        raise InvalidFormat(f"malformed Commit log from the node: {exc.message}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidFormat(f"malformed Commit log from the node: {exc}") from None


class BlockReads:
    """Block-level reads; needs `_rpc`, `network` and `_ensure_checked` from ChainClient."""

    _rpc: JsonRpc

    def _ensure_checked(self) -> str:  # pragma: no cover - provided by ChainClient
        raise NotImplementedError

    def _commit_log_calls(  # pragma: no cover - provided by ChainClient
        self, nid: str, blocks: Sequence[int], chunk: int | None = None
    ) -> list[tuple[str, list[Any]]]:
        raise NotImplementedError

    def _commit_log_records(  # pragma: no cover - provided by ChainClient
        self, nid: str, blocks: Sequence[int], replies: Sequence[Any]
    ) -> list[CommitRecord]:
        raise NotImplementedError

    def _caught_up(self, block: int) -> bool:  # pragma: no cover - provided by ChainClient
        raise NotImplementedError

    def _strict(self, calls: Sequence[tuple[str, Sequence[Any]]], what: str) -> list[Any]:
        try:
            return self._rpc.batch_strict(calls)
        except RpcError as exc:
            raise NetworkError(f"{what} failed on {self._rpc.url}: {exc.rpc_message}") from None

    def blocks(self, numbers: Sequence[int], *, full: bool = False) -> list[dict[str, Any]]:
        """eth_getBlockByNumber for each number (batched); with `full`, transaction objects."""
        calls = [("eth_getBlockByNumber", [hex(n), full]) for n in numbers]
        replies = self._strict(calls, "eth_getBlockByNumber")
        absent = [
            n for n, block in zip(numbers, replies, strict=True) if not isinstance(block, dict)
        ]
        if absent and self._caught_up(max(absent)):  # a receipt named a block not served yet
            replies = self._strict(calls, "eth_getBlockByNumber")
        for number, block in zip(numbers, replies, strict=True):
            if not isinstance(block, dict):
                raise NetworkError(f"RPC node at {self._rpc.url} has no block {number}")
        return replies

    def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any]]:
        """Receipts of the given transactions, batched (by hash: eth_getBlockReceipts is
        not offered by every node)."""
        receipts = self._strict(
            [("eth_getTransactionReceipt", [h]) for h in hashes], "eth_getTransactionReceipt"
        )
        for tx_hash, receipt in zip(hashes, receipts, strict=True):
            if not isinstance(receipt, dict):
                raise NetworkError(f"RPC node at {self._rpc.url} has no receipt of {tx_hash}")
        return receipts

    def raw_transactions(self, hashes: Sequence[str]) -> list[bytes]:
        """The signed transactions, as their senders broadcast them (EIP-2718 bytes)."""
        replies = self._strict(
            [("eth_getRawTransactionByHash", [h]) for h in hashes], "eth_getRawTransactionByHash"
        )
        out = []
        for tx_hash, raw in zip(hashes, replies, strict=True):
            if not isinstance(raw, str) or not raw.startswith("0x"):
                raise NetworkError(f"RPC node at {self._rpc.url} has no transaction {tx_hash}")
            out.append(bytes.fromhex(raw[2:]))
        return out

    def commits_of(self, nids: Sequence[str]) -> dict[str, list[int]]:
        """getCommits of many assets in batched eth_calls: block numbers per Nid."""
        from numbers_cli.chain.register import decode_uint_array, encode_call
        from numbers_cli.chain.rpc import hex_bytes

        contract = self._ensure_checked()
        calls = [
            (
                "eth_call",
                [{"to": contract, "data": "0x" + encode_call("getCommits", nid).hex()}, "latest"],
            )
            for nid in nids
        ]
        replies = self._strict(calls, "getCommits")
        return {
            nid: decode_uint_array(hex_bytes(reply, "getCommits result"))
            for nid, reply in zip(nids, replies, strict=True)
        }

    def commit_histories(
        self, nids: Sequence[str]
    ) -> dict[str, tuple[list[int], list[CommitRecord]]]:
        """(getCommits, its Commit events) of many assets in two batched round trips.

        The very queries `get_commits` and `commit_logs` make for one asset, sent
        together: a lineage's generation of 100 assets costs two HTTP requests, not
        200. An asset whose reads fail (an RPC error, an event the node lacks) is
        left out, for the caller to read alone and report in that asset's words;
        NetworkError when the batch as a whole fails.
        """
        blocks = self.commits_of(nids)
        calls: list[tuple[str, list[Any]]] = []
        spans: dict[str, tuple[int, int]] = {}
        for nid in nids:
            mine = self._commit_log_calls(nid, blocks[nid]) if blocks[nid] else []
            spans[nid] = (len(calls), len(calls) + len(mine))
            calls += mine
        replies = self._rpc.batch(calls) if calls else []
        found: dict[str, tuple[list[int], list[CommitRecord]]] = {}
        for nid in nids:
            start, end = spans[nid]
            mine = replies[start:end]
            if any(isinstance(reply, RpcError) for reply in mine):
                continue
            try:
                found[nid] = (blocks[nid], self._commit_log_records(nid, blocks[nid], mine))
            except (NetworkError, InvalidFormat):
                continue
        return found

    def commit_events(self, from_block: int, to_block: int) -> list[ScannedCommit]:
        """Every `Commit` event of the register in [from_block, to_block], in chain order."""
        contract = self._ensure_checked()
        query = {
            "address": contract,
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "topics": [commit_topic()],
        }
        (logs,) = self._strict([("eth_getLogs", [query])], "eth_getLogs")
        if not isinstance(logs, list):
            raise NetworkError(f"RPC node sent a malformed eth_getLogs result: {logs!r:.80}")
        found = [
            decode_scanned(log)
            for log in logs
            if isinstance(log, dict) and not log.get("removed", False)
        ]
        found.sort(key=lambda c: (c.block_number, c.log_index))
        return found
