"""`nit proof verify`: check a proof bundle with no RPC and no IPFS.

What is checked, each as its own verdict with a one-line reason:
- the artifact (if given) hashes to the bundle's Nid and sha256; the file
  blocks in the bundle (if any) hash to their CIDs and to the sha256;
- every tree and commit hashes to its CID, the tree to the commit's
  `assetTreeSha256`, and describes this asset;
- every signature recovers the committer (the rule of `nit verify`);
- every header hashes to its block hash, and that hash is trusted: listed
  with `--trusted-block`, or what the network's node says (one
  eth_getBlockByNumber per block, done by the caller);
- the transaction proof leads from the header's transactionsRoot to the
  signed transaction, whose keccak256 is the transaction hash;
- the receipt proof leads from receiptsRoot to the receipt at the same
  index; it succeeded and holds the register's `Commit` event for this Nid
  with exactly this commit's bytes, from the register the bundle names.

The verdicts are report.py's; the header and chain checks are evidence.py's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from numbers_cli.errors import ExitCode, InvalidFormat
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import decode_file_node
from numbers_cli.ops.profiles import Profile, Profiles, parse_profile
from numbers_cli.ops.proof.bundle import Bundle, ChainEvidence, load_bundle
from numbers_cli.ops.proof.evidence import BlockHashes, check_chain, check_headers
from numbers_cli.ops.proof.report import Checker, ProofCheck, ProofReport
from numbers_cli.ops.signatures import check_signature

__all__ = ["BlockHashes", "ProofCheck", "ProofReport", "verify_bundle"]


# --- content ------------------------------------------------------------------------


def _walk_file(
    blocks: Mapping[str, bytes], root: str, what: str, feed: Callable[[bytes], None]
) -> str:
    """Feed the data of the UnixFS file at `root`, in order, every block re-hashed
    against its CID; "" when whole, else why not (`what` names a block: "block",
    "object")."""

    def walk(cid_text: str) -> str | None:
        data = blocks.get(cid_text)
        if data is None:
            return f"{what} {cid_text} is missing from the bundle"
        cid = Nid(cid_text)
        if not cid.verify_block(data):
            return f"{what} {cid_text} does not hash to its CID"
        if cid.is_raw:
            feed(data)
            return None
        try:
            node = decode_file_node(data)
        except InvalidFormat as exc:
            return f"{what} {cid_text}: {exc.message}"
        feed(node.data)
        for link in node.links:
            problem = walk(Nid.from_bytes(link.cid))
            if problem:
                return problem
        return None

    try:
        return walk(root) or ""
    except InvalidFormat as exc:
        return exc.message


def _content_digest(blocks: Mapping[str, bytes], root: str) -> tuple[str | None, str]:
    """(sha256 of the file the blocks make, or None, and why not)."""
    digest = hashlib.sha256()
    problem = _walk_file(blocks, root, "block", digest.update)
    return (None, problem) if problem else (digest.hexdigest(), "")


def _check_content(bundle: Bundle, artifact: Path | None, check: Checker) -> None:
    nid, sha = bundle.content.get("nid"), bundle.content.get("sha256")
    code = ExitCode.VERIFY_CONTENT
    check.add(
        "content",
        "nid",
        nid == bundle.asset,
        f"asset {nid}",
        f"content names {nid}, the bundle proves {bundle.asset}",
        code,
    )
    if bundle.content_blocks is not None:
        digest, why = _content_digest(bundle.content_blocks, str(nid))
        if digest is None:
            check.add("content", "blocks", False, "", why, code)
        else:
            check.add(
                "content",
                "blocks",
                digest == sha,
                "file blocks hash to their CIDs and to the sha256",
                "file blocks do not hash to the bundle's sha256",
                code,
            )
    if artifact is not None:
        from numbers_cli.ops.ingest import ingest

        got = ingest(artifact, None)
        check.add(
            "artifact",
            "nid",
            got.nid == nid,
            f"{artifact.name} hashes to {nid}",
            f"{artifact.name} hashes to {got.nid}, not {nid}",
            code,
        )
        check.add(
            "artifact",
            "sha256",
            got.sha256 == sha,
            "sha256 matches",
            f"{artifact.name}'s sha256 differs from the bundle's",
            code,
        )


# --- trees, commits, signatures -----------------------------------------------------


def _object_bytes(bundle: Bundle, cid_text: str) -> tuple[bytes | None, str]:
    """A file object (tree) of the bundle, its blocks verified; (None, why) if not."""
    parts: list[bytes] = []
    problem = _walk_file(bundle.objects, cid_text, "object", parts.append)
    return (None, problem) if problem else (b"".join(parts), "")


def _check_records(bundle: Bundle, ev: ChainEvidence, check: Checker) -> None:
    subject = f"commit #{ev.index}"
    data = bundle.objects.get(ev.commit)
    ok = data is not None and Nid(ev.commit).verify_block(data)
    if not check.add(
        subject,
        "commit",
        ok,
        f"commit {ev.commit} hashes to its CID",
        f"commit {ev.commit} is missing or does not hash to its CID",
        ExitCode.VERIFY_SIGNATURE,
    ):
        return
    assert data is not None
    try:
        commit = Commit.from_json(data)
    except InvalidFormat as exc:
        check.add(subject, "commit", False, "", exc.message, ExitCode.VERIFY_SIGNATURE)
        return
    tree_bytes, why = _object_bytes(bundle, str(commit.tree_cid))
    if tree_bytes is None:
        check.add(subject, "tree", False, "", why, ExitCode.VERIFY_TREE)
    else:
        sha_ok = hashlib.sha256(tree_bytes).hexdigest() == commit.get("assetTreeSha256")
        if check.add(
            subject,
            "tree",
            sha_ok and ev.tree == commit.tree_cid,
            "tree hashes to its CID and to assetTreeSha256",
            "tree bytes do not match the commit's assetTreeSha256",
            ExitCode.VERIFY_TREE,
        ):
            try:
                tree = jsjson.parse(tree_bytes)
            except InvalidFormat:
                tree = None
            claimed = tree.get("assetCid") if isinstance(tree, dict) else None
            check.add(
                subject,
                "assetCid",
                claimed == bundle.asset,
                "tree describes this asset",
                f"tree describes {claimed}, not {bundle.asset}",
                ExitCode.VERIFY_TREE,
            )
    signature = check_signature(commit, BundleProfiles(bundle))
    check.add(
        subject,
        "signature",
        signature.ok,
        signature.detail,
        signature.detail,
        signature.code or ExitCode.VERIFY_SIGNATURE,
    )


class BundleProfiles(Profiles):
    """Profile documents carried in the bundle (export adds the committers'): offline."""

    def __init__(self, bundle: Bundle) -> None:
        super().__init__(None)
        self.bundle = bundle

    def _read(self, nid: Nid) -> Profile:
        data, why = _object_bytes(self.bundle, str(nid))
        if data is None:
            return Profile(nid, (), f"profile {nid} is not in the bundle ({why})")
        return parse_profile(nid, data)


def verify_bundle(
    path: Path,
    artifact: Path | None = None,
    *,
    trusted: set[str] | None = None,
    lookup: BlockHashes | None = None,
    bundle: Bundle | None = None,
) -> ProofReport:
    """Every check of the bundle at `path`; ProofError if it is not a bundle at all."""
    bundle = bundle or load_bundle(path)
    report = ProofReport(str(path), bundle.asset, bundle.network, len(bundle.commits))
    check = Checker(report)
    trusted_set = {h.lower() for h in trusted} if trusted is not None else None
    roots = check_headers(bundle, trusted_set, lookup, check)
    _check_content(bundle, artifact, check)
    for ev in bundle.commits:
        _check_records(bundle, ev, check)
        check_chain(bundle, ev, roots.get(ev.block_hash), check)
    return report
