"""`nit proof export`: gather everything that proves an asset's on-chain commits.

For each of the asset's commits on the chain (read as `nit log --remote`
reads them), the bundle gets the commit's exact bytes, its tree (from the
repository, else the IPFS remote: CID recomputed), and the chain evidence:
the signed transaction, its receipt, the block header, and Merkle-Patricia
proofs of both against the header's roots. Each block's tries are rebuilt
from all of its transactions and receipts, and their roots compared with the
header before anything is written: a node that serves inconsistent data
produces no bundle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.chain import ChainClient
from numbers_cli.chain.proofs import (
    IndexTrie,
    decode_header,
    encode_header,
    encode_receipt,
    keccak,
)
from numbers_cli.errors import InvalidFormat, NetworkError, NotFound, UsageError
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.model.unixfs import LinkWalk, decode_file_node
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.proof.bundle import Bundle, ChainEvidence
from numbers_cli.ops.remote_history import RemoteCommit, read_history
from numbers_cli.ops.trees import ObjectSource, get_block
from numbers_cli.repo.repository import Repository

__all__ = ["ExportReport", "export_proof", "resolve_target"]


@dataclass(frozen=True)
class ExportReport:
    path: Path
    asset: Nid
    network: str
    commits: int
    blocks: int  # distinct chain blocks
    content: bool  # file blocks included
    size: int  # bytes written

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.path),
            "asset": self.asset,
            "network": self.network,
            "commits": self.commits,
            "chainBlocks": self.blocks,
            "content": self.content,
            "size": self.size,
        }


def resolve_target(repo: Repository, target: str) -> tuple[Nid, Nid | None]:
    """(asset, commit or None) named by a file, an asset Nid or a commit Nid."""
    path = Path(target)
    if path.is_file():
        from numbers_cli.ops.ingest import nid_of_file

        return nid_of_file(path), None
    try:
        nid = Nid.parse(target)
    except InvalidFormat:
        raise UsageError(f"{target}: no such file, and not a valid Nid") from None
    if repo.refs.history(nid) or not repo.objects.has(nid):
        return nid, None
    data = repo.objects.get(nid)
    if data[:1] == b"{" and b'"assetTreeSignature"' in data:
        commit = Commit.from_json(data)
        tree = AssetTree.from_bytes(b"".join(_file_bytes(repo, commit.tree_cid, None)))
        return tree.asset_cid, nid
    return nid, None


def _dag_blocks(read: Callable[[Nid], bytes], root: Nid) -> Iterator[tuple[Nid, bytes]]:
    """Every block of a UnixFS file DAG, root first, each verified by `read`; walked
    with a stack (`LinkWalk`), as a valid DAG may be thousands of levels deep."""
    block = read(root)
    yield root, block
    if root.is_raw:
        return
    walk = LinkWalk(decode_file_node(block).links)
    for link in walk:
        child = Nid.from_bytes(link.cid)
        block = read(child)
        yield child, block
        if not child.is_raw:
            walk.descend(decode_file_node(block).links)


def _file_bytes(repo: Repository, cid: Nid, source: ObjectSource | None) -> Iterator[bytes]:
    for child, block in _dag_blocks(lambda c: get_block(repo, c, source), cid):
        if child.is_raw:
            yield block
        else:
            yield decode_file_node(block).data


def _tree_blocks(
    repo: Repository, commit: RemoteCommit, source: ObjectSource | None
) -> list[tuple[Nid, bytes]]:
    assert commit.commit is not None
    cid = commit.commit.tree_cid
    try:
        return list(_dag_blocks(lambda c: get_block(repo, c, source), cid))
    except NotFound:
        raise NotFound(
            f"AssetTree {cid} of on-chain commit #{commit.index} of {commit.asset} is neither "
            "in this repository nor on its IPFS remote",
            hint=f"`nit fetch {commit.asset}` with a remote that has it",
        ) from None


def _add_profiles(
    repo: Repository,
    commits: list[RemoteCommit],
    source: ObjectSource | None,
    objects: dict[str, bytes],
) -> None:
    """The profile documents of committers given as profile Nids, where they can be read:
    with them, a verifier ties signer to committer offline (the committer rule)."""
    from numbers_cli.model.signature import is_address

    for commit in commits:
        committer = commit.commit.committer if commit.commit is not None else ""
        if not committer or is_address(committer) or committer in objects:
            continue
        try:
            objects.update(_dag_blocks(lambda c: get_block(repo, c, source), Nid.parse(committer)))
        except (NotFound, NetworkError, InvalidFormat):
            continue  # verify then says the signer is not tied to the committer (15)


def _evidence(
    client: ChainClient, commits: list[RemoteCommit], progress: Progress
) -> tuple[list[ChainEvidence], dict[str, bytes]]:
    """Headers and trie proofs of every commit's transaction and receipt."""
    by_block: dict[int, list[RemoteCommit]] = defaultdict(list)
    for commit in commits:
        by_block[commit.record.block_number].append(commit)
    numbers = sorted(by_block)
    evidence: dict[tuple[str, int], ChainEvidence] = {}
    headers: dict[str, bytes] = {}
    progress.start("Gathering chain evidence", len(numbers), unit="blocks")
    try:
        for start in range(0, len(numbers), 50):  # 50 blocks' data per round of batches
            chunk = numbers[start : start + 50]
            blocks = client.blocks(chunk)
            hashes = [tx for block in blocks for tx in block["transactions"]]
            raws = dict(zip(hashes, client.raw_transactions(hashes), strict=True))
            receipts = dict(zip(hashes, client.receipts(hashes), strict=True))
            for number, block in zip(chunk, blocks, strict=True):
                header = encode_header(block)
                if "0x" + keccak(header).hex() != str(block["hash"]).lower():
                    raise NetworkError(
                        f"the header of block {number} does not hash to its block hash "
                        "(a node serving inconsistent data, or header fields nit does not know)"
                    )
                headers[str(block["hash"]).lower()] = header
                _prove_block(block, header, raws, receipts, by_block[number], evidence)
                progress.advance(1)
    finally:
        progress.done()
    return [evidence[(c.record.tx_hash.lower(), c.record.log_index)] for c in commits], headers


def _prove_block(
    block: dict[str, Any],
    header: bytes,
    raws: dict[str, bytes],
    receipts: dict[str, dict[str, Any]],
    commits: list[RemoteCommit],
    out: dict[tuple[str, int], ChainEvidence],
) -> None:
    roots = decode_header(header)
    order = {str(tx).lower(): i for i, tx in enumerate(block["transactions"])}
    tx_leaves = [raws[tx] for tx in block["transactions"]]
    receipt_leaves = [encode_receipt(receipts[tx]) for tx in block["transactions"]]
    # Each trie is built once per block, however many of its transactions are commits.
    tx_trie, receipt_trie = IndexTrie(tx_leaves), IndexTrie(receipt_leaves)
    if tx_trie.root != roots.transactions_root:
        raise NetworkError(f"block {roots.number}'s transactions do not build its root")
    if receipt_trie.root != roots.receipts_root:
        raise NetworkError(f"block {roots.number}'s receipts do not build its root")
    proofs: dict[int, tuple[Any, Any]] = {}
    for commit in commits:
        tx_hash = commit.record.tx_hash.lower()
        if tx_hash not in order:
            raise NetworkError(f"block {roots.number} does not list transaction {tx_hash}")
        index = order[tx_hash]
        if index not in proofs:
            proofs[index] = (tx_trie.prove(index), receipt_trie.prove(index))
        tx_proof, receipt_proof = proofs[index]
        assert commit.commit is not None
        out[(tx_hash, commit.record.log_index)] = ChainEvidence(
            index=commit.index,
            commit=commit.commit_nid,
            tree=commit.commit.tree_cid,
            block=roots.number,
            block_hash=str(block["hash"]).lower(),
            tx_hash=tx_hash,
            tx_index=index,
            tx=tx_leaves[index],
            receipt=receipt_leaves[index],
            tx_proof=tx_proof.nodes,
            receipt_proof=receipt_proof.nodes,
        )


def _content(
    repo: Repository, asset: Nid, tree: AssetTree, include: bool
) -> tuple[dict[str, Any], dict[str, bytes] | None]:
    content: dict[str, Any] = {"nid": asset, "sha256": tree.get("assetSha256")}
    if not include:
        return content, None
    if not repo.objects.has(asset):
        raise NotFound(
            f"the file of {asset} is not in this repository",
            hint="`nit proof export --no-content` proves the records without the file",
        )
    blocks: dict[str, bytes] = {}
    size = 0
    for cid, block in _dag_blocks(repo.objects.get, asset):
        blocks[cid] = block
        if cid.is_raw:
            size += len(block)
        else:
            size += len(decode_file_node(block).data)
    content["size"] = size
    return content, blocks


def export_proof(
    repo: Repository,
    client: ChainClient,
    target: str,
    out: Path,
    *,
    content: bool = True,
    source: ObjectSource | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the proof bundle of `target`'s on-chain commits (a commit target: that one)."""
    progress = progress or NoProgress()
    asset, only = resolve_target(repo, target)
    history = read_history(client, asset, repo=repo)
    chosen = [c for c in history if only is None or c.commit_nid == only]
    if not chosen:
        what = f"commit {only} of {asset}" if only else f"no commits of {asset}"
        raise NotFound(
            f"{what} {'is not' if only else 'are'} on {client.network.name}: nothing to prove",
            hint="`nit push` registers local commits; --network picks another chain",
        )
    unreadable = [c for c in chosen if c.commit is None]
    if unreadable:
        raise InvalidFormat(
            f"on-chain commit #{unreadable[0].index} of {asset} (tx "
            f"{unreadable[0].record.tx_hash}) is not a Numbers commit; it cannot be proven"
        )
    objects: dict[str, bytes] = {}
    latest_tree: AssetTree | None = None
    for commit in chosen:
        objects[commit.commit_nid] = commit.data
        blocks = _tree_blocks(repo, commit, source)
        objects.update(blocks)
        tree_bytes = b"".join(
            block if cid.is_raw else decode_file_node(block).data for cid, block in blocks
        )
        latest_tree = AssetTree.from_bytes(tree_bytes)
    assert latest_tree is not None
    _add_profiles(repo, chosen, source, objects)
    evidence, headers = _evidence(client, chosen, progress)
    content_info, content_blocks = _content(repo, asset, latest_tree, content)
    bundle = Bundle(
        asset=asset,
        network={
            "name": client.network.name,
            "chainId": client.network.chain_id,
            "register": client.contract_address(),
        },
        content=content_info,
        objects=objects,
        content_blocks=content_blocks,
        commits=evidence,
        headers=headers,
    )
    bundle.write(out)
    return ExportReport(
        out, asset, client.network.name, len(evidence), len(headers), content, out.stat().st_size
    )
