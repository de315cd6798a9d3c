"""`nit log --remote`, `nit diff --remote`: an asset's history as a chain holds it.

The read is the one spec/NUMBERS.md prescribes (getCommits, then the Commit
events of those blocks), in `ops.remote_commits`, the one chain read path;
`RemoteCommit` and `read_history` are importable from here too.

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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain import ChainClient
from numbers_cli.config import Config
from numbers_cli.errors import (
    ExitCode,
    InvalidFormat,
    NotARepository,
    NotFound,
    UsageError,
    VerificationFailed,
)
from numbers_cli.model.nid import Nid
from numbers_cli.ops.history import Diff, json_diff
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.remote_commits import RemoteCommit, read_history
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
