"""`nit attest --format in-toto` and `nit verify --statement`: an in-toto Statement v1
in a DSSE envelope signed by the wallet, verified where nothing of ours exists."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, TEST_KEY, Nit, ok, one_line_error

from numbers_cli.model.unixfs import nid_of_bytes


@pytest.fixture
def stamped(nit, repo, on_devnet, artifacts) -> dict:
    artifacts(4)
    return json.loads(ok(nit("stamp", "-r", "dist", "--no-ipfs", "--json")).stdout)


@pytest.fixture
def statement(nit, stamped, workdir) -> Path:
    ok(nit("attest", "dist/artifact-1.bin", "dist/artifact-2.bin", "-o", "stamp.intoto.json"))
    return workdir / "stamp.intoto.json"


@pytest.fixture
def clean(tmp_path: Path, on_devnet) -> Nit:
    """Another machine: an empty directory, no repository, its own user config with the
    network added by hand (`nit network add`), as a verifier would set it up."""
    where = tmp_path / "clean-checkout"
    where.mkdir()
    home = tmp_path / "verifier-home"
    env = {"NIT_CONFIG_DIR": str(home / "config"), "NIT_PRIVATE_KEY": ""}

    class CleanNit(Nit):
        def __call__(self, *args, env=None, input=None):  # type: ignore[no-untyped-def]
            return super().__call__(*args, env={**base, **(env or {})}, input=input)

    base = env
    verifier = CleanNit(where)
    ok(
        verifier(
            "network", "add", "devnet", "--rpc", on_devnet.rpc_url,
            "--contract", str(on_devnet.contract), "--chain-id", "31337",
        )
    )  # fmt: skip
    return verifier


def envelope_of(path: Path) -> dict:
    return json.loads(path.read_text())


def payload_of(envelope: dict) -> dict:
    return json.loads(base64.b64decode(envelope["payload"]))


def test_statement_is_in_toto_v1_with_the_stamp_predicate(statement, stamped) -> None:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    envelope = envelope_of(statement)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    body = payload_of(envelope)
    Statement.copy_from_pb(json_format.ParseDict(body, statement_pb2.Statement())).validate()
    assert body["_type"] == "https://in-toto.io/Statement/v1"
    assert body["predicateType"] == "https://numbersprotocol.io/nit/stamp/v1"
    by_name = {a["name"]: a for a in stamped["artifacts"]}
    assert body["subject"] == [
        {"name": name, "digest": {"sha256": by_name[name]["sha256"]}}
        for name in ("dist/artifact-1.bin", "dist/artifact-2.bin")
    ]
    predicate = body["predicate"]
    (batch,) = predicate["batches"]
    registered = stamped["batches"][0]
    assert batch["root"] == registered["root"] and batch["leaves"] == 4
    assert batch["anchor"] == {
        "network": "devnet",
        "chainId": 31337,
        "contract": stamped["contract"],
        "transaction": registered["txHash"],
        "block": registered["block"],
    }
    first = predicate["artifacts"][0]
    assert (first["nid"], first["commit"], first["leafIndex"]) == (
        by_name["dist/artifact-1.bin"]["nid"],
        by_name["dist/artifact-1.bin"]["commit"],
        1,
    )
    assert all(len(node) == 66 for node in first["proof"])


def test_envelope_signature_is_eip191_over_the_pae(statement) -> None:
    """Checked without nit's code: PAE by hand, keccak256 and ecrecover with eth-keys."""
    from eth_keys import keys
    from eth_utils import keccak

    envelope = envelope_of(statement)
    (signature,) = envelope["signatures"]
    assert signature["keyid"] == TEST_ADDRESS
    payload = base64.b64decode(envelope["payload"])
    kind = envelope["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(pae)).encode() + pae)
    raw = base64.b64decode(signature["sig"])
    assert len(raw) == 65 and raw[64] in (27, 28)
    sig = keys.Signature(vrs=(raw[64] - 27, int.from_bytes(raw[:32]), int.from_bytes(raw[32:64])))
    recovered = sig.recover_public_key_from_msg_hash(digest).to_checksum_address()
    assert recovered == TEST_ADDRESS


def test_verify_on_a_clean_checkout(statement, clean, workdir) -> None:
    target = clean.cwd / "artifact-2.bin"
    target.write_bytes((workdir / "dist" / "artifact-2.bin").read_bytes())
    Path(clean.cwd / "stamp.intoto.json").write_bytes(statement.read_bytes())

    result = ok(clean("verify", "--statement", "stamp.intoto.json", "artifact-2.bin"))
    assert f"envelope signed by {TEST_ADDRESS}" in result.stdout
    assert "leaf 3 of 4" in result.stdout and "on chain: devnet tx" in result.stdout
    assert "VERIFIED" in result.stdout
    whole = json.loads(ok(clean("verify", "--statement", "stamp.intoto.json", "--json")).stdout)
    assert whole["ok"] and len(whole["commits"]) == 2
    offline = ok(clean("verify", "--statement", "stamp.intoto.json", "--offline"))
    assert "the chain was not asked: without --offline it is asked" in offline.stdout
    assert "--remote" not in offline.stdout  # `verify --statement` has no --remote to suggest


def test_a_file_that_is_not_a_subject(statement, nit, workdir) -> None:
    result = nit("verify", "--statement", str(statement), "dist/artifact-0.bin")
    assert result.exit_code == 10
    assert "is none of the statement's subjects" in result.stdout


def test_a_changed_subject_digest_breaks_the_signature(statement, nit) -> None:
    envelope = envelope_of(statement)
    body = payload_of(envelope)
    body["subject"][0]["digest"]["sha256"] = "00" * 32
    envelope["payload"] = base64.b64encode(json.dumps(body).encode()).decode()
    statement.write_text(json.dumps(envelope))
    result = nit("verify", "--statement", str(statement))
    assert result.exit_code == 12
    assert "envelope signature: signed by 0x" in result.stdout


def test_a_garbled_signature(statement, nit) -> None:
    envelope = envelope_of(statement)
    raw = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    raw[10] ^= 0xFF
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    statement.write_text(json.dumps(envelope))
    assert nit("verify", "--statement", str(statement)).exit_code == 12


def _resign(envelope: dict, body: dict) -> dict:
    """A statement changed and signed again by the same wallet (a valid envelope)."""
    from securesystemslib.dsse import Envelope

    from numbers_cli.wallet import Signer, parse_private_key
    from numbers_cli.wallet.dsse import WalletDsseSigner

    signed = Envelope(json.dumps(body).encode(), envelope["payloadType"], {})
    signed.sign(WalletDsseSigner(Signer(parse_private_key(TEST_KEY))))
    return signed.to_dict()


def test_a_signed_statement_whose_proof_misses_the_root(statement, nit) -> None:
    envelope = envelope_of(statement)
    body = payload_of(envelope)
    forged = copy.deepcopy(body)
    node = forged["predicate"]["artifacts"][0]["proof"][0]
    forged["predicate"]["artifacts"][0]["proof"][0] = node[:-1] + ("0" if node[-1] != "0" else "1")
    statement.write_text(json.dumps(_resign(envelope, forged)))
    result = nit("verify", "--statement", str(statement))
    assert result.exit_code == 25
    assert "not to batch root" in result.stdout

    # A different root claimed by the statement: the batch's signed tree names another.
    forged = copy.deepcopy(body)
    forged["predicate"]["batches"][0]["root"] = "0x" + "11" * 32
    statement.write_text(json.dumps(_resign(envelope, forged)))
    assert nit("verify", "--statement", str(statement), "--offline").exit_code == 25


def test_an_anchor_on_another_register(statement, nit, clean, on_devnet) -> None:
    envelope = envelope_of(statement)
    body = payload_of(envelope)
    body["predicate"]["batches"][0]["anchor"]["contract"] = "0x" + "12" * 20
    path = clean.cwd / "moved.json"
    path.write_text(json.dumps(_resign(envelope, body)))
    result = clean("verify", "--statement", "moved.json")
    assert result.exit_code == 25
    assert "anchored in register 0x1212" in result.stdout


def test_not_an_envelope(nit, repo, workdir) -> None:
    (workdir / "junk.json").write_text("not json at all")
    result = nit("verify", "--statement", "junk.json")
    assert result.exit_code == 5
    assert "is not JSON" in one_line_error(result)
    (workdir / "other.json").write_text('{"hello": 1}')
    assert "not a DSSE envelope" in one_line_error(nit("verify", "--statement", "other.json"))


def test_attest_an_artifact_that_was_never_stamped(nit, stamped, workdir) -> None:
    (workdir / "new.bin").write_bytes(b"never stamped")
    result = nit("attest", "new.bin")
    assert result.exit_code == 4
    assert "new.bin: no registered stamp" in one_line_error(result)
    assert nid_of_bytes(b"never stamped")
