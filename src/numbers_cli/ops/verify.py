"""`nit verify`: check every link from a file to its signed record.

file bytes ─(Nid, sha256)→ AssetTree ─(CID, sha256)→ Commit ─(EIP-191)→ committer

Each failed link has its own exit code, so a script can tell a changed photo
(10) from a tampered tree (11), a broken signature (12) or a signature by
someone other than the named committer (13).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.errors import ExitCode, IntegrityError, InvalidFormat, NitError, NotFound
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.signature import recover_signer, same_address
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.trees import iter_file, read_file
from numbers_cli.repo.repository import Repository

# When several links fail, the one nearest the content is reported.
_SEVERITY = [
    ExitCode.VERIFY_CONTENT,
    ExitCode.VERIFY_TREE,
    ExitCode.VERIFY_SIGNATURE,
    ExitCode.VERIFY_SIGNER,
    ExitCode.VERIFY_STAMP,  # stamp (issue 14)
    ExitCode.CORRUPT,
]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "exitCode": 0 if self.ok else int(self.code),  # what this check makes verify exit with
        }


@dataclass
class CommitVerdict:
    index: int
    commit_nid: Nid
    signer: str | None
    checks: list[Check] = field(default_factory=list)


@dataclass
class Verdict:
    target: str
    asset: Nid | None
    content: list[Check] = field(default_factory=list)
    commits: list[CommitVerdict] = field(default_factory=list)

    def all_checks(self) -> list[Check]:
        return self.content + [c for v in self.commits for c in v.checks]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.all_checks())

    @property
    def exit_code(self) -> ExitCode:
        failed = {c.code for c in self.all_checks() if not c.ok}
        return next((code for code in _SEVERITY if code in failed), ExitCode.OK)

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
        }


def verify(repo: Repository, target: str, *, offline: bool = False) -> Verdict:
    """`offline`: a stamped commit's batch is checked against the local record of
    its registration instead of the chain (stamp, issue 14)."""
    path = Path(target)
    if path.is_file():
        return _verify_file(repo, path, target, offline)
    nid = repo.resolve_asset(target)
    if repo.refs.history(nid):
        verdict = Verdict(target, nid)
        _verify_history(repo, verdict, nid, offline)
        _verify_stored_content(repo, verdict, nid)
        return verdict
    if repo.objects.has(nid) and _is_commit_object(repo, nid):
        verdict = Verdict(target, None)
        verdict.commits.append(verify_commit(repo, 0, nid, None))
        return verdict
    raise NotFound(
        f"no provenance record for {nid} in this repository",
        hint="`nit commit` it first" if nid in repo.index().staged else None,
    )


def _is_commit_object(repo: Repository, nid: Nid) -> bool:
    """A stored commit (even an altered one), not a file block, UnixFS node or tree."""
    raw = repo.objects.get_unverified(nid)
    return raw.lstrip()[:1] == b"{" and b'"assetTreeSignature"' in raw


def _verify_file(repo: Repository, path: Path, target: str, offline: bool = False) -> Verdict:
    got = ingest(path, None)
    tracked = repo.index().tracked.get(repo.relpath(path))
    if repo.refs.history(got.nid):
        verdict = Verdict(target, got.nid)
        verdict.content.append(Check("content", True, f"file hashes to asset {got.nid}"))
    elif tracked is not None and repo.refs.history(tracked.nid):
        verdict = Verdict(target, Nid(tracked.nid))
        verdict.content.append(
            Check(
                "content",
                False,
                f"file no longer matches asset {tracked.nid} recorded for this path"
                f" (it now hashes to {got.nid})",
                ExitCode.VERIFY_CONTENT,
            )
        )
    else:
        raise NotFound(f"no provenance record for {target} (Nid {got.nid}); is it committed?")
    _verify_history(repo, verdict, verdict.asset, offline)  # type: ignore[arg-type]
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


def _head_tree(repo: Repository, asset: Nid) -> AssetTree | None:
    try:
        commit = Commit.from_json(repo.objects.get_unverified(repo.refs.history(asset)[-1]))
        return AssetTree.from_bytes(repo.objects.get_unverified(commit.tree_cid))
    except NitError:
        return None


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


def _verify_history(repo: Repository, verdict: Verdict, asset: Nid, offline: bool = False) -> None:
    for i, commit_nid in enumerate(repo.refs.history(asset)):
        verdict.commits.append(verify_commit(repo, i, commit_nid, asset))
    # stamp (issue 14): a stamped commit also proves its leaf, root and on-chain batch.
    from numbers_cli.ops.stamp.verify import add_stamp_checks

    add_stamp_checks(repo, verdict.commits, asset, offline=offline)


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
    repo: Repository, index: int, commit_nid: Nid, asset: Nid | None
) -> CommitVerdict:
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
        checks.append(Check("commit", False, exc.message, ExitCode.VERIFY_SIGNATURE))
        return result

    # The tree: intact, hashing to what the commit signed, describing this asset.
    tree_bytes, intact = _read_tree(repo, commit.tree_cid)
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
        if asset is not None:
            try:
                claimed = jsjson.parse(tree_bytes).get("assetCid")
            except (InvalidFormat, AttributeError):
                claimed = None
            ok = claimed == asset
            checks.append(
                Check(
                    "assetCid",
                    ok,
                    "tree describes this asset" if ok else f"tree describes {claimed}, not {asset}",
                    ExitCode.VERIFY_TREE,
                )
            )

    # The signature: recoverable, and by the committer it names.
    signature = check_signature(commit)
    if signature.signer is None:
        checks.append(Check("signature", False, signature.detail, ExitCode.VERIFY_SIGNATURE))
        return result
    signer = result.signer = signature.signer
    checks.append(Check("signature", True, f"signed by {signer}"))
    committer = str(commit.get("committer"))
    if committer.startswith("0x"):
        checks.append(
            Check(
                "committer",
                signature.ok,
                "signer is the committer"
                if signature.ok
                else f"signer {signer} is not the committer {committer}",
                ExitCode.VERIFY_SIGNER,
            )
        )
    else:
        checks.append(
            Check(
                "committer",
                True,
                f"committer is a profile ({committer}); signer not compared to it",
            )
        )
    return result
    result.signer = signer
    checks.append(Check("signature", True, f"signed by {signer}"))
    committer = str(commit.get("committer"))
    if committer.startswith("0x"):
        ok = same_address(signer, committer)
        checks.append(
            Check(
                "committer",
                ok,
                "signer is the committer"
                if ok
                else f"signer {signer} is not the committer {committer}",
                ExitCode.VERIFY_SIGNER,
            )
        )
    else:
        checks.append(
            Check(
                "committer",
                True,
                f"committer is a profile ({committer}); signer not compared to it",
            )
        )
    return result


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a commit's signature holds without needing its tree.

    The signature covers the text `assetTreeSha256`, so it can be checked from
    the commit alone; whether the tree hashes to that value is `nit verify`'s
    business once the tree is at hand.
    """

    ok: bool
    signer: str | None
    detail: str
    code: ExitCode = ExitCode.OK


def check_signature(commit: Commit) -> SignatureCheck:
    """Recover the signer of `assetTreeSignature` and compare it with `committer`.

    The same rule as `nit verify`: a committer given as an address must be the
    signer; a committer given as a profile Nid (as the reference tool writes)
    cannot be compared, so a recoverable signature is all that can be asked.
    """
    try:
        signer = recover_signer(
            str(commit.get("assetTreeSha256")), str(commit.get("assetTreeSignature"))
        )
    except InvalidFormat as exc:
        return SignatureCheck(False, None, exc.message, ExitCode.VERIFY_SIGNATURE)
    committer = str(commit.get("committer"))
    if not committer.startswith("0x"):
        return SignatureCheck(True, signer, f"signed by {signer} (committer is a profile)")
    if same_address(signer, committer):
        return SignatureCheck(True, signer, f"signed by the committer {signer}")
    return SignatureCheck(
        False,
        signer,
        f"signed by {signer}, not by the committer {committer}",
        ExitCode.VERIFY_SIGNER,
    )
