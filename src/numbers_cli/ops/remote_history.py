"""`nit log --remote`, `nit diff --remote`: an asset's history as a chain holds it.

The read is the one spec/NUMBERS.md prescribes (and the reference tool does):
`getCommits(nid)` gives one block number per commit, in chain order; the
`Commit` events of those blocks (eth_getLogs, topic0 = Commit, topic2 =
keccak256(nid)) give the records. A block can hold several commits of one
asset, so the i-th block number is paired with the k-th event of that block,
where k counts the earlier commits listed in the same block.

Anyone may register anything under any Nid, so nothing read from the chain is
trusted: every commit's signature is recovered and compared with the committer
it names, and a commit that fails is still listed (it *is* on the chain) but
flagged, and makes the command exit non-zero (14 not a well-formed commit, 12
unrecoverable signature, 13 signed by someone else, 15 signed by a wallet that
nothing ties to the committer's profile: `ops.signatures.check_signature`).

Index selection follows the reference tool: `--from-index A --to-index B` is
the half-open range [A, B), negative values count from the end, and a B that is
not greater than A (as given) means "to the end".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain import ChainClient, CommitRecord
from numbers_cli.config import Config
from numbers_cli.errors import (
    ExitCode,
    InvalidFormat,
    NetworkError,
    NotARepository,
    NotFound,
    UsageError,
    VerificationFailed,
)
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.history import Diff, json_diff
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.session import open_repo
from numbers_cli.ops.signatures import SignatureCheck, check_signature, worst
from numbers_cli.ops.trees import ObjectSource, tree_of
from numbers_cli.repo.repository import Repository

__all__ = [
    "RemoteBlocks",
    "RemoteCommit",
    "RemoteDiff",
    "RemoteLog",
    "SignatureCheck",
    "check_signature",
    "connect",
    "open_optional_repo",
    "read_history",
    "remote_asset",
    "remote_blocks",
    "remote_diff",
    "remote_log",
    "select_indexes",
]

# --- one on-chain commit ----------------------------------------------------------


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


# --- reading ----------------------------------------------------------------------


def connect(config: Config, network: str | None = None) -> ChainClient:
    """A client for `network` (default: `core.network`); use it as a context manager."""
    return ChainClient(resolve_network(config, network))


def open_optional_repo(cwd: Path) -> tuple[Repository | None, Config]:
    """The repository around `cwd` if there is one, and the config in force there.

    Reading a chain needs no repository (any asset's history is public); one
    only adds the marking of local commits and the resolving of file names.
    """
    try:
        return open_repo(cwd)
    except NotARepository:
        return None, Config.load(None)


def remote_asset(repo: Repository | None, target: str) -> Nid:
    """The asset a command names: a Nid, or (inside a repository) a tracked file."""
    if repo is not None:
        return repo.resolve_asset(target)
    try:
        return Nid.parse(target)
    except InvalidFormat:
        raise UsageError(
            f"{target} is not a Nid (a file name needs a repository: run inside one, or -C DIR)"
        ) from None


def select_indexes(total: int, from_index: int | None, to_index: int | None) -> range:
    """The reference tool's `--from-index A --to-index B`: commits A .. B-1.

    Negative values count from the end (a JavaScript/Python slice); A defaults
    to 0; a missing B, or one not greater than A as given, means the end.
    """
    start = 0 if from_index is None else from_index
    stop = total if to_index is None or to_index <= start else to_index
    return range(total)[start:stop]


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


def _require_commits(blocks: Sequence[int], asset: Nid, network: str) -> None:
    if not blocks:
        raise NotFound(
            f"no commits of {asset} on {network}",
            hint="`nit push` registers local commits; --network picks another chain",
        )


@dataclass(frozen=True)
class RemoteBlocks:
    """`--blocks`: where the selected commits are, without reading them."""

    asset: Nid
    network: str
    total: int
    blocks: list[tuple[int, int]]  # (index, block number)

    def to_json(self) -> list[dict[str, int]]:
        return [{"index": i, "block": b} for i, b in self.blocks]


def remote_blocks(
    client: ChainClient, asset: Nid, from_index: int | None = None, to_index: int | None = None
) -> RemoteBlocks:
    """Block numbers of the asset's commits (getCommits only), as the reference `--blocks`."""
    blocks = client.get_commits(asset)
    _require_commits(blocks, asset, client.network.name)
    chosen = select_indexes(len(blocks), from_index, to_index)
    return RemoteBlocks(asset, client.network.name, len(blocks), [(i, blocks[i]) for i in chosen])


@dataclass(frozen=True)
class RemoteLog:
    asset: Nid
    network: str
    total: int  # commits on chain, selected or not
    commits: list[RemoteCommit]  # the selected ones, in chain order

    @property
    def failed(self) -> list[RemoteCommit]:
        return [c for c in self.commits if not c.signature.ok]

    @property
    def exit_code(self) -> ExitCode:
        """0, or the code of the worst failing commit among the listed ones."""
        return worst(c.signature.code for c in self.failed)

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.commits]


def remote_log(
    client: ChainClient,
    asset: Nid,
    from_index: int | None = None,
    to_index: int | None = None,
    *,
    repo: Repository | None = None,
    profiles: Profiles | None = None,
) -> RemoteLog:
    """The selected on-chain commits of `asset`, oldest first, every signature checked."""
    blocks = client.get_commits(asset)
    _require_commits(blocks, asset, client.network.name)
    chosen = select_indexes(len(blocks), from_index, to_index)
    commits = read_history(client, asset, chosen, repo=repo, blocks=blocks, profiles=profiles)
    return RemoteLog(asset, client.network.name, len(blocks), commits)


# --- diff ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteDiff:
    """A Diff between two on-chain commits, with where each one is on the chain."""

    network: str
    diff: Diff
    old: RemoteCommit | None
    new: RemoteCommit

    def to_json(self) -> dict[str, Any]:
        value = self.diff.to_json()
        value["network"] = self.network
        for side, commit in (("from", self.old), ("to", self.new)):
            value[f"{side}Index"] = commit.index if commit else None
            value[f"{side}Block"] = commit.record.block_number if commit else None
            value[f"{side}Tx"] = commit.record.tx_hash if commit else None
            value[f"{side}CommitCid"] = commit.commit_nid if commit else None
            value[f"{side}SignatureValid"] = commit.signature.ok if commit else None
        return value


def _diff_pair(total: int, from_index: int | None, to_index: int | None) -> range:
    """The commits whose first and last are compared: by default the last two.

    With both indexes, the range `nit log --remote` would list (so B is
    exclusive, as in the reference tool); with only A, A against the latest;
    with only B, the two commits before B.
    """
    if from_index is None and to_index is None:
        return range(total)[-2:]
    if from_index is None:
        assert to_index is not None
        stop = min(to_index + total if to_index < 0 else to_index, total)
        return range(total)[max(stop - 2, 0) : stop]
    return select_indexes(total, from_index, to_index)


def _tree_dict(
    repo: Repository, commit: RemoteCommit, source: ObjectSource | None
) -> dict[str, Any]:
    assert commit.commit is not None
    cid = commit.commit.tree_cid
    try:
        return tree_of(repo, commit.commit, source).as_dict()
    except NotFound:
        where = "in this repository" + (" nor on its IPFS remote" if source else "")
        hint = (
            f"`nit fetch {commit.asset}` keeps what a remote has"
            if source
            else f"add an IPFS remote (`nit remote add`), or `nit fetch {commit.asset}`"
        )
        raise NotFound(
            f"AssetTree {cid} of on-chain commit #{commit.index} of {commit.asset} is not {where}",
            hint=hint,
        ) from None


def remote_diff(
    repo: Repository,
    client: ChainClient,
    asset: Nid,
    from_index: int | None = None,
    to_index: int | None = None,
    *,
    source: ObjectSource | None = None,
) -> RemoteDiff:
    """Differences of commit and AssetTree between two on-chain commits of `asset`.

    Trees are read from the store, else fetched through `source` (and kept).
    """
    blocks = client.get_commits(asset)
    _require_commits(blocks, asset, client.network.name)
    chosen = _diff_pair(len(blocks), from_index, to_index)
    if not chosen:
        raise UsageError(
            f"the index range selects no commit of {asset} (it has {len(blocks)} on "
            f"{client.network.name})"
        )
    ends = [chosen[0], chosen[-1]] if len(chosen) > 1 else [chosen[0]]
    read = read_history(client, asset, ends, repo=repo, blocks=blocks)
    for commit in read:
        if commit.commit is None:
            raise VerificationFailed(
                f"on-chain commit #{commit.index} of {asset} (tx {commit.record.tx_hash}) "
                "is not a Numbers commit",
                ExitCode.VERIFY_MALFORMED,
            )
    old, new = (read[0], read[-1]) if len(read) > 1 else (None, read[0])

    def label(commit: RemoteCommit | None) -> str:
        if commit is None:
            return "(none)"
        return f"#{commit.index} (block {commit.record.block_number})"

    old_commit = old.commit.as_dict() if old is not None and old.commit is not None else None
    new_commit = new.commit.as_dict() if new.commit is not None else None
    diff = Diff(
        asset,
        label(old),
        label(new),
        json_diff(old_commit, new_commit),
        json_diff(_tree_dict(repo, old, source) if old else None, _tree_dict(repo, new, source)),
    )
    return RemoteDiff(client.network.name, diff, old, new)
