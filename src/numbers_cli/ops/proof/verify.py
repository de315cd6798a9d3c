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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.chain.proofs import HeaderRoots, decode_header, keccak, read_proof
from numbers_cli.errors import ExitCode, InvalidFormat
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import decode_file_node
from numbers_cli.ops.profiles import Profile, Profiles, parse_profile
from numbers_cli.ops.proof.bundle import Bundle, ChainEvidence, load_bundle
from numbers_cli.ops.signatures import check_signature, worst

__all__ = ["ProofCheck", "ProofReport", "verify_bundle"]


#: Looks up the canonical hashes of block numbers (from a node), hash as 0x-hex lower.
BlockHashes = Callable[[list[int]], Mapping[int, str]]


@dataclass(frozen=True)
class ProofCheck:
    subject: str  # "content", "commit #3", "block 42"
    name: str
    ok: bool
    detail: str
    code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "check": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "exitCode": 0 if self.ok else int(self.code),
        }


@dataclass
class ProofReport:
    bundle: str
    asset: str
    network: dict[str, Any]
    commits: int
    checks: list[ProofCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[ProofCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def exit_code(self) -> ExitCode:
        codes = [c.code for c in self.failed]
        found = worst(codes)  # `nit verify`'s order for the record links
        return found if found != ExitCode.OK or not codes else ExitCode.PROOF

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "asset": self.asset,
            "network": self.network,
            "commits": self.commits,
            "ok": self.ok,
            "exitCode": int(self.exit_code),
            "checks": [c.to_json() for c in self.checks],
        }


class _Checker:
    def __init__(self, report: ProofReport) -> None:
        self.report = report

    def add(self, subject: str, name: str, ok: bool, good: str, bad: str, code: ExitCode) -> bool:
        self.report.checks.append(ProofCheck(subject, name, ok, good if ok else bad, code))
        return ok


# --- content ------------------------------------------------------------------------


def _content_digest(blocks: Mapping[str, bytes], root: str) -> tuple[str | None, str]:
    """(sha256 of the file the blocks make, or None, and why not)."""
    digest = hashlib.sha256()

    def walk(cid_text: str) -> str | None:
        data = blocks.get(cid_text)
        if data is None:
            return f"block {cid_text} is missing from the bundle"
        cid = Nid(cid_text)
        if not cid.verify_block(data):
            return f"block {cid_text} does not hash to its CID"
        if cid.is_raw:
            digest.update(data)
            return None
        try:
            node = decode_file_node(data)
        except InvalidFormat as exc:
            return f"block {cid_text}: {exc.message}"
        digest.update(node.data)
        for link in node.links:
            problem = walk(Nid.from_bytes(link.cid))
            if problem:
                return problem
        return None

    try:
        problem = walk(root)
    except InvalidFormat as exc:
        problem = exc.message
    return (None, problem) if problem else (digest.hexdigest(), "")


def _check_content(bundle: Bundle, artifact: Path | None, check: _Checker) -> None:
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
    digest_blocks: list[bytes] = []

    def walk(text: str) -> str | None:
        data = bundle.objects.get(text)
        if data is None:
            return f"object {text} is missing from the bundle"
        cid = Nid(text)
        if not cid.verify_block(data):
            return f"object {text} does not hash to its CID"
        if cid.is_raw:
            digest_blocks.append(data)
            return None
        node = decode_file_node(data)
        digest_blocks.append(node.data)
        for link in node.links:
            problem = walk(Nid.from_bytes(link.cid))
            if problem:
                return problem
        return None

    try:
        problem = walk(cid_text)
    except InvalidFormat as exc:
        problem = exc.message
    return (None, problem) if problem else (b"".join(digest_blocks), "")


def _check_records(bundle: Bundle, ev: ChainEvidence, check: _Checker) -> None:
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


# --- chain evidence -------------------------------------------------------------------


def _commit_event(receipt: bytes, register: str, asset: str) -> tuple[bool, bool, list[bytes]]:
    """(succeeded, decodable, commitData of every register Commit event for `asset`)."""
    import rlp

    from numbers_cli.chain import abi_codec
    from numbers_cli.chain.register import commit_topic, nid_topic

    body = receipt[1:] if receipt[:1] and receipt[0] < 0x80 else receipt  # EIP-2718 type byte
    items = rlp.decode(body)
    if not isinstance(items, list) or len(items) != 4:
        raise InvalidFormat("receipt is not [status, gas, bloom, logs]")
    status, _gas, _bloom, logs = items
    topic0 = bytes.fromhex(commit_topic()[2:])
    topic2 = bytes.fromhex(nid_topic(asset)[2:])
    address = bytes.fromhex(register.lower().removeprefix("0x"))
    found: list[bytes] = []
    for log in logs:
        log_address, topics, data = log
        if (
            log_address == address
            and len(topics) == 3
            and topics[0] == topic0
            and topics[2] == topic2
        ):
            (raw,) = abi_codec.decode(["bytes"], data)
            found.append(bytes(raw))
    return status == b"\x01", True, found


def _check_chain(
    bundle: Bundle, ev: ChainEvidence, roots: HeaderRoots | None, check: _Checker
) -> None:
    subject = f"commit #{ev.index}"
    code = ExitCode.PROOF
    if roots is None:
        check.add(subject, "header", False, "", f"no valid header for block {ev.block_hash}", code)
        return
    check.add(
        subject,
        "block",
        roots.number == ev.block,
        f"in block {ev.block}",
        f"the header is block {roots.number}, the commit claims {ev.block}",
        code,
    )
    check.add(
        subject,
        "txHash",
        "0x" + keccak(ev.tx).hex() == ev.tx_hash,
        "transaction hashes to its hash",
        "transaction bytes do not hash to its hash",
        code,
    )
    try:
        proven = read_proof(roots.transactions_root, ev.tx_index, ev.tx_proof)
        check.add(
            subject,
            "txProof",
            proven == ev.tx,
            f"transaction {ev.tx_index} proven under transactionsRoot",
            "the proven transaction is not this one",
            code,
        )
    except InvalidFormat as exc:
        check.add(subject, "txProof", False, "", f"transaction proof: {exc.message}", code)
    try:
        proven = read_proof(roots.receipts_root, ev.tx_index, ev.receipt_proof)
        ok = check.add(
            subject,
            "receiptProof",
            proven == ev.receipt,
            "receipt proven under receiptsRoot",
            "the proven receipt is not this one",
            code,
        )
    except InvalidFormat as exc:
        ok = check.add(subject, "receiptProof", False, "", f"receipt proof: {exc.message}", code)
    if not ok:
        return
    try:
        succeeded, _, events = _commit_event(ev.receipt, bundle.register, bundle.asset)
    except Exception as exc:  # rlp/abi raise assorted types on damaged bytes
        check.add(subject, "event", False, "", f"receipt is not decodable: {exc}", code)
        return
    check.add(
        subject, "status", succeeded, "transaction succeeded", "transaction failed (reverted)", code
    )
    data = bundle.objects.get(ev.commit)
    check.add(
        subject,
        "event",
        data is not None and data in events,
        f"register {bundle.register} logged this commit for {bundle.asset}",
        f"the receipt holds no Commit event of {bundle.register} for {bundle.asset} "
        "with this commit's bytes",
        code,
    )


def _check_headers(
    bundle: Bundle, trusted: set[str] | None, lookup: BlockHashes | None, check: _Checker
) -> dict[str, HeaderRoots]:
    valid: dict[str, HeaderRoots] = {}
    code = ExitCode.PROOF
    for block_hash, header in bundle.headers.items():
        try:
            roots = decode_header(header)
        except InvalidFormat as exc:
            check.add(f"block {block_hash[:12]}…", "header", False, "", exc.message, code)
            continue
        if check.add(
            f"block {roots.number}",
            "header",
            "0x" + keccak(header).hex() == block_hash,
            "header hashes to its block hash",
            f"header does not hash to {block_hash}",
            code,
        ):
            valid[block_hash] = roots
    canonical: Mapping[int, str] = {}
    if lookup is not None:
        canonical = lookup(sorted({roots.number for roots in valid.values()}))
    for block_hash, roots in valid.items():
        subject = f"block {roots.number}"
        if trusted is not None:
            check.add(
                subject,
                "trusted",
                block_hash in trusted,
                f"hash {block_hash} is trusted (--trusted-block)",
                f"hash {block_hash} is not among the trusted block hashes",
                code,
            )
        elif lookup is not None:
            check.add(
                subject,
                "trusted",
                canonical.get(roots.number) == block_hash,
                f"hash {block_hash} is the network's block {roots.number}",
                f"the network's block {roots.number} is "
                f"{canonical.get(roots.number)}, not {block_hash}",
                code,
            )
        else:
            check.add(
                subject,
                "trusted",
                False,
                "",
                "block hash not checked (give --trusted-block HASH or --network NAME)",
                code,
            )
    return valid


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
    check = _Checker(report)
    trusted_set = {h.lower() for h in trusted} if trusted is not None else None
    roots = _check_headers(bundle, trusted_set, lookup, check)
    _check_content(bundle, artifact, check)
    for ev in bundle.commits:
        _check_records(bundle, ev, check)
        _check_chain(bundle, ev, roots.get(ev.block_hash), check)
    return report
