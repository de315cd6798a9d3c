"""`nit trace --scan-chain`: find derived assets among every commit of the register.

The register's `Commit` events are read range by range (eth_getLogs on topic0
only), each range stored in the repository's scan cache (repo.chain_scan)
with the next block to read, so a scan resumes where the last one stopped and
memory stays that of one range. The event names its asset only by
keccak256(Nid); every commit's tree is then read (the store, else the IPFS
remote; each distinct tree once per batch) and counts only if its assetCid
hashes to the event's topic: it gives the asset's Nid and the
`parentAssetCid` that version names. Every version counts, as it does for
local descendants: an asset is a child of each parent any of its trees names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numbers_cli.chain import ChainClient
from numbers_cli.chain.register import nid_topic
from numbers_cli.errors import (
    IntegrityError,
    InvalidFormat,
    NetworkError,
    NotFound,
    UsageError,
)
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trace.gather import ChildFinder
from numbers_cli.ops.trace.lineage import parse_nid
from numbers_cli.ops.trees import ObjectSource, get_block, read_file
from numbers_cli.repo.chain_scan import ReadRow, ScanIndex, ScannedRow, TreeLink
from numbers_cli.repo.repository import Repository

__all__ = ["ScanFinder", "ScanReport", "scan_chain"]

#: Blocks per eth_getLogs: small enough that one reply stays small on a busy chain.
SCAN_CHUNK = 2000


@dataclass(frozen=True)
class ScanReport:
    network: str
    from_block: int
    to_block: int
    new_commits: int
    totals: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "fromBlock": self.from_block,
            "toBlock": self.to_block,
            "newCommits": self.new_commits,
            **self.totals,
        }


class ScanFinder(ChildFinder):
    def __init__(self, index: ScanIndex) -> None:
        self.index = index

    def children(self, nid: str) -> list[str]:
        return self.index.children(nid)


def _rows(client: ChainClient, start: int, end: int) -> list[ScannedRow]:
    rows: list[ScannedRow] = []
    for event in client.commit_events(start, end):
        try:
            commit = Commit.from_json(event.commit_data)
            tree = str(commit.tree_cid)
        except InvalidFormat:
            tree = ""  # not a Numbers commit: kept, never resolved to an asset
        commit_cid = str(Nid.of_bytes(event.commit_data.encode("utf-8")))
        rows.append(
            (event.block_number, event.log_index, event.tx_hash, event.nid_hash, commit_cid, tree)
        )
    return rows


def _read_tree(repo: Repository, source: ObjectSource | None, cid: str) -> dict[str, Any] | None:
    """A tree's JSON, or None when nobody has it. `cid` was parsed from its commit when
    the scan stored it, so it is not parsed again; a tree is one raw block (read
    directly, verified by the store), or a UnixFS file when it is large."""
    nid = Nid(cid)
    try:
        data = (
            get_block(repo, nid, source)
            if cid.startswith("bafkrei")
            else read_file(repo, nid, source)
        )
        value = jsjson.parse(data)
    except (NotFound, IntegrityError, InvalidFormat, NetworkError):
        return None
    return value if isinstance(value, dict) else None


#: What a tree says: (topic of its assetCid, its assetCid, its parent), or None
#: when nobody has it.
_TreeFacts = tuple[str, str, str | None] | None

#: The parent of a tree whose parentAssetCid is not a Nid (compared by identity).
BAD_PARENT = "<not a Nid>"


def _facts(tree: dict[str, Any] | None, topics: dict[str, str]) -> _TreeFacts:
    """The tree's asset (and its keccak topic, computed once per asset) and parent,
    `BAD_PARENT` when the parent is not a Nid.

    Anyone can register any tree, so a junk `parentAssetCid` in some other
    asset's tree must not stop everyone's scan: that commit is nobody's child,
    and a trace of that asset itself still refuses it (LineageError, exit 17).
    """
    if tree is None:
        return None
    claimed = str(tree.get("assetCid", ""))
    if claimed not in topics:
        topics[claimed] = nid_topic(claimed)
    raw_parent = tree.get("parentAssetCid")
    parent = None
    if raw_parent is not None:
        try:
            parent = parse_nid(raw_parent)
        except InvalidFormat:
            return topics[claimed], claimed, BAD_PARENT
    return topics[claimed], claimed, parent


def _link(rowid: int, nid_hash: str, facts: _TreeFacts) -> TreeLink:
    """What one commit's tree says about its asset: its Nid and parent, if it is the
    asset's tree (its assetCid hashes to the event's topic)."""
    if facts is None:
        return rowid, "missing", None, nid_hash, None
    topic, claimed, parent = facts
    if topic != nid_hash:
        return rowid, "mismatch", None, nid_hash, None  # a tree of another asset
    if parent is BAD_PARENT:
        return rowid, "bad-parent", None, nid_hash, claimed
    return rowid, "read", parent, nid_hash, claimed


class _TreeReader:
    """What each tree says, read once per batch of rows (a tree may be named by several
    commits), each asset's keccak topic computed once per batch."""

    def __init__(self, repo: Repository, source: ObjectSource | None) -> None:
        self.repo, self.source = repo, source
        self.facts: dict[str, _TreeFacts] = {}
        self.topics: dict[str, str] = {}

    def prefetch(self, cids: list[str]) -> None:
        """Read the single-block trees of `cids` from the store in a few queries, not one
        each; what is not there is read one by one (and from the remote) by `link`."""
        wanted = [Nid(c) for c in dict.fromkeys(cids) if c.startswith("bafkrei")]
        for cid, data in self.repo.objects.get_packed(wanted).items():
            try:
                value = jsjson.parse(data)
            except InvalidFormat:
                value = None
            tree = value if isinstance(value, dict) else None
            self.facts[str(cid)] = _facts(tree, self.topics)

    def link(self, rowid: int, nid_hash: str, cid: str) -> TreeLink:
        if cid not in self.facts:
            self.facts[cid] = _facts(_read_tree(self.repo, self.source, cid), self.topics)
        return _link(rowid, nid_hash, self.facts[cid])


def _resolve(index: ScanIndex, repo: Repository, source: ObjectSource | None) -> None:
    """Read the tree of every commit left unread (a tree nobody had at the last scan),
    a batch at a time: memory stays that of one batch."""
    after = 0
    while batch := index.unread(after):
        reader = _TreeReader(repo, source)
        reader.prefetch([cid for _, _, cid in batch])
        index.resolve([reader.link(rowid, nid_hash, cid) for rowid, nid_hash, cid in batch])
        after = batch[-1][0]


def _read_range(
    rows: list[ScannedRow], reader: _TreeReader
) -> tuple[list[ReadRow], set[tuple[str, str]]]:
    """A range's rows with what their trees say, read now (one pass: no UPDATE of each
    row afterwards), and the (nid_hash, Nid) of assets whose tree was theirs."""
    read: list[ReadRow] = []
    names: set[tuple[str, str]] = set()
    reader.prefetch([row[5] for row in rows if row[5]])
    for row in rows:
        if not row[5]:  # not a Numbers commit: kept, never resolved to an asset
            read.append((*row, None, "none"))
            continue
        _, state, parent, nid_hash, nid = reader.link(0, row[3], row[5])
        read.append((*row, parent, state))
        if nid is not None:
            names.add((nid_hash, nid))
    return read, names


def scan_chain(
    repo: Repository,
    client: ChainClient,
    index: ScanIndex,
    *,
    source: ObjectSource | None = None,
    from_block: int | None = None,
    progress: Progress | None = None,
) -> ScanReport:
    """Scan (or resume scanning) the register's Commit events up to the chain head."""
    progress = progress or NoProgress()
    register = client.contract_address()
    client.check()
    index.bind(register, client.network.chain_id)
    head = client.block_number()
    if from_block is not None and from_block > head:
        raise UsageError(f"--from-block {from_block} is beyond the chain head (block {head})")
    start = max(index.next_block, from_block or 0)
    # Trees nobody had at the last scan first: a remote may have them now. New rows
    # are read with their range below, so a tree missing now is tried once per scan.
    index.retry_missing()
    _resolve(index, repo, source)
    new = 0
    progress.start(f"Scanning {client.network.name}", max(head + 1 - start, 0), unit="blocks")
    try:
        for low in range(start, head + 1, SCAN_CHUNK):
            high = min(low + SCAN_CHUNK - 1, head)
            rows, names = _read_range(_rows(client, low, high), _TreeReader(repo, source))
            new += index.record_read(rows, high + 1, names)
            progress.advance(high + 1 - low)
    finally:
        progress.done()
    return ScanReport(client.network.name, start, head, new, index.counts())
