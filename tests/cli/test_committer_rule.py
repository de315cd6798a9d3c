"""The committer rule: a signature proves something only when tied to its committer.

A committer is an address (lower-case or EIP-55) or the Nid of a profile
document whose `wallet`/`wallets` names the signer. Anything else is a
malformed commit (14); a profile that cannot be had ties nobody (15) unless a
`--policy` allows the signer; a profile naming other wallets is a wrong
signer (13). `verify`, `fsck` and `import` apply the rule here; `log --remote`
and `fetch` in tests/chain/test_committer_rule_chain.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok

from numbers_cli.model import car, jsjson
from numbers_cli.model.nid import Nid, raw_cid_bytes
from numbers_cli.repo.repository import Repository
from numbers_cli.wallet import Signer, parse_private_key

PHOTO = "Canon_40D.jpg"
OTHER_KEY = "0x" + "11" * 32  # the forger
THIRD_KEY = "0x" + "22" * 32


def address(key: str) -> str:
    return Signer(parse_private_key(key)).address


def sign(key: str, text: str) -> str:
    return Signer(parse_private_key(key)).sign_text(text)


@pytest.fixture
def committed(nit: Nit, repo: Path, media, signing_key) -> dict:  # type: ignore[no-untyped-def]
    """PHOTO added and committed by TEST_KEY; `nit show --json` of it."""
    media(PHOTO)
    ok(nit("add", PHOTO, "--license", "cc-by-4.0"))
    ok(nit("commit", "-m", "original"))
    return json.loads(ok(nit("show", PHOTO, "--json")).stdout)


def recommitted(commit: dict, *, committer: str, key: str) -> bytes:
    """The commit's exact on-chain bytes with another committer, re-signed by `key`."""
    forged = jsjson.parse(jsjson.stringify(commit))
    forged["committer"] = committer
    forged["author"] = address(THIRD_KEY)
    forged["assetTreeSignature"] = sign(key, forged["assetTreeSha256"])
    return jsjson.stringify(forged).encode("utf-8")


def forge_car(nit: Nit, tmp_path: Path, info: dict, commit_bytes: bytes) -> Path:
    """Export the asset as a CAR and swap its commit block for `commit_bytes`."""
    original = tmp_path / "original.car"
    ok(nit("export", info["asset"], "--car", str(original)))
    old = Nid(info["commitCid"]).to_bytes()
    with original.open("rb") as f:
        (root,) = car.read_header_roots(f)
        blocks = [(cid, data) for cid, data, _ in car.iter_blocks(f)]
    assert old in [cid for cid, _ in blocks]
    out = bytearray(car.encode_header(root))
    for cid, data in blocks:
        if cid == old:
            cid, data = raw_cid_bytes(commit_bytes), commit_bytes
        out += car.block_frame(cid, len(data)) + data
    forged = tmp_path / "forged.car"
    forged.write_bytes(bytes(out))
    return forged


def place_commit(workdir: Path, asset: str, commit_bytes: bytes) -> str:
    """Store a commit and make it the asset's head, through the repository's own API."""
    repo = Repository(workdir)
    nid = repo.objects.put(commit_bytes)
    with repo.transaction() as txn:
        txn.append_commit(Nid(asset), nid)
    return str(nid)


def store_profile(workdir: Path, document: dict) -> str:
    return str(Repository(workdir).objects.put(json.dumps(document).encode("utf-8")))


def profile_nid(document: dict) -> str:
    return str(Nid.of_bytes(json.dumps(document).encode("utf-8")))


def committer_check(verdict: dict) -> dict:
    (check,) = [
        c for c in verdict["commits"][-1]["checks"] if c["check"] in ("committer", "commit")
    ]
    return check


# --- the forged string committer (the reported bug) ------------------------------------


def test_a_string_committer_in_an_imported_car_is_rejected(nit, committed, second, tmp_path):
    """The reproduction: committer "mallory", re-signed by another key, author a third."""
    forged = recommitted(committed["commit"], committer="mallory", key=OTHER_KEY)
    result = second("import", str(forge_car(nit, tmp_path, committed, forged)), "--json")

    assert result.exit_code == 14, result.output
    report = json.loads(result.stdout)
    (rejected,) = report["rejected"]
    assert rejected["exitCode"] == 14
    assert "'mallory' is neither a 0x-address" in rejected["reason"]
    assert report["assets"] == []  # no history was made of it
    assert second("log", committed["asset"]).exit_code != 0

    # The block itself was moved (blocks are not trusted, only content-addressed),
    # and verifying it names the broken rule.
    by_commit = second("verify", str(Nid.of_bytes(forged)))
    assert by_commit.exit_code == 14, by_commit.output
    assert "VERIFIED" not in by_commit.stdout
    assert "neither a 0x-address" in by_commit.stdout


def test_a_string_committer_in_a_history_fails_verify_and_fsck(nit, workdir, committed):
    forged = recommitted(committed["commit"], committer="mallory", key=OTHER_KEY)
    place_commit(workdir, committed["asset"], forged)

    result = nit("verify", PHOTO, "--json")
    assert result.exit_code == 14, result.output
    verdict = json.loads(result.stdout)
    check = committer_check(verdict)
    assert (check["ok"], check["exitCode"]) == (False, 14)
    assert verdict["commits"][0]["checks"][-1]["ok"] is True  # the original still holds

    fsck = nit("fsck", "--json")
    assert fsck.exit_code == 5
    problems = json.loads(fsck.stdout)["problems"]
    assert any("mallory" in p["message"] for p in problems)


@pytest.mark.parametrize(
    "committer",
    [
        "",  # empty
        "0x2c7536e3605d9c16a7a3d7b1898e529396a65c2",  # 39 hex digits
        "0x2C7536E3605D9C16A7A3D7B1898E529396A65C23",  # upper case: neither form
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65C23",  # mixed case, wrong checksum
        " " + TEST_ADDRESS,  # padded
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",  # a CIDv0
        "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",  # CIDv1, not base32
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeQ",  # not lower case
    ],
)
def test_committers_that_are_neither_address_nor_nid_are_malformed(
    nit, workdir, committed, private_key, committer
):
    """Signed by the right key all the same: the signature does not rescue the format."""
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=committer, key=private_key),
    )
    result = nit("verify", PHOTO)
    assert result.exit_code == 14, result.output


@pytest.mark.parametrize("spelling", [TEST_ADDRESS, TEST_ADDRESS.lower()])
def test_checksummed_and_lower_case_addresses_are_committers(
    nit, workdir, committed, private_key, spelling
):
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=spelling, key=private_key),
    )
    ok(nit("verify", PHOTO))


# --- profile committers ---------------------------------------------------------------


def test_a_profile_naming_the_signer_ties_it(nit, workdir, committed, private_key):
    profile = store_profile(workdir, {"name": "Ann Lee", "wallet": TEST_ADDRESS})
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=private_key),
    )
    result = ok(nit("verify", PHOTO, "--json"))
    check = committer_check(json.loads(result.stdout))
    assert check["ok"] is True
    assert f"a wallet of the committer's profile {profile}" in check["detail"]
    ok(nit("fsck"))


def test_a_profile_listing_the_signer_among_wallets_ties_it(nit, workdir, committed):
    profile = store_profile(workdir, {"wallets": [address(THIRD_KEY), address(OTHER_KEY).lower()]})
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=OTHER_KEY),
    )
    ok(nit("verify", PHOTO))


def test_a_profile_naming_another_wallet_is_a_wrong_signer(nit, workdir, committed):
    profile = store_profile(workdir, {"wallet": TEST_ADDRESS})
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=OTHER_KEY),
    )
    result = nit("verify", PHOTO)
    assert result.exit_code == 13, result.output
    assert f"but the committer's profile {profile} names {TEST_ADDRESS}" in result.stdout
    assert nit("fsck").exit_code == 5


@pytest.mark.parametrize(
    "document",
    [
        None,  # nowhere to be had
        {"name": "no wallet field"},
        {"wallet": "mallory"},  # a wallet that is no address
        ["not", "an", "object"],
    ],
)
def test_a_profile_that_ties_nobody_is_not_verified(nit, workdir, committed, private_key, document):
    if document is None:
        profile = profile_nid({"wallet": TEST_ADDRESS, "never": "stored"})
    else:
        profile = store_profile(workdir, document)
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=private_key),
    )
    result = nit("verify", PHOTO)
    assert result.exit_code == 15, result.output
    assert "VERIFIED" not in result.stdout
    assert f"signer {TEST_ADDRESS} not tied to the committer {profile}" in result.stdout

    # Whole, but unproven: fsck warns and passes.
    fsck = nit("fsck", "--json")
    assert fsck.exit_code == 0, fsck.output
    (warning,) = json.loads(fsck.stdout)["warnings"]
    assert "not tied to the committer" in warning["message"]


def test_a_policy_can_allow_the_signer_of_an_untied_commit(
    nit, workdir, committed, private_key, tmp_path
):
    profile = profile_nid({"wallet": TEST_ADDRESS, "never": "stored"})
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=private_key),
    )
    allow_other = tmp_path / "other.toml"
    allow_other.write_text(f'[signers]\nallow = ["{address(OTHER_KEY)}"]\n')
    assert nit("verify", PHOTO, "--policy", str(allow_other)).exit_code == 15

    allow_signer = tmp_path / "signer.toml"
    allow_signer.write_text(f'[signers]\nallow = ["{TEST_ADDRESS}"]\n')
    result = ok(nit("verify", PHOTO, "--policy", str(allow_signer)))
    assert "allowed by signer.toml [signers]" in result.stdout
    assert "VERIFIED" in result.stdout


def test_an_exported_car_carries_the_profile_so_import_and_verify_tie_it(
    nit, workdir, committed, private_key, second, tmp_path
):
    profile = store_profile(workdir, {"wallet": TEST_ADDRESS})
    place_commit(
        workdir,
        committed["asset"],
        recommitted(committed["commit"], committer=profile, key=private_key),
    )
    exported = tmp_path / "with-profile.car"
    ok(nit("export", committed["asset"], "--car", str(exported)))
    report = json.loads(ok(second("import", str(exported), "--json")).stdout)
    assert report["rejected"] == [] and report["untied"] == []
    ok(second("verify", committed["asset"]))


def test_import_places_untied_commits_with_a_warning(
    nit, workdir, committed, private_key, second, tmp_path
):
    profile = profile_nid({"wallet": TEST_ADDRESS, "never": "stored"})
    untied = recommitted(committed["commit"], committer=profile, key=private_key)
    result = second("import", str(forge_car(nit, tmp_path, committed, untied)))
    assert result.exit_code == 15, result.output
    assert "not tied to the committer" in result.stderr
    log = json.loads(ok(second("log", committed["asset"], "--json")).stdout)
    assert [c["commitCid"] for c in log] == [str(Nid.of_bytes(untied))]


def test_import_rejects_a_commit_signed_by_someone_else(nit, committed, second, tmp_path):
    forged = recommitted(committed["commit"], committer=TEST_ADDRESS, key=OTHER_KEY)
    result = second("import", str(forge_car(nit, tmp_path, committed, forged)), "--json")
    assert result.exit_code == 13, result.output
    report = json.loads(result.stdout)
    assert [r["exitCode"] for r in report["rejected"]] == [13]
    assert report["assets"] == []
