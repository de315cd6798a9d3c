"""The committer rule: when a commit's signature proves who made it.

One rule for every command that trusts a commit (`verify`, `fsck`, `import`,
`log --remote`, `fetch`, `trace`, `proof verify`, `dataset verify`), and the
order in which their exit codes rank when several links fail. The rule is
documented in docs/formats.md ("The committer rule").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from numbers_cli.errors import ExitCode, InvalidFormat
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.signature import is_address, recover_signer, same_address
from numbers_cli.ops.policy import Policy
from numbers_cli.ops.profiles import Profiles

__all__ = ["SEVERITY", "SignatureCheck", "check_signature", "worst"]

# When several links fail, the one nearest the content is reported.
SEVERITY = (
    ExitCode.VERIFY_CONTENT,
    ExitCode.VERIFY_TREE,
    ExitCode.VERIFY_MALFORMED,
    ExitCode.VERIFY_SIGNATURE,
    ExitCode.VERIFY_SIGNER,
    ExitCode.VERIFY_UNTIED,
    ExitCode.VERIFY_STAMP,  # stamp (issue 14)
    ExitCode.VERIFY_POLICY,
    ExitCode.CORRUPT,
)


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """The code a command exits with when several links failed (OK if none did)."""
    failed = set(codes)
    return next((code for code in SEVERITY if code in failed), ExitCode.OK)


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


def check_signature(
    commit: Commit,
    profiles: Profiles | None = None,
    policy: Policy | None = None,
    *,
    asset: str | None = None,
    license_name: str | None = None,
) -> SignatureCheck:
    """Recover the signer of `assetTreeSignature` and tie it to the `committer`.

    The one rule of every command that trusts a commit (verify, fsck, import,
    log --remote, fetch). The committer is an address (well-formed commits have
    nothing else but a Nid): the signer must be it (13 if not). Or it is the
    Nid of a profile: the profile must name the signer's wallet (13 if it names
    others). A profile that cannot be had, or names no wallet, ties nobody: 15,
    "signer not tied to the committer", unless `policy` allows that signer.
    """
    try:
        signer = recover_signer(
            str(commit.get("assetTreeSha256")), str(commit.get("assetTreeSignature"))
        )
    except InvalidFormat as exc:
        return SignatureCheck(False, None, exc.message, ExitCode.VERIFY_SIGNATURE)
    committer = commit.committer
    if is_address(committer):
        if same_address(signer, committer):
            return SignatureCheck(True, signer, f"signed by the committer {signer}")
        return SignatureCheck(
            False,
            signer,
            f"signed by {signer}, not by the committer {committer}",
            ExitCode.VERIFY_SIGNER,
        )
    profile = (profiles or Profiles(None)).lookup(Nid(committer))
    if profile.names(signer):
        return SignatureCheck(
            True, signer, f"signed by {signer}, a wallet of the committer's profile {committer}"
        )
    if profile.wallets:
        return SignatureCheck(
            False,
            signer,
            f"signed by {signer}, but the committer's profile {committer} names "
            + ", ".join(profile.wallets),
            ExitCode.VERIFY_SIGNER,
        )
    rule = policy.signer_rule(signer, asset, license_name) if policy is not None else None
    if rule is not None:
        return SignatureCheck(
            True, signer, f"signed by {signer}, allowed by {rule} ({profile.problem})"
        )
    return SignatureCheck(
        False,
        signer,
        f"signer {signer} not tied to the committer {committer}: {profile.problem}",
        ExitCode.VERIFY_UNTIED,
    )
