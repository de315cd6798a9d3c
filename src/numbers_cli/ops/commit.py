"""`nit commit`: sign every staged AssetTree and record a Commit for it.

Trees, commits, refs and the cleared index are written in the store's one
transaction, so an interrupted commit is entirely there or entirely absent,
and committing 10,000 assets costs one fsync, not three per asset.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from numbers_cli.config import Config
from numbers_cli.errors import UsageError
from numbers_cli.model.commit import ACTION_FOR_KIND, ACTION_NIDS, Commit, gateway_url
from numbers_cli.model.names import quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer

#: From this many staged assets on, a progress bar counts the commits.
MANY_COMMITS = 200


@dataclass(frozen=True)
class Committed:
    asset: Nid
    commit: Nid
    kind: str
    action_name: str
    path: str | None


def commit(
    repo: Repository,
    signer: Signer,
    message: str | None = None,
    *,
    config: Config | None = None,
    now: int | None = None,
    progress: Progress | None = None,
) -> list[Committed]:
    config = config or Config.load(repo.workdir)
    progress = progress or NoProgress()
    author = str(config.get("commit.author") or "") or signer.address
    provider = str(config.get("commit.provider") or "") or None
    timestamp = int(time.time()) if now is None else now
    results: list[Committed] = []
    with repo.transaction() as txn:
        count = repo.db.one("SELECT count(*) FROM staged")
        if not txn.has_staged():
            raise UsageError("nothing to commit: `nit add` files first")
        if count is not None and count[0] > MANY_COMMITS:
            progress.start("signing", count[0], unit="commits")
        try:
            for staged in txn.staged():  # one tree in memory at a time
                nid = staged.nid
                tree = AssetTree(tuple(staged.tree.items()))
                tree.validate()
                tree_bytes = tree.to_bytes()
                tree_cid = repo.objects.put(tree_bytes)
                sha = hashlib.sha256(tree_bytes).hexdigest()
                action_name = ACTION_FOR_KIND[staged.kind]
                record = Commit.new(
                    {
                        "assetTreeCid": tree_cid,
                        "assetTreeSha256": sha,
                        "assetTreeSignature": signer.sign_text(sha),
                        "author": author,
                        "committer": signer.address,
                        "provider": provider,
                        "timestampCreated": timestamp,
                        "action": ACTION_NIDS[action_name],
                        "actionResult": gateway_url(tree_cid),
                        "abstract": message or _default_message(staged.kind, staged.path),
                    }
                ).with_action_name()
                commit_nid = repo.objects.put(record.to_bytes())
                txn.append_commit(nid, commit_nid)
                txn.unstage(nid)
                results.append(
                    Committed(
                        Nid(nid), commit_nid, staged.kind, record.get("actionName"), staged.path
                    )
                )
                progress.advance(1)
        finally:
            progress.done()
    return results


def _default_message(kind: str, path: str | None) -> str:
    what = {"new": "Initial registration", "update": "Update", "derive": "Derived asset"}[kind]
    return f"{what} of {quote_path(path)}." if path else f"{what}."
