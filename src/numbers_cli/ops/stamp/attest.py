"""`nit attest --format in-toto` and `nit verify --statement`: stamps as in-toto
Statements (v1) in DSSE envelopes signed by the wallet.

The statement's subjects are the artifacts (name, sha256); its predicate
(type `PREDICATE_TYPE`, docs/formats.md "Stamp attestations") carries, per
artifact, its Nid, commit, leaf index and Merkle proof, and per batch its
root, the batch commit's exact on-chain string, the batch tree and where it
was registered (network, chain id, register, transaction, block). With it, a
verifier who holds the artifact needs nothing of ours: the leaf, the proof,
the root and the batch signature are checked offline, and the registration
with one read of the chain.

The in-toto-attestation bindings validate what we write and read; the
statement is serialized from a plain dict (the protobuf JSON printer turns
every integer into a float); securesystemslib's Envelope does the DSSE part,
with the wallet scheme of `wallet.dsse`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from numbers_cli.chain import Network
from numbers_cli.config import Config
from numbers_cli.errors import ExitCode, InvalidFormat, NotFound, UsageError
from numbers_cli.model import jsjson, json_input, merkle
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.stamp.verify import Anchor, StampEvidence, check_evidence, evidence_of
from numbers_cli.ops.verify import Check, CommitVerdict, Verdict
from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords
from numbers_cli.wallet import Signer

__all__ = ["PAYLOAD_TYPE", "PREDICATE_TYPE", "STATEMENT_TYPE", "attest", "verify_statement"]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://numbersprotocol.io/nit/stamp/v1"


def _validate(statement: dict[str, Any]) -> None:
    """The in-toto-attestation bindings' own checks (type, subjects with digests, predicate)."""
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    try:
        parsed = json_format.ParseDict(statement, statement_pb2.Statement())
        Statement.copy_from_pb(parsed).validate()
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise InvalidFormat(f"not a valid in-toto Statement v1: {exc}") from None


def _artifact_nid(repo: Repository, text: str) -> tuple[Nid, str | None]:
    """(Nid, sha256) of a file argument, or (Nid, None) of a Nid argument."""
    path = Path(text)
    if path.is_file():
        from numbers_cli.ops.ingest import ingest

        got = ingest(path, None)
        return got.nid, got.sha256
    try:
        return Nid.parse(text), None
    except InvalidFormat:
        raise UsageError(f"{text}: no such file, and not a valid Nid") from None


def attest(
    repo: Repository,
    artifacts: Sequence[str],
    signer: Signer,
    *,
    network: Network | None = None,
) -> dict[str, Any]:
    """A DSSE envelope (as JSON) of one statement about `artifacts` (files or Nids).

    Each artifact must be stamped in a batch registered on `network` (default:
    the most recent registered stamp of it on any network).
    """
    from securesystemslib.dsse import Envelope

    from numbers_cli.wallet.dsse import WalletDsseSigner

    if not artifacts:
        raise UsageError("name the artifacts to attest")
    records = StampRecords(repo.db)
    subjects: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    batches: dict[str, dict[str, Any]] = {}
    for text in dict.fromkeys(artifacts):
        nid, sha = _artifact_nid(repo, text)
        chosen = None
        for record, entry in records.of_asset(nid):
            if network is not None and record.network != network.name:
                continue
            evidence, proof = evidence_of(repo, record, entry)
            if evidence.anchor is not None and (
                chosen is None or evidence.anchor.block >= chosen[0].anchor.block
            ):
                chosen = (evidence, proof, record)
        if chosen is None:
            where = f" on {network.name}" if network else ""
            if any(not record.network for record, _ in records.of_asset(nid)):
                raise NotFound(
                    f"{text}: stamped, but its batch's network is unknown until settled "
                    "(its record was re-made by `nit fsck --repair`)",
                    hint="`nit push`, `nit fetch BATCH` or `nit stamp` on its network settles it",
                )
            raise NotFound(
                f"{text}: no registered stamp{where}",
                hint="stamp it with `nit stamp` (run it again if it was interrupted)",
            )
        evidence, proof, record = chosen
        if sha is not None and sha != evidence.sha256:  # pragma: no cover - same Nid, same bytes
            raise InvalidFormat(f"{text}: sha256 differs from its stamped record")
        subjects.append({"name": proof.artifact.name, "digest": {"sha256": evidence.sha256}})
        entries.append(
            {
                "name": proof.artifact.name,
                "sha256": evidence.sha256,
                "nid": evidence.nid,
                "commit": evidence.commit,
                "batch": evidence.batch,
                "leafIndex": evidence.leaf_index,
                "proof": [merkle.to_hex(node) for node in evidence.proof],
            }
        )
        if evidence.batch not in batches:
            batches[evidence.batch] = _batch_json(evidence, network or _network_of(repo, record))
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "merkleTree": merkle.FORMAT,
            "leafEncoding": list(merkle.LEAF_ENCODING),
            "artifacts": entries,
            "batches": list(batches.values()),
        },
    }
    _validate(statement)
    payload = json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    envelope = Envelope(payload, PAYLOAD_TYPE, {})
    envelope.sign(WalletDsseSigner(signer))
    return envelope.to_dict()  # type: ignore[no-any-return]


def _network_of(repo: Repository, record: Any) -> Network:
    return resolve_network(Config.load(repo.workdir), record.network)


def _batch_json(evidence: StampEvidence, network: Network) -> dict[str, Any]:
    anchor = evidence.anchor
    assert anchor is not None
    return {
        "batch": evidence.batch,
        "root": merkle.to_hex(evidence.root),
        "leaves": evidence.leaves,
        "commitData": evidence.batch_commit_data,
        "tree": jsjson.parse(evidence.batch_tree),
        "anchor": {
            "network": network.name,
            "chainId": network.chain_id,
            "contract": network.contract,
            "transaction": anchor.tx_hash,
            "block": anchor.block,
        },
    }


# -- verifying ----------------------------------------------------------------


def _envelope(path: Path) -> Any:
    from securesystemslib.dsse import Envelope

    try:
        data = json_input.loads(path.read_bytes())
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except ValueError:
        raise InvalidFormat(f"{path} is not JSON (a DSSE envelope)") from None
    try:
        return Envelope.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidFormat(f"{path} is not a DSSE envelope ({exc})") from None


def _signature_checks(envelope: Any) -> tuple[list[Check], str | None]:
    from securesystemslib.exceptions import UnverifiedSignatureError

    from numbers_cli.wallet.dsse import EthereumKey

    if not envelope.signatures:
        return [
            Check("signature", False, "the envelope is unsigned", ExitCode.VERIFY_SIGNATURE)
        ], None
    checks, signer = [], None
    pae = envelope.pae()
    for keyid, signature in envelope.signatures.items():
        try:
            EthereumKey(keyid).verify_signature(signature, pae)
        except (UnverifiedSignatureError, ValueError) as exc:
            checks.append(
                Check("signature", False, f"envelope signature: {exc}", ExitCode.VERIFY_SIGNATURE)
            )
            continue
        signer = signer or keyid
        checks.append(Check("signature", True, f"envelope signed by {keyid} (EIP-191 over PAE)"))
    return checks, signer


def _evidence(entry: Any, batch: Any) -> StampEvidence:
    try:
        anchor = batch["anchor"]
        return StampEvidence(
            sha256=str(entry["sha256"]).lower(),
            nid=Nid(str(entry["nid"])),
            commit=Nid(str(entry["commit"])),
            batch=Nid(str(entry["batch"])),
            root=merkle.from_hex(batch["root"], "batch root"),
            leaf_index=int(entry["leafIndex"]),
            leaves=int(batch["leaves"]),
            proof=tuple(merkle.from_hex(node, "proof node") for node in entry["proof"]),
            batch_commit_data=str(batch["commitData"]),
            batch_tree=AssetTree(tuple(dict(batch["tree"]).items())).to_bytes(),
            anchor=Anchor(
                str(anchor["network"]),
                str(anchor["transaction"]),
                int(anchor["block"]),
                int(anchor["chainId"]),
                anchor.get("contract"),
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidFormat(f"the statement's predicate is malformed ({exc})") from None


def verify_statement(
    path: Path,
    artifact: Path | None,
    *,
    config: Config,
    offline: bool = False,
    network: str | None = None,
) -> Verdict:
    """Envelope signature, statement, subjects (and `artifact`'s digest), each subject's
    leaf, proof, batch and on-chain anchor (the local-free part of `nit verify`).

    The anchor is read from the chain the statement names (or `network`, which
    must be that chain), unless `offline`: then the statement's claim stands."""
    from numbers_cli.ops.ingest import ingest

    envelope = _envelope(path)
    verdict = Verdict(str(path), None)
    checks, signer = _signature_checks(envelope)
    verdict.content += checks
    if not all(check.ok for check in checks):
        return verdict  # a payload nobody vouches for: nothing in it is worth checking
    if envelope.payload_type != PAYLOAD_TYPE:
        raise InvalidFormat(f"{path}: payload type {envelope.payload_type!r} is not in-toto")
    try:
        statement = json_input.loads(envelope.payload)
    except ValueError:
        raise InvalidFormat(f"{path}: the payload is not JSON") from None
    _validate(statement)
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise InvalidFormat(f"{path}: predicate type is not {PREDICATE_TYPE}")
    predicate = statement.get("predicate") or {}
    batches = {
        str(b.get("batch")): b for b in predicate.get("batches") or [] if isinstance(b, dict)
    }
    by_sha: dict[str, Any] = {}
    for entry in predicate.get("artifacts") or []:
        if isinstance(entry, dict):
            by_sha.setdefault(str(entry.get("sha256", "")).lower(), entry)

    subjects = [str(s["digest"].get("sha256", "")).lower() for s in statement["subject"]]
    if artifact is not None:
        got = ingest(artifact, None)
        match = got.sha256 in subjects
        verdict.asset = got.nid
        verdict.content.append(
            Check(
                "subject",
                match,
                f"{artifact} is a subject of the statement (sha256 {got.sha256[:12]}…)"
                if match
                else f"{artifact} (sha256 {got.sha256[:12]}…) is none of the statement's subjects",
                ExitCode.VERIFY_CONTENT,
            )
        )
        subjects = [got.sha256] if match else []
        entry = by_sha.get(got.sha256)
        if match and entry is not None and entry.get("nid") != got.nid:
            verdict.content.append(
                Check(
                    "subject",
                    False,
                    "the file's Nid is not the statement's",
                    ExitCode.VERIFY_CONTENT,
                )
            )

    networks: dict[str, Network | None] = {}
    for index, sha in enumerate(subjects):
        entry = by_sha.get(sha)
        if entry is None:
            verdict.content.append(
                Check(
                    "subject",
                    False,
                    f"subject sha256 {sha[:12]}… has no stamp in the predicate",
                    ExitCode.VERIFY_CONTENT,
                )
            )
            continue
        batch = batches.get(str(entry.get("batch")))
        if batch is None:
            raise InvalidFormat(f"{path}: the predicate lacks batch {entry.get('batch')}")
        evidence = _evidence(entry, batch)
        result = CommitVerdict(index, evidence.commit, signer)
        result.checks.append(Check("subject", True, f"{entry.get('name')} sha256 {sha[:12]}…"))
        network = None
        if not offline:
            name = network or (evidence.anchor.network if evidence.anchor else "")
            if name not in networks:
                networks[name] = resolve_network(config, name)
            network = networks[name]
        # `nit verify --statement` asks the chain unless --offline (it has no --remote).
        result.checks += check_evidence(evidence, network, "without --offline it is asked")
        verdict.commits.append(result)
    return verdict
