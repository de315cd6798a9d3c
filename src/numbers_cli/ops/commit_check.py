"""The links of one commit: intact, well-formed, its tree, its signature, its signer.

Shared by `nit verify` (every commit of an asset), `nit fsck` (every commit
of the repository) and the stamp checks (a batch's commit), so one commit is
judged the same way wherever it is met.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import ExitCode, IntegrityError, InvalidFormat, NotFound
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.link_check import Check
from numbers_cli.ops.policy import Policy, license_name
from numbers_cli.ops.profiles import Profiles
from numbers_cli.ops.signatures import check_signature
from numbers_cli.ops.trees import read_file
from numbers_cli.repo.repository import Repository

__all__ = ["CommitVerdict", "verify_commit"]


@dataclass
class CommitVerdict:
    index: int
    commit_nid: Nid
    signer: str | None
    checks: list[Check] = field(default_factory=list)


def _read_tree(repo: Repository, cid: Nid) -> tuple[bytes | None, bool]:
    """Tree bytes even when altered (to say what changed), and whether they are intact."""
    try:
        if cid.is_raw:
            data = repo.objects.get_unverified(cid)
            return data, cid.verify_block(data)
        return read_file(repo, cid), True
    except IntegrityError:
        return None, False
    except NotFound:
        return None, False


def verify_commit(
    repo: Repository,
    index: int,
    commit_nid: Nid,
    asset: Nid | None,
    *,
    profiles: Profiles | None = None,
    policy: Policy | None = None,
) -> CommitVerdict:
    """Every link of one commit: intact, well-formed, its tree, its signature, its signer."""
    result = CommitVerdict(index, commit_nid, None)
    checks = result.checks
    try:
        raw = repo.objects.get_unverified(commit_nid)
    except NotFound:
        checks.append(Check("commit", False, f"commit {commit_nid} is missing", ExitCode.CORRUPT))
        return result
    if not commit_nid.verify_block(raw):
        checks.append(
            Check(
                "commit", False, "commit object was altered after it was written", ExitCode.CORRUPT
            )
        )
    try:
        commit = Commit.from_json(raw)
    except InvalidFormat as exc:
        checks.append(Check("commit", False, exc.message, ExitCode.VERIFY_MALFORMED))
        return result

    # The tree: intact, hashing to what the commit signed, describing this asset.
    tree_bytes, intact = _read_tree(repo, commit.tree_cid)
    tree: dict[str, Any] | None = None
    if tree_bytes is None:
        checks.append(
            Check(
                "tree",
                False,
                f"tree {commit.tree_cid} is missing or unreadable",
                ExitCode.VERIFY_TREE,
            )
        )
    else:
        sha_ok = hashlib.sha256(tree_bytes).hexdigest() == commit.get("assetTreeSha256")
        checks.append(
            Check(
                "tree",
                intact and sha_ok,
                "tree matches assetTreeSha256 and its CID"
                if intact and sha_ok
                else "tree bytes do not match the commit's assetTreeSha256/CID",
                ExitCode.VERIFY_TREE,
            )
        )
        with contextlib.suppress(InvalidFormat):
            parsed = jsjson.parse(tree_bytes)
            tree = parsed if isinstance(parsed, dict) else None
        if asset is not None:
            claimed = tree.get("assetCid") if tree is not None else None
            ok = claimed == asset
            checks.append(
                Check(
                    "assetCid",
                    ok,
                    "tree describes this asset" if ok else f"tree describes {claimed}, not {asset}",
                    ExitCode.VERIFY_TREE,
                )
            )

    # The signature: recoverable, by the committer it names, by a signer the policy allows.
    signature = check_signature(
        commit, profiles or Profiles(repo), policy, asset=asset, license_name=license_name(tree)
    )
    if signature.signer is None:
        checks.append(Check("signature", False, signature.detail, ExitCode.VERIFY_SIGNATURE))
        return result
    result.signer = signature.signer
    checks.append(Check("signature", True, f"signed by {signature.signer}"))
    checks.append(Check("committer", signature.ok, signature.detail, signature.code))
    if policy is not None and policy.restricts_signers:
        rule = policy.check_signer(signature.signer, asset, license_name(tree))
        checks.append(Check("policy", rule.ok, rule.detail, ExitCode.VERIFY_POLICY))
    return result
