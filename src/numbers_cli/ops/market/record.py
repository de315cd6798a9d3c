"""Recording an on-chain action of an asset as a nit commit of that asset.

So `nit log`, `nit log --remote` and `nit trace` show custody, licences and
governance next to the asset's other history: each action becomes a signed
commit on the asset's head tree (minting also adds the token to the tree's
`nftRecord`), naming the action (`actionName`, docs/formats.md), the
transaction (`actionResult`) and attaching a JSON record of what was done (the
custody token's metadata, for a mint). The commit is then pushed to the same
network's IntegrityRegister (and its objects to the IPFS remote, if one is
configured) through `ops.push`, like any commit.

Only a repository holding the asset's history records: a buyer without it
just gets the licence (the chain's own events still show the purchase).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import Network
from numbers_cli.config import Config
from numbers_cli.errors import NitError
from numbers_cli.model.commit import ACTION_NIDS, Commit
from numbers_cli.model.market import action_record
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.trees import load_commit, tree_of
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer

__all__ = ["Recorded", "record_action", "tx_uri"]

#: Changes to the head tree an action makes (minting: the new nftRecord), from the tree.
TreeChanges = Callable[[AssetTree], Mapping[str, Any]]


def tx_uri(network: Network, tx_hash: str) -> str:
    """`actionResult` of a recorded action: the explorer page of its transaction when the
    network has one, else `eip155:<chain id>/tx/<hash>` (a CAIP-2 chain id and the hash)."""
    return network.tx_url(tx_hash) or f"eip155:{network.chain_id}/tx/{tx_hash}"


@dataclass
class Recorded:
    """The commit that records an action, and what pushing it did."""

    asset: Nid
    commit: Nid
    action_name: str
    attachment: Nid
    pushed_tx: str | None = None
    push_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "commit": self.commit,
            "actionName": self.action_name,
            "attachment": self.attachment,
            "pushedTx": self.pushed_tx,
            "pushError": self.push_error,
            "notes": self.notes,
        }


def record_action(
    repo: Repository | None,
    config: Config,
    signer: Signer,
    nid: Nid,
    *,
    network: Network,
    tx_hash: str,
    action_name: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    attachment: bytes | None = None,
    tree_changes: TreeChanges | None = None,
    push: bool = True,
    now: int | None = None,
) -> Recorded | None:
    """Commit the action on `nid`'s head (None when `repo` lacks the asset), then push it.

    `attachment` defaults to the action record JSON (action, network, chain id,
    transaction, signer, `details`). A failed push is reported in the result,
    not raised: the action happened on chain whatever becomes of its record,
    and `nit push` finishes the record later.
    """
    if repo is None or repo.refs.head(nid) is None:
        return None
    if attachment is None:
        attachment = action_record(
            {
                "action": action_name,
                "network": network.name,
                "chainId": network.chain_id,
                "transaction": tx_hash,
                "by": signer.address,
                **dict(details or {}),
            }
        )
    author = str(config.get("commit.author") or "") or signer.address
    provider = str(config.get("commit.provider") or "") or None
    timestamp = int(time.time()) if now is None else now
    with repo.transaction() as txn:
        head = txn.history(nid)[-1]
        tree = tree_of(repo, load_commit(repo, head))
        if tree_changes is not None:
            changes = tree_changes(tree)
            tree = tree.updated(changes)
            staged = txn.index.staged.get(nid)
            if staged is not None:  # keep the change in what `nit commit` will commit next
                staged.tree = AssetTree(tuple(staged.tree.items())).updated(changes).as_dict()
        tree_cid = repo.objects.put(tree.to_bytes())
        attachment_cid = repo.objects.put(attachment)
        sha = tree.sha256()
        record = Commit.new(
            {
                "assetTreeCid": tree_cid,
                "assetTreeSha256": sha,
                "assetTreeSignature": signer.sign_text(sha),
                "author": author,
                "committer": signer.address,
                "provider": provider,
                "timestampCreated": timestamp,
                "action": ACTION_NIDS.get(action_name),
                "actionResult": tx_uri(network, tx_hash),
                "abstract": message,
                "attachment": attachment_cid,
                "actionName": action_name,
            }
        )
        commit_nid = repo.objects.put(record.to_bytes())
        txn.append_commit(nid, commit_nid)
    recorded = Recorded(Nid(nid), commit_nid, action_name, attachment_cid)
    if push:
        _push(repo, config, signer, network, recorded)
    return recorded


def _push(
    repo: Repository, config: Config, signer: Signer, network: Network, recorded: Recorded
) -> None:
    from numbers_cli.ops.push import PushOptions
    from numbers_cli.ops.push import push as push_op

    try:
        report = push_op(
            repo,
            config,
            PushOptions(network=network.name, assets=(recorded.asset,)),
            lambda: signer,
        )
    except NitError as exc:
        recorded.push_error = exc.message
        recorded.notes.append(f"the record is committed locally; `nit push` publishes it ({exc})")
        return
    for item in report.commits:
        if item.commit == recorded.commit:
            recorded.pushed_tx = item.tx_hash
    if report.ipfs_note:
        recorded.notes.append(report.ipfs_note)
