"""An asset's history as the register holds it: the spec's read, and commit counts.

A mixin of ChainClient (same node, same one-line NetworkErrors). The read
follows spec/NUMBERS.md to the letter: `getCommits(nid)` gives one block
number per commit, then `eth_getLogs` over those blocks with topic0 = Commit
and topic2 = keccak256(Nid) gives the records, so nit reads the Numbers
network's existing records, not only its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.register import (
    CommitRecord,
    commit_topic,
    decode_commit_log,
    decode_uint_array,
    encode_call,
    nid_topic,
)
from numbers_cli.chain.rpc import RpcError, hex_bytes
from numbers_cli.errors import NetworkError

if TYPE_CHECKING:
    from numbers_cli.chain.network import Network
    from numbers_cli.chain.rpc import JsonRpc

__all__ = ["HistoryReads"]

#: First pause while waiting for a node's head to reach a block; it doubles up to
#: `poll_interval`.
_FIRST_WAIT = 0.01


def _block_ranges(blocks: Sequence[int], chunk: int) -> list[tuple[int, int]]:
    """Cover the given block numbers with inclusive ranges at most `chunk` blocks wide.

    Ranges start at a listed block and end at the last listed block within
    reach, so a history spread over years costs one query per cluster of
    commits, not one per `chunk` blocks of the whole chain.
    """
    ranges: list[tuple[int, int]] = []
    for block in sorted(set(blocks)):
        if ranges and block - ranges[-1][0] < chunk:
            ranges[-1] = (ranges[-1][0], block)
        else:
            ranges.append((block, block))
    return ranges


class HistoryReads:
    """Register reads of one asset; needs `_rpc`, `network`, `log_chunk` and
    `_ensure_checked` from ChainClient."""

    _rpc: JsonRpc
    network: Network
    log_chunk: int
    poll_interval: float

    def _ensure_checked(self) -> str:  # pragma: no cover - provided by ChainClient
        raise NotImplementedError

    def _call(self, name: str, *args: Any) -> bytes:
        contract = self._ensure_checked()
        data = "0x" + encode_call(name, *args).hex()
        try:
            result = self._rpc.call("eth_call", [{"to": contract, "data": data}, "latest"])
        except RpcError as exc:
            raise NetworkError(
                f"{name} on the IntegrityRegister at {contract} ({self.network.name}) failed: "
                f"{exc.rpc_message}"
            ) from None
        return hex_bytes(result, f"{name} result")

    def get_commits(self, nid: str) -> list[int]:
        """Block numbers of the commits of `nid`, in chain order (one per commit)."""
        return decode_uint_array(self._call("getCommits", nid))

    def commit_counts(self, nids: Sequence[str]) -> dict[str, int]:
        """How many commits each Nid has on chain, in batched eth_calls (one round trip per
        `batch_size` Nids): the cheap check that a push is not about to repeat one."""
        contract = self._ensure_checked()
        calls = [
            (
                "eth_call",
                [{"to": contract, "data": "0x" + encode_call("getCommits", nid).hex()}, "latest"],
            )
            for nid in nids
        ]
        try:
            replies = self._rpc.batch_strict(calls)
        except RpcError as exc:
            raise NetworkError(
                f"getCommits on the IntegrityRegister at {contract} ({self.network.name}) "
                f"failed: {exc.rpc_message}"
            ) from None
        return {
            nid: len(decode_uint_array(hex_bytes(reply, "getCommits result")))
            for nid, reply in zip(nids, replies, strict=True)
        }

    def get_record_logs(self, nid: str) -> list[int]:
        """Block numbers of the integrity records of `nid`, in chain order."""
        return decode_uint_array(self._call("getRecordLogs", nid))

    def commit_logs(
        self, nid: str, blocks: Sequence[int], *, chunk: int | None = None
    ) -> list[CommitRecord]:
        """The Commit events of `nid` in the given blocks, ordered by (block, log index).

        `blocks` is what get_commits returned. NetworkError if the node has no
        event in a block the register lists (a node that prunes old logs would
        otherwise silently shorten the history).
        """
        if not blocks:
            return []
        calls = self._commit_log_calls(nid, blocks, chunk)
        for last_try in (False, True):
            try:
                replies = self._rpc.batch_strict(calls)
                return self._commit_log_records(nid, blocks, replies)
            except RpcError as exc:
                if not last_try and self._caught_up(max(blocks)):
                    continue
                raise NetworkError(
                    f"eth_getLogs for {nid} failed on {self.network.name}: {exc.rpc_message}"
                    + ("" if chunk == 1 else " (a smaller log_chunk may help)")
                ) from None
            except NetworkError:
                if not last_try and self._caught_up(max(blocks)):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _caught_up(self, block: int) -> bool:
        """Whether the node's head has reached `block` (waited for, if it is behind).

        The register's state (getCommits, read at "latest") and receipts can name
        a block that the node's log and block index do not serve yet: anvil under
        load answered eth_getLogs for the block just mined with "block height is
        N-1 but requested was N". A read that failed so is asked once more when
        the head has reached the block (it may have done so since the failure;
        a failure that stands after that is the node's answer). The wait is
        bounded by the client's HTTP timeout: a node that has the block's state
        moves its head there at once.
        """
        deadline = time.monotonic() + self._rpc.timeout
        wait = _FIRST_WAIT
        while self._rpc.call_quantity("eth_blockNumber") < block:
            if time.monotonic() > deadline:
                return False
            time.sleep(wait)
            wait = min(wait * 2, max(self.poll_interval, _FIRST_WAIT))
        return True

    def _commit_log_calls(
        self, nid: str, blocks: Sequence[int], chunk: int | None = None
    ) -> list[tuple[str, list[Any]]]:
        """The eth_getLogs calls (spec/NUMBERS.md's query) covering `blocks` for `nid`."""
        contract = self._ensure_checked()
        topics = [commit_topic(), None, nid_topic(nid)]
        return [
            (
                "eth_getLogs",
                [
                    {
                        "address": contract,
                        "fromBlock": hex(start),
                        "toBlock": hex(end),
                        "topics": topics,
                    }
                ],
            )
            for start, end in _block_ranges(blocks, chunk or self.log_chunk)
        ]

    def _commit_log_records(
        self, nid: str, blocks: Sequence[int], replies: Sequence[Any]
    ) -> list[CommitRecord]:
        """The records of `_commit_log_calls`' replies, checked against `blocks`."""
        records: list[CommitRecord] = []
        for logs in replies:
            if not isinstance(logs, list):
                raise NetworkError(f"RPC node sent a malformed eth_getLogs result: {logs!r:.80}")
            records += [
                decode_commit_log(nid, log)
                for log in logs
                if not (isinstance(log, dict) and log.get("removed", False))
            ]
        records.sort(key=lambda record: (record.block_number, record.log_index))
        missing = sorted(set(blocks) - {record.block_number for record in records})
        if missing:
            shown = ", ".join(str(block) for block in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise NetworkError(
                f"RPC node at {self.network.rpc_display} returned no Commit event of {nid} in "
                f"block {shown}{more}, which the register lists (does it keep old logs?)"
            )
        return records

    def history(self, nid: str) -> list[CommitRecord]:
        """All commits of `nid` on this network, in chain order."""
        return self.commit_logs(nid, self.get_commits(nid))
