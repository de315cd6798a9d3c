"""`nit proof export` / `nit proof verify` against a real anvil: bundles that verify
offline, every tampered part caught with a one-line reason, bad input refused."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.conftest import Nit, ok, one_line_error
from tests.support.chain_history import commit_nid, made_commit

from numbers_cli.chain import Network
from numbers_cli.chain.register import encode_call
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository

FOREIGN_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def _bundle(repo: Path, name: str = "proof.json") -> dict[str, Any]:
    return json.loads((repo / name).read_text())


def _write(repo: Path, value: dict[str, Any], name: str = "tampered.json") -> str:
    (repo / name).write_text(json.dumps(value))
    return name


def _trust(bundle: dict[str, Any]) -> list[str]:
    return [a for h in sorted(bundle["headers"]) for a in ("--trusted-block", h)]


def _failed(result_stdout: str) -> list[dict[str, Any]]:
    return [c for c in json.loads(result_stdout)["checks"] if not c["ok"]]


@pytest.fixture
def exported(nit: Nit, repo: Path, asset: str, registered: Any) -> dict[str, Any]:
    ok(nit("proof", "export", asset, "-o", "proof.json"))
    return _bundle(repo)


def test_bundle_verifies_offline_with_trusted_blocks(
    nit: Nit, repo: Path, asset: str, exported: dict[str, Any]
) -> None:
    assert exported["format"] == "nit-proof-bundle" and exported["version"] == 1
    assert [c["index"] for c in exported["commits"]] == [0, 1, 2]
    assert exported["content"]["nid"] == asset and exported["content"]["blocks"]
    result = nit("proof", "verify", "proof.json", "Canon_40D.jpg", *_trust(exported), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["asset"] == asset
    names = {(c["subject"], c["check"]) for c in report["checks"]}
    for i in range(3):
        for check in ("commit", "tree", "signature", "txProof", "receiptProof", "event"):
            assert (f"commit #{i}", check) in names
    assert ("artifact", "nid") in names


def test_bundle_verifies_against_the_network(nit: Nit, exported: dict[str, Any]) -> None:
    result = ok(nit("proof", "verify", "proof.json", "--network", "devnet"))
    assert "VERIFIED" in result.stdout


def test_without_a_trust_anchor_nothing_is_verified(nit: Nit, exported: dict[str, Any]) -> None:
    result = nit("proof", "verify", "proof.json")
    assert result.exit_code == 18
    assert "block hash not checked" in result.stdout


def test_no_content_bundle_keeps_only_nid_and_sha256(
    nit: Nit, repo: Path, asset: str, registered: Any
) -> None:
    ok(nit("proof", "export", "Canon_40D.jpg", "--no-content", "-o", "proof.json"))
    bundle = _bundle(repo)
    assert "blocks" not in bundle["content"] and bundle["content"]["nid"] == asset
    ok(nit("proof", "verify", "proof.json", "Canon_40D.jpg", *_trust(bundle)))
    other = repo / "other.jpg"
    other.write_bytes(b"not the photo")
    result = nit("proof", "verify", "proof.json", "other.jpg", *_trust(bundle))
    assert result.exit_code == 10 and "other.jpg hashes to" in result.stdout


def test_a_commit_target_proves_that_commit(
    nit: Nit, repo: Path, asset: str, registered: Any
) -> None:
    history = json.loads(nit("log", asset, "--json").stdout)
    second = history[1]["commitCid"]  # newest first: the middle commit
    ok(nit("proof", "export", second, "-o", "proof.json"))
    bundle = _bundle(repo)
    assert [c["commit"] for c in bundle["commits"]] == [second]
    ok(nit("proof", "verify", "proof.json", *_trust(bundle)))


# --- tampering: every part of a bundle ------------------------------------------------


def _flip_hex(text: str, at: int = -3) -> str:
    at = at % len(text)
    return text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :]


def _flip_b64(text: str, at: int) -> str:
    data = bytearray(base64.b64decode(text))
    data[at] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


def _tamper_file(bundle: dict[str, Any]) -> None:
    blocks = bundle["content"]["blocks"]
    cid = next(iter(blocks))
    blocks[cid] = _flip_b64(blocks[cid], 100)


def _tamper_tree(bundle: dict[str, Any]) -> None:
    cid = bundle["commits"][0]["tree"]
    bundle["objects"][cid] = _flip_b64(bundle["objects"][cid], 20)


def _tamper_commit(bundle: dict[str, Any]) -> None:
    cid = bundle["commits"][0]["commit"]
    bundle["objects"][cid] = _flip_b64(bundle["objects"][cid], 30)


def _tamper_signature(bundle: dict[str, Any]) -> None:
    """A new signature, and the commit re-keyed under its new CID (a careful forger)."""
    ev = bundle["commits"][0]
    data = json.loads(base64.b64decode(bundle["objects"].pop(ev["commit"])))
    sig = data["assetTreeSignature"]
    data["assetTreeSignature"] = sig[:10] + ("a" if sig[10] != "a" else "b") + sig[11:]
    raw = json.dumps(data, separators=(",", ":")).encode()
    ev["commit"] = str(Nid.of_bytes(raw))
    bundle["objects"][ev["commit"]] = base64.b64encode(raw).decode()


def _tamper_tx(bundle: dict[str, Any]) -> None:
    bundle["commits"][0]["tx"] = _flip_hex(bundle["commits"][0]["tx"], -70)


def _tamper_receipt_log(bundle: dict[str, Any]) -> None:
    bundle["commits"][0]["receipt"] = _flip_hex(bundle["commits"][0]["receipt"], -5)


def _tamper_header(bundle: dict[str, Any]) -> None:
    block_hash = bundle["commits"][0]["blockHash"]
    bundle["headers"][block_hash] = _flip_hex(bundle["headers"][block_hash], -80)


def _tamper_proof_node(bundle: dict[str, Any]) -> None:
    node = bundle["commits"][0]["receiptProof"][0]
    bundle["commits"][0]["receiptProof"][0] = _flip_hex(node, 40)


def _tamper_block_hash(bundle: dict[str, Any]) -> None:
    ev = bundle["commits"][0]
    header = bundle["headers"].pop(ev["blockHash"])
    ev["blockHash"] = _flip_hex(ev["blockHash"])
    bundle["headers"][ev["blockHash"]] = header


TAMPERING = [
    ("file byte", _tamper_file, 10, ("content", "blocks")),
    ("tree byte", _tamper_tree, 11, ("commit #0", "tree")),
    ("commit byte", _tamper_commit, 12, ("commit #0", "commit")),
    # another signature recovers another address: signer is not the committer
    ("signature", _tamper_signature, 13, ("commit #0", "signature")),
    ("transaction", _tamper_tx, 18, ("commit #0", "txProof")),
    ("receipt log", _tamper_receipt_log, 18, ("commit #0", "receiptProof")),
    ("header field", _tamper_header, 18, ("block ", "header")),
    ("proof node", _tamper_proof_node, 18, ("commit #0", "receiptProof")),
    ("block hash", _tamper_block_hash, 18, ("commit #0", "header")),
]


@pytest.mark.parametrize(
    ("part", "tamper", "code", "caught"), TAMPERING, ids=[t[0] for t in TAMPERING]
)
def test_every_tampered_part_is_caught(
    nit: Nit,
    repo: Path,
    exported: dict[str, Any],
    part: str,
    tamper: Any,
    code: int,
    caught: tuple[str, str],
) -> None:
    trust = _trust(exported)  # the hashes of the genuine blocks
    tamper(exported)
    name = _write(repo, exported)
    result = nit("proof", "verify", name, *trust, "--json")
    assert result.exit_code == code, result.output
    failed = _failed(result.stdout)
    assert any(c["subject"].startswith(caught[0]) and c["check"] == caught[1] for c in failed), (
        failed
    )
    for check in failed:
        assert check["detail"] and "\n" not in check["detail"]
    lines = nit("proof", "verify", name, *trust).stdout.splitlines()
    assert any(line.startswith(f"✗ {caught[0]}") and f" {caught[1]}: " in line for line in lines), (
        lines
    )


def test_artifact_byte_is_caught(nit: Nit, repo: Path, exported: dict[str, Any]) -> None:
    photo = repo / "Canon_40D.jpg"
    data = bytearray(photo.read_bytes())
    data[5000] ^= 0xFF
    (repo / "changed.jpg").write_bytes(bytes(data))
    result = nit("proof", "verify", "proof.json", "changed.jpg", *_trust(exported))
    assert result.exit_code == 10
    assert "✗ artifact nid: changed.jpg hashes to" in result.stdout


def test_an_untrusted_block_hash_is_refused(nit: Nit, exported: dict[str, Any]) -> None:
    wrong = "0x" + "ab" * 32
    result = nit("proof", "verify", "proof.json", "--trusted-block", wrong)
    assert result.exit_code == 18
    assert "is not among the trusted block hashes" in result.stdout


# --- bad input -----------------------------------------------------------------------


def test_bad_bundles_get_one_line_errors(nit: Nit, repo: Path, exported: dict[str, Any]) -> None:
    (repo / "photo.txt").write_bytes(b"\xff\xd8 not json")
    assert "is not a proof bundle" in one_line_error(nit("proof", "verify", "photo.txt"))
    text = (repo / "proof.json").read_text()
    (repo / "cut.json").write_text(text[: len(text) // 2])
    result = nit("proof", "verify", "cut.json")
    assert result.exit_code == 18 and "truncated" in one_line_error(result)
    future = dict(exported, version=99)
    _write(repo, future, "future.json")
    result = nit("proof", "verify", "future.json")
    assert result.exit_code == 18 and "version 99" in one_line_error(result)
    assert "no such bundle" in one_line_error(nit("proof", "verify", "absent.json"))
    result = nit("proof", "verify", "proof.json", "--trusted-block", "0x1234")
    assert result.exit_code == 2 and "not a 32-byte" in one_line_error(result)
    result = nit(
        "proof", "verify", "proof.json", "--trusted-block", "0x" + "00" * 32, "--network", "devnet"
    )
    assert result.exit_code == 2


def test_export_of_an_asset_not_on_chain_says_so(
    nit: Nit, repo: Path, asset: str, on_chain: Network
) -> None:
    result = nit("proof", "export", asset, "-o", "proof.json")
    assert result.exit_code == 4 and "nothing to prove" in one_line_error(result)
    assert not (repo / "proof.json").exists()


# --- a commit registered by another client ------------------------------------------


def _send_by_anvil(rpc_url: str, sender: str, to: str, data: bytes, kind: str) -> str:
    """`commit(nid, commitData)` sent by anvil's own signer (not nit), as tx type `kind`."""
    tx: dict[str, Any] = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": "0x100000"}
    if kind == "legacy":
        tx["gasPrice"] = "0x77359400"
    elif kind == "access-list":
        tx["gasPrice"] = "0x77359400"
        tx["accessList"] = [{"address": to, "storageKeys": []}]
    reply = requests.post(
        rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]},
        timeout=10,
    ).json()
    assert "result" in reply, reply
    tx_hash = str(reply["result"])
    # anvil answers eth_sendTransaction before its automine has sealed the block: on a
    # loaded machine the export below could read the chain before the commit is in it.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        receipt = requests.post(
            rpc_url,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "eth_getTransactionReceipt",
                "params": [tx_hash],
            },
            timeout=10,
        ).json()["result"]
        if receipt is not None:
            assert receipt["status"] == "0x1", receipt
            return tx_hash
        time.sleep(0.02)
    raise AssertionError(f"anvil did not mine {tx_hash} within 30 s")


@pytest.mark.parametrize("kind", ["legacy", "access-list", "dynamic-fee"])
def test_commit_registered_by_another_client_verifies(
    nit: Nit, repo: Path, on_chain: Network, anvil: Any, kind: str
) -> None:
    asset = str(Nid.of_bytes(b"a photo nobody pushed with nit"))
    commit_data, tree = made_commit(asset, FOREIGN_KEY, note="registered elsewhere")
    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(Nid.of_bytes(tree), tree)  # the tree, as a fetch would keep it
    sender = requests.post(
        anvil.rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": []},
        timeout=10,
    ).json()["result"][3]
    tx_hash = _send_by_anvil(
        anvil.rpc_url,
        sender,
        str(on_chain.contract),
        encode_call("commit", asset, commit_data),
        kind,
    )
    ok(nit("proof", "export", asset, "--no-content", "-o", "proof.json"))
    bundle = _bundle(repo)
    (ev,) = bundle["commits"]
    assert ev["txHash"] == tx_hash.lower() and ev["commit"] == commit_nid(commit_data)
    expected_type = {"legacy": None, "access-list": 0x01, "dynamic-fee": 0x02}[kind]
    first = bytes.fromhex(ev["tx"][2:4])[0]
    assert (first >= 0xC0) if expected_type is None else first == expected_type
    result = ok(nit("proof", "verify", "proof.json", "--network", "devnet", "--json"))
    assert json.loads(result.stdout)["ok"]


def test_reference_style_commit_with_a_profile_committer_verifies_offline(
    nit: Nit, repo: Path, on_chain: Network, anvil: Any
) -> None:
    """As the reference tool writes them: author and committer are a profile's Nid. The
    bundle carries the profile, so the signer is tied to the committer with no network."""
    from tests.support.chain_history import signer

    by = signer(FOREIGN_KEY)
    profile = json.dumps({"name": "A newsroom", "wallet": by.address}).encode()
    profile_nid = str(Nid.of_bytes(profile))
    asset = str(Nid.of_bytes(b"a photo registered the reference tool's way"))
    commit_data, tree = made_commit(asset, FOREIGN_KEY, committer=profile_nid)
    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(Nid.of_bytes(tree), tree)
        store.objects.put_block(Nid(profile_nid), profile)
    sender = requests.post(
        anvil.rpc_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": []},
        timeout=10,
    ).json()["result"][4]
    _send_by_anvil(
        anvil.rpc_url,
        sender,
        str(on_chain.contract),
        encode_call("commit", asset, commit_data),
        "legacy",
    )
    ok(nit("proof", "export", asset, "--no-content", "-o", "proof.json"))
    bundle = _bundle(repo)
    assert profile_nid in bundle["objects"]
    result = ok(nit("proof", "verify", "proof.json", *_trust(bundle), "--json"))
    signature = next(c for c in json.loads(result.stdout)["checks"] if c["check"] == "signature")
    assert "a wallet of the committer's profile" in signature["detail"]
    del bundle["objects"][profile_nid]  # without the profile nothing ties the signer
    result = nit("proof", "verify", _write(repo, bundle), *_trust(bundle))
    assert result.exit_code == 15, result.output
