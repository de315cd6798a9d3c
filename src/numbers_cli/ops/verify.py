"""`nit verify`: check every link from a file to its signed record.

file bytes ─(Nid, sha256)→ AssetTree ─(CID, sha256)→ Commit ─(EIP-191)→ committer

Each failed link has its own exit code, so a script can tell a changed photo
(10) from a tampered tree (11), a broken signature (12), a signature by
someone other than the named committer (13), a commit that is not well-formed
(14), a signature nothing ties to its committer (15) or a broken rule of the
verifier's own `--policy` (16).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numbers_cli.config import Config
from numbers_cli.errors import (
    ExitCode,
    NitError,
    NotFound,
    UsageError,
)
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.commit_check import CommitVerdict, verify_commit
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.link_check import Check
from numbers_cli.ops.policy import Policy, load_policy
from numbers_cli.ops.profiles import Profiles, open_profiles
from numbers_cli.ops.signatures import worst
from numbers_cli.ops.trees import iter_file
from numbers_cli.repo.repository import Repository

if TYPE_CHECKING:  # data stream (issue 15): the C2PA line, a warning only
    from numbers_cli.ops import claims

__all__ = [
    "Check",
    "CommitVerdict",
    "Verdict",
    "load_policy",
    "verify",
    "verify_commit",
]


@dataclass
class Verdict:
    target: str
    asset: Nid | None
    content: list[Check] = field(default_factory=list)
    commits: list[CommitVerdict] = field(default_factory=list)
    policy: list[Check] = field(default_factory=list)  # `--policy` rules on the asset as a whole
    c2pa: claims.C2paCheck | None = None  # never changes ok / exit_code

    def all_checks(self) -> list[Check]:
        return self.content + [c for v in self.commits for c in v.checks] + self.policy

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.all_checks())

    @property
    def exit_code(self) -> ExitCode:
        return worst(c.code for c in self.all_checks() if not c.ok)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "asset": self.asset,
            "ok": self.ok,
            "exitCode": int(self.exit_code),
            "content": [c.to_json() for c in self.content],
            "commits": [
                {
                    "index": v.index,
                    "commitCid": v.commit_nid,
                    "signer": v.signer,
                    "checks": [c.to_json() for c in v.checks],
                }
                for v in self.commits
            ],
            "policy": [c.to_json() for c in self.policy],
            "c2pa": self.c2pa.to_json() if self.c2pa else None,
        }


@dataclass(frozen=True)
class _Context:
    """What every commit of one verify run is checked with."""

    profiles: Profiles
    policy: Policy | None
    config: Config | None = None
    stamps_on_chain: bool = False  # stamp (issue 14): ask the chain for each batch's anchor
    stamps_network: str | None = None  # the chain asked for a batch of unknown network


def verify(
    repo: Repository,
    target: str,
    *,
    config: Config | None = None,
    policy: Policy | None = None,
    stamps_on_chain: bool = False,
    stamps_network: str | None = None,
) -> Verdict:
    """Verify a file (inside this repository or not), an asset Nid or a commit Nid.

    With `config`, committer profiles missing here are fetched from the
    configured IPFS remote; without it, only this repository is asked.
    A stamped commit is also checked up to its batch's registration: as
    recorded here, or with `stamps_on_chain` read back from the chain (that of
    `stamps_network`, default `core.network`, for a batch whose network is unknown).
    """
    with open_profiles(repo, config) as profiles:
        verdict = _verify(
            repo, target, _Context(profiles, policy, config, stamps_on_chain, stamps_network)
        )
        if policy is not None and verdict.asset is not None:
            _check_policy(repo, verdict, policy)
        return verdict


def _verify(repo: Repository, target: str, ctx: _Context) -> Verdict:
    path = Path(target)
    if path.is_file():
        return _verify_file(repo, path, target, ctx)
    nid = repo.resolve_asset(target)
    if repo.refs.history(nid):
        verdict = Verdict(target, nid)
        _verify_history(repo, verdict, nid, ctx)
        _verify_stored_content(repo, verdict, nid)
        from numbers_cli.ops import claims

        verdict.c2pa = claims.check_stored(repo, nid, _head_tree(repo, nid))
        return verdict
    if repo.objects.has(nid) and _is_commit_object(repo, nid):
        verdict = Verdict(target, None)
        verdict.commits.append(
            verify_commit(repo, 0, nid, None, profiles=ctx.profiles, policy=ctx.policy)
        )
        from numbers_cli.ops.stamp.verify import add_stamp_checks  # stamp (issue 14)

        add_stamp_checks(
            repo,
            verdict.commits,
            None,
            on_chain=ctx.stamps_on_chain,
            config=ctx.config,
            network=ctx.stamps_network,
        )
        return verdict
    raise NotFound(
        f"no provenance record for {nid} in this repository",
        hint="`nit commit` it first" if nid in repo.index().staged else None,
    )


def _is_commit_object(repo: Repository, nid: Nid) -> bool:
    """A stored commit (even an altered one), not a file block, UnixFS node or tree."""
    raw = repo.objects.get_unverified(nid)
    return raw.lstrip()[:1] == b"{" and b'"assetTreeSignature"' in raw


def _tracked_nid(repo: Repository, path: Path) -> str | None:
    """The Nid recorded for `path` when it is a tracked file of this repository."""
    try:
        relpath = repo.relpath(path)
    except UsageError:  # a file received from elsewhere: only its content speaks
        return None
    tracked = repo.index().tracked.get(relpath)
    return tracked.nid if tracked is not None else None


def _verify_file(repo: Repository, path: Path, target: str, ctx: _Context) -> Verdict:
    got = ingest(path, None)
    tracked = _tracked_nid(repo, path)
    if repo.refs.history(got.nid):
        verdict = Verdict(target, got.nid)
        verdict.content.append(Check("content", True, f"file hashes to asset {got.nid}"))
    elif tracked is not None and repo.refs.history(Nid(tracked)):
        verdict = Verdict(target, Nid(tracked))
        verdict.content.append(
            Check(
                "content",
                False,
                f"file no longer matches asset {tracked} recorded for this path"
                f" (it now hashes to {got.nid})",
                ExitCode.VERIFY_CONTENT,
            )
        )
    else:
        raise NotFound(
            f"no provenance record for {target} (Nid {got.nid}) in this repository",
            hint="is it committed? a file from elsewhere: `nit fetch` its Nid first,"
            " or verify it against the chain with --remote",
        )
    _verify_history(repo, verdict, verdict.asset, ctx)  # type: ignore[arg-type]
    from numbers_cli.ops import claims

    verdict.c2pa = claims.check_file(repo, path)
    head = _head_tree(repo, verdict.asset)  # type: ignore[arg-type]
    if head is not None and verdict.content[0].ok:
        ok = head.get("assetSha256") == got.sha256
        verdict.content.append(
            Check(
                "assetSha256",
                ok,
                "file sha256 matches the tree"
                if ok
                else "file sha256 differs from the tree's assetSha256",
                ExitCode.VERIFY_CONTENT,
            )
        )
    return verdict


def _head_commit(repo: Repository, asset: Nid) -> Commit | None:
    try:
        return Commit.from_json(repo.objects.get_unverified(repo.refs.history(asset)[-1]))
    except (NitError, IndexError):
        return None


def _head_tree(repo: Repository, asset: Nid) -> AssetTree | None:
    commit = _head_commit(repo, asset)
    if commit is None:
        return None
    try:
        return AssetTree.from_bytes(repo.objects.get_unverified(commit.tree_cid))
    except NitError:
        return None


def _check_policy(repo: Repository, verdict: Verdict, policy: Policy) -> None:
    """`[require]` rules, on the asset's latest commit and tree."""
    asset = verdict.asset
    assert asset is not None
    commit = _head_commit(repo, asset)
    tree = _head_tree(repo, asset)
    timestamp = commit.get("timestampCreated") if commit is not None else None
    for rule in policy.check_asset(tree.as_dict() if tree is not None else None, timestamp):
        verdict.policy.append(Check("policy", rule.ok, rule.detail, ExitCode.VERIFY_POLICY))


def _verify_stored_content(repo: Repository, verdict: Verdict, asset: Nid) -> None:
    """Re-hash the asset's own blocks when this repository holds them."""
    if not repo.objects.has(asset):
        verdict.content.append(
            Check("content", True, "file blocks not stored here; content not re-hashed")
        )
        return
    digest = hashlib.sha256()
    try:
        for piece in iter_file(repo, asset):
            digest.update(piece)
    except NitError as exc:
        verdict.content.append(Check("content", False, exc.message, ExitCode.VERIFY_CONTENT))
        return
    verdict.content.append(Check("content", True, "every stored block hashes to its CID"))
    head = _head_tree(repo, asset)
    if head is not None:
        ok = head.get("assetSha256") == digest.hexdigest()
        verdict.content.append(
            Check(
                "assetSha256",
                ok,
                "content sha256 matches the tree" if ok else "content sha256 differs from the tree",
                ExitCode.VERIFY_CONTENT,
            )
        )


def _verify_history(repo: Repository, verdict: Verdict, asset: Nid, ctx: _Context) -> None:
    for i, commit_nid in enumerate(repo.refs.history(asset)):
        verdict.commits.append(
            verify_commit(repo, i, commit_nid, asset, profiles=ctx.profiles, policy=ctx.policy)
        )
    # stamp (issue 14): a stamped commit also proves its leaf, root and registered batch.
    from numbers_cli.ops.stamp.verify import add_stamp_checks

    add_stamp_checks(
        repo,
        verdict.commits,
        asset,
        on_chain=ctx.stamps_on_chain,
        config=ctx.config,
        network=ctx.stamps_network,
    )
