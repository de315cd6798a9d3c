"""`nit verify` catches each kind of tampering, and says which link broke.

Each test commits a photo, tampers with one thing the way an attacker (or a
bad disk) would, and checks the exit code a script would branch on:
10 content, 11 tree, 12 signature, 13 signer ≠ committer, 5 stored object altered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.store_damage import (
    delete_object,
    flip_object_byte,
    get_ref,
    read_object,
    set_ref,
    write_object,
)

from numbers_cli.model.commit import Commit
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer, parse_private_key

PHOTO = "Canon_40D.jpg"
# secp256k1 group order: r or s of 0 or >= n is not a signature at all.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
OTHER_KEY = "0x" + "11" * 32


@pytest.fixture
def committed(nit, repo, media, signing_key) -> Path:
    """A repository with PHOTO added and committed; returns the photo's path."""
    (photo,) = media(PHOTO)
    assert nit("add", PHOTO, "--license", "cc-by-4.0").exit_code == 0
    done = nit("commit", "-m", "original")
    assert done.exit_code == 0, done.output
    assert nit("verify", PHOTO).exit_code == 0
    return photo


def shown(nit, target: str) -> dict:
    result = nit("show", target, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def flip_byte(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def forge(workdir: Path, asset: str, **changes: str) -> str:
    """Store a well-formed commit like the asset's head but with `changes`, make it the head."""
    repo = Repository(workdir)
    head_nid = repo.refs.head(asset)
    head = Commit.from_json(repo.objects.get(head_nid))
    values = {**head.as_dict(), **changes}
    forged = Commit.new(values)  # validates: the forgery is well-formed
    forged_nid = repo.objects.put(forged.to_bytes())
    assert forged_nid != head_nid
    ref = f"refs/heads/{asset}"
    set_ref(workdir, ref, (get_ref(workdir, ref) or "") + f"{forged_nid}\n")
    return str(forged_nid)


def sign(key: str, text: str) -> str:
    return Signer(parse_private_key(key)).sign_text(text)


def failed_checks(verdict: dict) -> list[str]:
    checks = verdict["content"] + [c for v in verdict["commits"] for c in v["checks"]]
    return [c["check"] for c in checks if not c["ok"]]


# --- (a) content ---------------------------------------------------------------


def test_edited_photo_fails_content_check(nit, committed):
    flip_byte(committed, committed.stat().st_size // 2)
    result = nit("verify", PHOTO)
    assert result.exit_code == 10, result.output
    assert "FAILED" in result.stdout
    assert "no longer matches" in result.stdout


def test_truncated_photo_fails_content_check(nit, committed):
    data = committed.read_bytes()
    committed.write_bytes(data[:-1])
    assert nit("verify", PHOTO).exit_code == 10


def test_altered_stored_block_fails_content_check_by_nid(nit, workdir, committed):
    """The repository's own copy of the photo rotted: verifying the asset by Nid says so."""
    asset = shown(nit, PHOTO)["asset"]
    flip_object_byte(workdir, asset, 100)
    result = nit("verify", asset, "--json")
    assert result.exit_code == 10, result.output
    assert json.loads(result.stdout)["exitCode"] == 10


# --- (b) tree ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda data: data.replace(b"image/jpeg", b"image/png!"), id="edited-field"),
        pytest.param(
            lambda data: (
                data[: len(data) // 2]
                + bytes([data[len(data) // 2] ^ 1])
                + data[len(data) // 2 + 1 :]
            ),
            id="bit-flip",
        ),
        pytest.param(lambda data: data + b" ", id="trailing-space"),
    ],
)
def test_altered_tree_object_fails_tree_check(nit, workdir, committed, tamper):
    info = shown(nit, PHOTO)
    tree_cid = info["commit"]["assetTreeCid"]
    original = read_object(workdir, tree_cid)
    altered = tamper(original)
    assert altered != original
    write_object(workdir, tree_cid, altered)

    result = nit("verify", PHOTO)
    assert result.exit_code == 11, result.output
    assert "tree" in result.stdout and "FAILED" in result.stdout
    # The same answer when verifying the asset by its Nid.
    assert nit("verify", info["asset"]).exit_code == 11
    # Reading commands refuse to show the altered tree rather than show it as fact.
    assert nit("show", PHOTO).exit_code == 5


def test_commit_naming_another_tree_fails_tree_check(nit, workdir, committed, private_key):
    """A forged commit pointing at a different tree (even properly signed) is caught."""
    asset = shown(nit, PHOTO)["asset"]
    other_tree = b'{"assetCid":"' + asset.encode() + b'","assetSha256":"00"}'
    repo = Repository(workdir)
    tree_cid = repo.objects.put(other_tree)
    # Signed by the right key, over the *original* tree's sha: CID and sha disagree.
    forge(workdir, asset, assetTreeCid=str(tree_cid))
    assert nit("verify", PHOTO).exit_code == 11


# --- (c) signature and signer ---------------------------------------------------------


def _bad_signatures(sig: str) -> dict[str, str]:
    r, s, v = sig[2:66], sig[66:130], sig[130:]
    return {
        "v-out-of-range": f"0x{r}{s}1d",
        "r-zero": f"0x{'0' * 64}{s}{v}",
        "s-zero": f"0x{r}{'0' * 64}{v}",
        "s-is-group-order": f"0x{r}{SECP256K1_N:064x}{v}",
        "not-hex": "0x" + "zz" * 65,
    }


@pytest.mark.parametrize("case", sorted(_bad_signatures("0x" + "ab" * 65)))
def test_unrecoverable_signature_fails_signature_check(nit, workdir, committed, case):
    info = shown(nit, PHOTO)
    bad = _bad_signatures(info["commit"]["assetTreeSignature"])[case]
    forge(workdir, info["asset"], assetTreeSignature=bad)

    result = nit("verify", PHOTO)
    assert result.exit_code == 12, result.output
    assert "signature cannot be recovered" in result.stdout
    verdict = json.loads(nit("verify", PHOTO, "--json").stdout)
    assert failed_checks(verdict) == ["signature"]


def test_valid_signature_but_other_committer_fails_signer_check(nit, workdir, committed):
    info = shown(nit, PHOTO)
    impostor = Signer(parse_private_key(OTHER_KEY)).address
    forge(workdir, info["asset"], committer=impostor)

    result = nit("verify", PHOTO)
    assert result.exit_code == 13, result.output
    assert f"not by the committer {impostor}" in result.stdout
    verdict = json.loads(nit("verify", PHOTO, "--json").stdout)
    assert failed_checks(verdict) == ["committer"]
    assert verdict["commits"][-1]["signer"] == info["commit"]["committer"]


def test_signature_by_another_key_fails_signer_check(nit, workdir, committed):
    info = shown(nit, PHOTO)
    sha = info["commit"]["assetTreeSha256"]
    forge(workdir, info["asset"], assetTreeSignature=sign(OTHER_KEY, sha))
    assert nit("verify", PHOTO).exit_code == 13


def test_signature_of_another_text_fails_signer_check(nit, workdir, committed, private_key):
    """The committer's own key, but over other bytes: recovery yields a stranger.

    ECDSA recovery cannot tell "wrong text" from "wrong key", so this is 13, not 12.
    """
    info = shown(nit, PHOTO)
    forge(workdir, info["asset"], assetTreeSignature=sign(private_key, "0" * 64))
    result = nit("verify", PHOTO)
    assert result.exit_code == 13, result.output
    assert "not by the committer" in result.stdout


# --- (d) the stored commit altered in place ------------------------------------------------


def test_commit_object_altered_in_place_is_reported(nit, workdir, committed):
    info = shown(nit, PHOTO)
    commit_cid = info["commitCid"]
    sig = info["commit"]["assetTreeSignature"]
    altered_sig = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
    data = read_object(workdir, commit_cid)
    write_object(workdir, commit_cid, data.replace(sig.encode(), altered_sig.encode()))

    result = nit("verify", PHOTO)
    assert result.exit_code != 0
    assert "commit object was altered after it was written" in result.stdout
    assert "FAILED" in result.stdout
    verdict = json.loads(nit("verify", PHOTO, "--json").stdout)
    assert "commit" in failed_checks(verdict)
    assert verdict["exitCode"] == result.exit_code
    # fsck sees it too.
    fsck = nit("fsck")
    assert fsck.exit_code == 5
    assert info["commitCid"] in fsck.stdout


def test_commit_object_with_only_a_changed_timestamp_is_corrupt(nit, workdir, committed):
    """Signature and tree still fine: only the object's own hash gives it away (exit 5)."""
    info = shown(nit, PHOTO)
    commit_cid = info["commitCid"]
    ts = str(info["commit"]["timestampCreated"]).encode()
    data = read_object(workdir, commit_cid)
    write_object(workdir, commit_cid, data.replace(ts, str(int(ts) - 86400).encode()))
    result = nit("verify", info["commitCid"])
    assert result.exit_code == 5, result.output
    assert nit("verify", PHOTO).exit_code == 5


def test_missing_tree_object_fails_tree_check(nit, workdir, committed):
    tree_cid = shown(nit, PHOTO)["commit"]["assetTreeCid"]
    delete_object(workdir, tree_cid)
    result = nit("verify", PHOTO)
    assert result.exit_code == 11, result.output
    assert "missing" in result.stdout


# --- targets and JSON --------------------------------------------------------------------


def test_verify_by_asset_nid_and_by_commit_nid(nit, committed):
    info = shown(nit, PHOTO)
    by_nid = nit("verify", info["asset"])
    assert by_nid.exit_code == 0, by_nid.output
    assert "VERIFIED" in by_nid.stdout
    by_commit = nit("verify", info["commitCid"], "--json")
    assert by_commit.exit_code == 0, by_commit.output
    verdict = json.loads(by_commit.stdout)
    assert verdict["ok"] is True
    assert [v["commitCid"] for v in verdict["commits"]] == [info["commitCid"]]


def test_verify_json_structure(nit, committed, signing_key):
    info = shown(nit, PHOTO)
    result = nit("verify", PHOTO, "--json")
    assert result.exit_code == 0
    verdict = json.loads(result.stdout)
    assert set(verdict) == {
        "target",
        "asset",
        "ok",
        "exitCode",
        "content",
        "commits",
        "policy",
        "c2pa",  # data stream (issue 15): the C2PA state, null when the file has none
    }
    assert verdict["c2pa"] is None
    assert verdict["policy"] == []  # no --policy given
    assert verdict["target"] == PHOTO
    assert verdict["asset"] == info["asset"]
    assert (verdict["ok"], verdict["exitCode"]) == (True, 0)
    assert [c["check"] for c in verdict["content"]] == ["content", "assetSha256"]
    (commit,) = verdict["commits"]
    assert commit == {
        "index": 0,
        "commitCid": info["commitCid"],
        "signer": signing_key,
        "checks": commit["checks"],
    }
    assert [c["check"] for c in commit["checks"]] == ["tree", "assetCid", "signature", "committer"]
    for check in verdict["content"] + commit["checks"]:
        assert set(check) == {"check", "ok", "detail", "exitCode"}
        assert (check["ok"], check["exitCode"]) == (True, 0), check
        assert isinstance(check["detail"], str) and check["detail"]


def test_verify_json_on_failure_matches_exit_code(nit, committed):
    flip_byte(committed, 200)
    result = nit("verify", PHOTO, "--json")
    assert result.exit_code == 10
    verdict = json.loads(result.stdout)
    assert (verdict["ok"], verdict["exitCode"]) == (False, 10)
    assert failed_checks(verdict) == ["content"]
    (failed,) = [c for c in verdict["content"] if not c["ok"]]
    assert failed["exitCode"] == 10
    passed = [c for v in verdict["commits"] for c in v["checks"]]
    assert passed and all(c["ok"] and c["exitCode"] == 0 for c in passed)


def test_verify_every_commit_of_a_history(nit, workdir, committed):
    """Two commits (new, then a licence update): both are checked; tampering with the first shows."""
    assert nit("add", PHOTO, "--license", "mit").exit_code == 0
    assert nit("commit", "-m", "relicence").exit_code == 0
    verdict = json.loads(nit("verify", PHOTO, "--json").stdout)
    assert [v["index"] for v in verdict["commits"]] == [0, 1]

    first = json.loads(nit("log", PHOTO, "--json").stdout)[-1]
    tree = first["commit"]["assetTreeCid"]
    write_object(workdir, tree, read_object(workdir, tree) + b"\n")
    assert nit("verify", PHOTO).exit_code == 11


def test_verify_uncommitted_file_is_not_found(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    result = nit("verify", PHOTO)
    assert result.exit_code == 4
    assert result.stderr.startswith("nit: ") and "is it committed?" in result.stderr


def test_verify_of_a_staged_large_file_nid_is_not_found(nit, repo, media):
    """Added but not committed: no provenance yet (4), not a "broken signature" (12)."""
    media("hdr-iphone_hdr_YES.jpg")
    (entry,) = json.loads(nit("add", "hdr-iphone_hdr_YES.jpg", "--json").stdout)
    result = nit("verify", entry["nid"])
    assert result.exit_code == 4, result.output
    assert "no provenance record" in result.stderr and "nit commit" in result.stderr


def test_verify_of_a_tree_nid_is_not_a_commit(nit, committed):
    tree_cid = shown(nit, PHOTO)["commit"]["assetTreeCid"]
    result = nit("verify", tree_cid)
    assert result.exit_code == 4, result.output
