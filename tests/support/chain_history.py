"""Putting commits on a test chain without `nit push`, for the history and fetch tests.

Commits go on chain as `nit push` sends them: `commit(nid, commitData)` with the
commit's stored bytes (its compact on-chain string), registered by an anvil
dev account. Foreign commits (made by "another machine") and deliberately bad
ones are built with the real model code, so their bytes are real Numbers
commits.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from numbers_cli.chain import ChainClient, Network, Receipt
from numbers_cli.config_writer import set_table_entry
from numbers_cli.model.commit import ACTION_NIDS, Commit, gateway_url
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer, parse_private_key


def use_network(network: Network, name: str = "devnet") -> None:
    """Write `[networks.NAME]` in the user config, as `nit devnet up` would."""
    set_table_entry(
        "user",
        "networks",
        name,
        {
            "rpc": network.rpc_url,
            "chain_id": network.chain_id,
            "contract": network.contract or "",
            "confirmations": network.confirmations,
        },
    )


def local_history(workdir: Path, asset: str) -> list[Nid]:
    return Repository(workdir).refs.history(asset)


def local_commit_data(workdir: Path, asset: str, commit: str) -> str:
    return Repository(workdir).objects.get(Nid(commit)).decode("utf-8")


def register_local(
    chain: ChainClient, workdir: Path, asset: str, key: str, commits: list[Nid] | None = None
) -> list[Receipt]:
    """Register the repository's commits of `asset` (default: all), in history order."""
    chosen = local_history(workdir, asset) if commits is None else commits
    items = [(asset, local_commit_data(workdir, asset, c)) for c in chosen]
    return chain.send_commits(items, key)


def signer(key: str) -> Signer:
    return Signer(parse_private_key(key))


def made_commit(
    asset: str,
    key: str,
    *,
    note: str = "made elsewhere",
    committer: str | None = None,
    tree_extra: dict[str, str] | None = None,
) -> tuple[str, bytes]:
    """(commitData, tree bytes) of a real signed commit of `asset` by `key`.

    `committer` other than the key's address gives a commit whose signature
    does not recover its committer (what a forger would register).
    """
    by = signer(key)
    tree = AssetTree.new(
        {
            "assetCid": asset,
            "assetSha256": hashlib.sha256(asset.encode()).hexdigest(),
            "encodingFormat": "image/jpeg",
            "abstract": note,
            **(tree_extra or {}),
        }
    )
    data = tree.to_bytes()
    return signed_commit(data, by, abstract=note, committer=committer).to_chain(), data


def signed_commit(
    tree: bytes,
    by: Signer,
    *,
    abstract: str,
    committer: str | None = None,
    timestamp: int | None = None,
    action: str = "action-commit",
) -> Commit:
    """A real Numbers commit of the tree bytes `tree`, signed EIP-191 by `by`.

    Built with the model code `nit commit` uses, so its bytes are what another
    client would register; `committer` other than the signer's address makes
    the forgery a verifier must catch.
    """
    tree_cid = Nid.of_bytes(tree)
    sha = hashlib.sha256(tree).hexdigest()
    return Commit.new(
        {
            "assetTreeCid": tree_cid,
            "assetTreeSha256": sha,
            "assetTreeSignature": by.sign_text(sha),
            "author": by.address,
            "committer": committer or by.address,
            "timestampCreated": int(time.time()) if timestamp is None else timestamp,
            "action": ACTION_NIDS[action],
            "actionResult": gateway_url(tree_cid),
            "abstract": abstract,
        }
    )


def commit_nid(commit_data: str) -> Nid:
    return Nid.of_bytes(commit_data.encode("utf-8"))
