"""The one path that reads an asset's commits from the chain: getCommits, then its events.

Every command that trusts a chain history (`log --remote`, `diff --remote`,
`fetch`, `trace`, `verify --remote`, `proof export`, `dataset verify`) reads
it here, so the pairing of block numbers with events and the signature check
of each commit exist once. Kept apart from `ops.remote_history` (the
commands' selections, blocks, log and diff) because those callers need only
this, and it re-exports both names.

The read is the one spec/NUMBERS.md prescribes (and the reference tool does):
`getCommits(nid)` gives one block number per commit, in chain order; the
`Commit` events of those blocks (eth_getLogs, topic0 = Commit, topic2 =
keccak256(nid)) give the records. A block can hold several commits of one
asset, so the i-th block number is paired with the k-th event of that block,
where k counts the earlier commits listed in the same block.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from numbers_cli.chain import ChainClient, CommitRecord
from numbers_cli.errors import ExitCode, InvalidFormat, NetworkError
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.signatures import SignatureCheck, check_signature
from numbers_cli.repo.repository import Repository

__all__ = ["RemoteCommit", "read_history"]


@dataclass(frozen=True)
class RemoteCommit:
    """One Commit event of the asset, decoded and checked.

    `commit` is None when the event's data is not a Numbers commit at all;
    `commit_nid` is the Nid of the exact `commitData` bytes, which is the id the
    same commit has in a local repository.
    """

    asset: Nid
    index: int
    record: CommitRecord
    commit_nid: Nid
    commit: Commit | None
    signature: SignatureCheck
    local: bool

    @property
    def data(self) -> bytes:
        return self.record.commit_data.encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "asset": self.asset,
            "index": self.index,
            "block": self.record.block_number,
            "tx": self.record.tx_hash,
            "logIndex": self.record.log_index,
            "recorder": self.record.recorder,
            "commitCid": self.commit_nid,
            "commit": self.commit.as_dict() if self.commit else None,
            "signatureValid": self.signature.ok,
            "signer": self.signature.signer,
            "signatureDetail": self.signature.detail,
            "local": self.local,
        }
        if self.commit is None:
            value["commitData"] = self.record.commit_data
        return value


def _decode(
    asset: Nid, index: int, record: CommitRecord, local: set[str], profiles: Profiles | None
) -> RemoteCommit:
    data = record.commit_data.encode("utf-8")
    commit_nid = Nid.of_bytes(data)
    try:
        commit: Commit | None = Commit.from_json(data)
    except InvalidFormat as exc:
        commit = None
        signature = SignatureCheck(False, None, exc.message, ExitCode.VERIFY_MALFORMED)
    else:
        signature = check_signature(commit, profiles, asset=asset)
    return RemoteCommit(asset, index, record, commit_nid, commit, signature, commit_nid in local)


def _records_at(
    client: ChainClient,
    asset: Nid,
    blocks: Sequence[int],
    indexes: Sequence[int],
    records: Sequence[CommitRecord] | None = None,
) -> dict[int, CommitRecord]:
    """The Commit events of the commits at `indexes` (positions in `blocks`); `records`
    are the events of (at least) their blocks when the caller already read them."""
    if not indexes:
        return {}
    if records is None:
        records = client.commit_logs(asset, sorted({blocks[i] for i in indexes}))
    by_block: dict[int, list[CommitRecord]] = defaultdict(list)
    for record in records:
        by_block[record.block_number].append(record)
    wanted = set(indexes)
    seen: Counter[int] = Counter()
    found: dict[int, CommitRecord] = {}
    for i in range(max(indexes) + 1):
        block = blocks[i]
        k = seen[block]
        seen[block] += 1
        if i not in wanted:
            continue
        events = by_block.get(block, [])
        if k >= len(events):
            raise NetworkError(
                f"the register lists {blocks.count(block)} commits of {asset} in block "
                f"{block}, but the node returned {len(events)} Commit event(s) there"
            )
        found[i] = events[k]
    return found


def read_history(
    client: ChainClient,
    asset: Nid,
    indexes: Sequence[int] | None = None,
    *,
    repo: Repository | None = None,
    blocks: Sequence[int] | None = None,
    records: Sequence[CommitRecord] | None = None,
    profiles: Profiles | None = None,
) -> list[RemoteCommit]:
    """The asset's on-chain commits at `indexes` (default: all), decoded and checked.

    `local` is set for commits also in the repository's `refs/heads/<asset>`.
    `blocks` is `getCommits(asset)` when the caller already has it, `records`
    `commit_logs(asset, blocks)` (ChainClient.commit_histories reads both for
    many assets at once). `profiles` ties profile committers to signers (None:
    none can be, exit 15).
    """
    if blocks is None:
        blocks, records = client.get_commits(asset), None
    chosen = list(range(len(blocks))) if indexes is None else list(indexes)
    found = _records_at(client, asset, blocks, chosen, records)
    local = set(repo.refs.history(asset)) if repo is not None else set()
    return [_decode(asset, i, found[i], local, profiles) for i in chosen]
