"""`nit verify --remote`: every link from a file to the chain's latest record of it.

file ─(Nid, sha256)→ latest on-chain commit of the asset ─→ its tree (the
store, else the IPFS remote: CID recomputed) ─(sha256)→ signature ─→ committer,
plus where the local head stands against the chain (ops.conflicts). The
checks and exit codes are `nit verify`'s (ops.verify.Check): 10 content,
11 tree, 12 signature, 13 signer. A commit target is checked as the one
on-chain commit it names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.chain import ChainClient
from numbers_cli.config import Config
from numbers_cli.errors import (
    ExitCode,
    IntegrityError,
    InvalidFormat,
    NetworkError,
    NotFound,
    UsageError,
)
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.policy import Policy, license_name
from numbers_cli.ops.remote_history import RemoteCommit, read_history
from numbers_cli.ops.signatures import check_signature, worst
from numbers_cli.ops.trees import ObjectSource, read_file
from numbers_cli.ops.verify import Check
from numbers_cli.repo.repository import Repository

__all__ = ["RemoteVerdict", "verify_remote"]


@dataclass
class RemoteVerdict:
    target: str
    asset: Nid
    network: str
    commit: RemoteCommit | None = None
    checks: list[Check] = field(default_factory=list)
    head: Any = None  # ops.conflicts.AssetState, when there is a repository
    tree: dict[str, Any] | None = None  # the verified tree (for a policy)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def exit_code(self) -> ExitCode:
        return worst(c.code for c in self.checks if not c.ok)

    def to_json(self) -> dict[str, Any]:
        record = self.commit.record if self.commit else None
        return {
            "target": self.target,
            "asset": self.asset,
            "network": self.network,
            "ok": self.ok,
            "exitCode": int(self.exit_code),
            "commit": (
                {
                    "index": self.commit.index,
                    "commitCid": self.commit.commit_nid,
                    "block": record.block_number if record else None,
                    "tx": record.tx_hash if record else None,
                }
                if self.commit
                else None
            ),
            "checks": [c.to_json() for c in self.checks],
            "head": self.head.to_json() if self.head is not None else None,
        }


def _subject(repo: Repository | None, target: str) -> tuple[Nid, Nid | None, Path | None]:
    """(asset, commit or None, file or None) named by the target."""
    path = Path(target)
    if path.is_file():
        if repo is not None:
            try:
                tracked = repo.index().tracked.get(repo.relpath(path))
            except UsageError:
                tracked = None
            if tracked is not None:
                return Nid(tracked.nid), None, path
        from numbers_cli.ops.ingest import nid_of_file

        return nid_of_file(path), None, path
    try:
        nid = Nid.parse(target)
    except InvalidFormat:
        raise UsageError(f"{target}: no such file, and not a valid Nid") from None
    if repo is not None and not repo.refs.history(nid) and repo.objects.has(nid):
        data = repo.objects.get(nid)
        if data[:1] == b"{" and b'"assetTreeSignature"' in data:
            tree = jsjson.parse(read_file(repo, Commit.from_json(data).tree_cid))
            if isinstance(tree, dict) and isinstance(tree.get("assetCid"), str):
                return Nid.parse(tree["assetCid"]), nid, None
    return nid, None, None


def _tree_bytes(
    repo: Repository | None, source: ObjectSource | None, cid: Nid
) -> tuple[bytes | None, str]:
    if repo is None:
        return None, "no repository to read it from"
    try:
        return read_file(repo, cid), "in this repository"
    except NotFound:
        pass
    except IntegrityError:
        return None, "altered in this repository"
    if source is None:
        return None, "not in this repository, and no IPFS remote is configured"
    try:
        return read_file(repo, cid, source), "from the IPFS remote (CID recomputed)"
    except (NotFound, NetworkError, IntegrityError) as exc:
        return None, f"not in this repository nor on the IPFS remote ({exc.message})"


def verify_remote(
    repo: Repository | None,
    client: ChainClient,
    target: str,
    *,
    config: Config | None = None,
    policy: Policy | None = None,
) -> RemoteVerdict:
    """Verify `target` against the chain; trees and profiles come from the repository,
    else its configured IPFS remote. `policy` (ops.policy) adds its rules (exit 16)."""
    from numbers_cli.ops.profiles import open_profiles

    with open_profiles(repo, config) as profiles:
        return _verify_remote(repo, client, target, profiles, policy)


def _verify_remote(
    repo: Repository | None,
    client: ChainClient,
    target: str,
    profiles: Any,
    policy: Policy | None,
) -> RemoteVerdict:
    source: ObjectSource | None = profiles.source
    asset, only, path = _subject(repo, target)
    history = read_history(client, asset, repo=repo, profiles=profiles)
    if not history:
        raise NotFound(
            f"no commits of {asset} on {client.network.name}",
            hint="`nit push` registers local commits; --network picks another chain",
        )
    verdict = RemoteVerdict(target, asset, client.network.name)
    if only is not None:
        matching = [c for c in history if c.commit_nid == only]
        if not matching:
            raise NotFound(f"commit {only} of {asset} is not on {client.network.name}")
        latest = matching[0]
    else:
        latest = history[-1]
    verdict.commit = latest
    checks = verdict.checks
    record = latest.record
    checks.append(
        Check(
            "chain",
            True,
            f"{'commit' if only else 'latest commit'} #{latest.index} of {len(history)}: "
            f"block {record.block_number}, tx {record.tx_hash}",
        )
    )
    content_sha: str | None = None
    if path is not None:
        from numbers_cli.ops.ingest import ingest

        got = ingest(path, None)
        content_sha = got.sha256
        checks.append(
            Check(
                "content",
                got.nid == asset,
                f"file hashes to asset {asset}"
                if got.nid == asset
                else f"file now hashes to {got.nid}, not the asset {asset}",
                ExitCode.VERIFY_CONTENT,
            )
        )
    commit = latest.commit
    if commit is None:
        checks.append(Check("commit", False, latest.signature.detail, ExitCode.VERIFY_SIGNATURE))
        return verdict
    data, where = _tree_bytes(repo, source, commit.tree_cid)
    if data is None:
        checks.append(Check("tree", False, f"tree {commit.tree_cid} {where}", ExitCode.VERIFY_TREE))
    else:
        sha_ok = hashlib.sha256(data).hexdigest() == commit.get("assetTreeSha256")
        checks.append(
            Check(
                "tree",
                sha_ok,
                f"tree {where} matches assetTreeSha256"
                if sha_ok
                else f"tree {where} does not match the commit's assetTreeSha256",
                ExitCode.VERIFY_TREE,
            )
        )
        try:
            tree = jsjson.parse(data)
        except InvalidFormat:
            tree = None
        claimed = tree.get("assetCid") if isinstance(tree, dict) else None
        checks.append(
            Check(
                "assetCid",
                claimed == asset,
                "tree describes this asset" if claimed == asset else f"tree describes {claimed}",
                ExitCode.VERIFY_TREE,
            )
        )
        if sha_ok and isinstance(tree, dict):
            verdict.tree = tree
            if content_sha is not None:
                same = tree.get("assetSha256") == content_sha
                checks.append(
                    Check(
                        "assetSha256",
                        same,
                        "file sha256 matches the tree"
                        if same
                        else "file sha256 differs from the tree's assetSha256",
                        ExitCode.VERIFY_CONTENT,
                    )
                )
    licence = license_name(verdict.tree)
    signature = check_signature(commit, profiles, policy, asset=asset, license_name=licence)
    if signature.signer is None:
        checks.append(Check("signature", False, signature.detail, signature.code))
    else:
        checks.append(Check("signature", True, f"signed by {signature.signer}"))
        checks.append(Check("committer", signature.ok, signature.detail, signature.code))
        if policy is not None and policy.restricts_signers:
            rule = policy.check_signer(signature.signer, asset, licence)
            checks.append(Check("policy", rule.ok, rule.detail, ExitCode.VERIFY_POLICY))
    if policy is not None:
        for result in policy.check_asset(verdict.tree, commit.get("timestampCreated")):
            checks.append(Check("policy", result.ok, result.detail, ExitCode.VERIFY_POLICY))
    if repo is not None:
        from numbers_cli.ops.conflicts import compare

        (verdict.head,) = compare(repo, client, [asset])
    return verdict
