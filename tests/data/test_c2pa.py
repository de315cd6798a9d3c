"""C2PA in and out, with real manifests signed by c2pa-python and a throwaway CA.

In: `nit add` maps an embedded manifest onto the tree (claim generator, actions and
digitalSourceType, registered ingredients -> parentAssetCid, training-and-mining
-> usage terms); `nit verify` reports its validation state as a warning only.
Out: `nit export --c2pa` signs a copy that c2pa-python validates (Trusted with
the CA as anchor) and that `nit add` links back to the original.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import MEDIA, ok, one_line_error
from tests.support.c2pa_certs import c2pa_sign, make_pki, read_manifest_store

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_ACTIONS = {
    "label": "c2pa.actions",
    "data": {
        "actions": [
            {
                "action": "c2pa.created",
                "digitalSourceType": IPTC + "trainedAlgorithmicMedia",
                "softwareAgent": {"name": "Imagen", "version": "3"},
            }
        ]
    },
}
NO_TRAINING = {
    "label": "c2pa.training-mining",
    "data": {
        "entries": {
            "c2pa.ai_training": {"use": "notAllowed"},
            "c2pa.ai_generative_training": {"use": "notAllowed"},
            "c2pa.data_mining": {"use": "constrained", "constraint_info": "ask first"},
        }
    },
}

#: an editor's manifest: it opened `carried.jpg` (its parentOf ingredient)
OPENED = {
    "label": "c2pa.actions",
    "data": {"actions": [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}}]},
}
PARENT = {"title": "carried.jpg", "relationship": "parentOf", "label": "parent"}


def staged_tree(workdir: Path, path: str) -> dict:
    from numbers_cli.repo.repository import Repository

    (entry,) = [s for s in Repository(workdir).index().staged.values() if s.path == path]
    return entry.tree


def nid_of(nit, path: str) -> str:  # type: ignore[no-untyped-def]
    return ok(nit("hash", path)).stdout.split()[0]


def test_add_maps_an_ai_generators_manifest(nit, repo, pki):
    c2pa_sign(
        pki,
        MEDIA / "Canon_40D.jpg",
        repo / "gen.jpg",
        [AI_ACTIONS, NO_TRAINING],
        generator="Gen Studio",
    )
    result = ok(nit("add", "gen.jpg", "--json"))
    assert json.loads(result.stdout)[0]["warnings"] == []
    tree = staged_tree(repo, "gen.jpg")
    assert tree["digitalSourceType"] == IPTC + "trainedAlgorithmicMedia"
    assert tree["generatedBy"] == "Imagen 3"
    assert tree["custom"]["usageTerms"] == {
        "aiTraining": "notAllowed",
        "aiGenerativeTraining": "notAllowed",
        "dataMining": "constrained",
    }
    record = tree["custom"]["c2pa"]
    assert record["claimGenerator"] == "Gen Studio 1.0"
    assert record["actions"] == ["c2pa.created"]
    assert record["validationState"] == "Valid"  # signed, but its CA is not a trust anchor here
    assert record["signer"] == "nit test signer / nit tests"
    assert "parentAssetCid" not in tree


def test_explicit_options_win_over_the_manifest(nit, repo, pki):
    c2pa_sign(pki, MEDIA / "Canon_40D.jpg", repo / "gen.jpg", [AI_ACTIONS, NO_TRAINING])
    ok(
        nit(
            "add", "gen.jpg", "--source-type", "compositeSynthetic", "--terms", "aiTraining=allowed"
        )
    )
    tree = staged_tree(repo, "gen.jpg")
    assert tree["digitalSourceType"] == IPTC + "compositeSynthetic"
    assert tree["custom"]["usageTerms"]["aiTraining"] == "allowed"
    assert tree["custom"]["usageTerms"]["aiGenerativeTraining"] == "notAllowed"


def test_trust_anchors_from_config_make_it_trusted(nit, repo, pki, monkeypatch):
    c2pa_sign(pki, MEDIA / "Canon_40D.jpg", repo / "gen.jpg", [AI_ACTIONS])
    monkeypatch.setenv("NIT_C2PA_TRUST_ANCHORS", str(pki.ca_pem))
    ok(nit("add", "gen.jpg"))
    assert staged_tree(repo, "gen.jpg")["custom"]["c2pa"]["validationState"] == "Trusted"


def test_a_registered_ingredient_becomes_the_parent(nit, repo, media, c2pa_signing, signing_key):
    (photo,) = media("Nikon_D70.jpg")
    ok(nit("add", photo.name))
    ok(nit("commit", "-m", "original"))
    original = nid_of(nit, photo.name)
    ok(nit("export", photo.name, "--c2pa", "carried.jpg"))
    # An editor opens the nit-exported copy and saves a composite: the copy is its parentOf
    # ingredient, and its manifest (with our assertion) travels inside the new one.
    c2pa_sign(
        c2pa_signing,
        MEDIA / "Canon_40D.jpg",
        repo / "edit.jpg",
        [OPENED],
        ingredients=[(repo / "carried.jpg", PARENT)],
    )
    (entry,) = json.loads(ok(nit("add", "edit.jpg", "--json")).stdout)
    assert entry["kind"] == "derive" and entry["parent"] == original
    tree = staged_tree(repo, "edit.jpg")
    assert tree["parentAssetCid"] == original
    assert tree["custom"]["c2pa"]["ingredients"] == [
        {"title": "carried.jpg", "relationship": "parentOf", "nid": original}
    ]


def test_an_unregistered_ingredient_is_named_not_linked(
    nit, tmp_path, repo, c2pa_signing, signing_key
):
    # the ingredient's asset lives in another repository
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copyfile(MEDIA / "Nikon_D70.jpg", other / "photo.jpg")
    from tests.conftest import Nit

    there = Nit(other)
    ok(there("init"))
    ok(there("add", "photo.jpg"))
    ok(there("commit", "-m", "x"))
    ok(there("export", "photo.jpg", "--c2pa", "carried.jpg"))
    foreign = nid_of(there, "photo.jpg")
    c2pa_sign(
        c2pa_signing,
        MEDIA / "Canon_40D.jpg",
        repo / "edit.jpg",
        [OPENED],
        ingredients=[(other / "carried.jpg", PARENT)],
    )
    (entry,) = json.loads(ok(nit("add", "edit.jpg", "--json")).stdout)
    assert entry["kind"] == "new" and entry["parent"] is None
    assert any(foreign in w and "not registered here" in w for w in entry["warnings"])


def test_an_invalid_manifest_is_recorded_not_believed(nit, repo, pki, signing_key):
    c2pa_sign(pki, MEDIA / "Canon_40D.jpg", repo / "gen.jpg", [AI_ACTIONS, NO_TRAINING])
    data = bytearray((repo / "gen.jpg").read_bytes())
    data[-500] ^= 0xFF  # an edit of the pixels after signing: the data hash breaks
    (repo / "gen.jpg").write_bytes(bytes(data))
    (entry,) = json.loads(ok(nit("add", "gen.jpg", "--json")).stdout)
    assert any(
        "fails validation" in w and "assertion.dataHash.mismatch" in w for w in entry["warnings"]
    )
    tree = staged_tree(repo, "gen.jpg")
    assert "digitalSourceType" not in tree and "usageTerms" not in tree["custom"]
    assert tree["custom"]["c2pa"]["validationState"] == "Invalid"
    ok(nit("commit", "-m", "kept anyway"))
    # verify: nit's own chain holds (exit 0); the C2PA state is a warning beside it
    result = nit("verify", "gen.jpg", "--json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is True
    assert verdict["c2pa"]["state"] == "Invalid" and verdict["c2pa"]["warning"] is True
    assert "assertion.dataHash.mismatch" in verdict["c2pa"]["detail"]
    text = nit("verify", "gen.jpg")
    assert text.exit_code == 0 and "! c2pa" in text.stdout and "VERIFIED" in text.stdout
    nid = nid_of(nit, "gen.jpg")
    assert json.loads(nit("verify", nid, "--json").stdout)["c2pa"]["state"] == "Invalid"


def test_a_corrupt_c2pa_box_fails_add_with_nothing_staged(nit, repo, pki):
    c2pa_sign(pki, MEDIA / "Canon_40D.jpg", repo / "gen.jpg", [AI_ACTIONS])
    data = bytearray((repo / "gen.jpg").read_bytes())
    at = data.find(b"jumb")
    data[at : at + 4] = b"xxxx"  # the JUMBF superbox's type: hand-made damage, on purpose
    (repo / "gen.jpg").write_bytes(bytes(data))
    shutil.copyfile(MEDIA / "Nikon_D70.jpg", repo / "fine.jpg")
    result = nit("add", "fine.jpg", "gen.jpg")
    assert result.exit_code == 26
    assert "gen.jpg: its C2PA manifest is corrupt" in one_line_error(result)
    assert json.loads(nit("status", "--json").stdout)["staged"] == []


def test_files_without_c2pa_are_untouched(nit, repo, media):
    media("Canon_40D.jpg", "heic-IMG_5195.HEIC", "tiff-BSG1.tiff", "corrupted.jpg")
    result = ok(nit("add", ".", "--json"))
    for entry in json.loads(result.stdout):
        tree = staged_tree(repo, entry["path"])
        assert "c2pa" not in tree.get("custom", {}), entry["path"]


# --- out -------------------------------------------------------------------------------


def test_export_c2pa_validates_and_links_back(nit, repo, media, c2pa_signing, signing_key):
    (photo,) = media("Nikon_D70.jpg")
    ok(
        nit(
            "add",
            photo.name,
            "--source-type",
            "trainedAlgorithmicMedia",
            "--generated-by",
            "Model X",
            "--terms",
            "aiTraining=notAllowed",
            "--terms",
            "commercialUse=allowed",
        )
    )
    ok(nit("commit", "-m", "original"))
    original = nid_of(nit, photo.name)
    commit = json.loads(ok(nit("log", photo.name, "--json")).stdout)[0]["commitCid"]
    result = ok(nit("export", original, "--c2pa", "out.jpg", "--json"))
    report = json.loads(result.stdout)
    assert report["asset"] == original and report["commit"] == commit
    assert "not known to be on any chain" in result.stderr

    state, store = read_manifest_store(repo / "out.jpg", anchors=c2pa_signing.ca_pem)
    assert state == "Trusted"
    assert read_manifest_store(repo / "out.jpg")[0] == "Valid"  # no anchor: valid, untrusted
    active = store["manifests"][store["active_manifest"]]
    labels = {a["label"]: a["data"] for a in active["assertions"]}
    ours = labels["io.numbersprotocol.nit"]
    assert ours["nid"] == original and ours["commit"] == commit and "tx" not in ours
    actions = labels.get("c2pa.actions.v2") or labels["c2pa.actions"]
    assert actions["actions"][0]["action"] == "c2pa.created"
    assert actions["actions"][0]["digitalSourceType"] == IPTC + "trainedAlgorithmicMedia"
    assert labels["c2pa.training-mining"]["entries"] == {"c2pa.ai_training": {"use": "notAllowed"}}

    (entry,) = json.loads(ok(nit("add", "out.jpg", "--json")).stdout)
    assert entry["kind"] == "derive" and entry["parent"] == original
    tree = staged_tree(repo, "out.jpg")
    assert tree["generatedBy"] == "Model X"
    assert tree["custom"]["usageTerms"] == {
        "aiTraining": "notAllowed"
    }  # commercialUse: no C2PA term
    assert tree["custom"]["c2pa"]["nit"] == {"nid": original, "commit": commit}


def test_export_c2pa_names_the_transaction_after_push(nit, repo, media, c2pa_signing, on_devnet):
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", photo.name))
    ok(nit("commit", "-m", "original"))
    ok(nit("push"))
    original = nid_of(nit, photo.name)
    report = json.loads(ok(nit("export", photo.name, "--c2pa", "out.jpg", "--json")).stdout)
    ours = report["assertion"]
    assert ours["network"] == "devnet" and ours["chainId"] == on_devnet.chain_id
    assert ours["tx"].startswith("0x") and ours["block"] > 0
    _, store = read_manifest_store(repo / "out.jpg")
    active = store["manifests"][store["active_manifest"]]
    (data,) = [a["data"] for a in active["assertions"] if a["label"] == "io.numbersprotocol.nit"]
    assert data["tx"] == ours["tx"] and data["chainId"] == on_devnet.chain_id
    assert data["nid"] == original


def test_export_of_a_file_that_already_has_a_manifest_keeps_it(
    nit, repo, pki, c2pa_signing, signing_key
):
    c2pa_sign(
        pki,
        MEDIA / "Canon_40D.jpg",
        repo / "gen.jpg",
        [AI_ACTIONS, NO_TRAINING],
        generator="Gen Studio",
    )
    ok(nit("add", "gen.jpg"))
    ok(nit("commit", "-m", "generated"))
    ok(nit("export", "gen.jpg", "--c2pa", "out.jpg"))
    state, store = read_manifest_store(repo / "out.jpg")
    assert state == "Valid"
    active = store["manifests"][store["active_manifest"]]
    assert [i["relationship"] for i in active["ingredients"]] == ["parentOf"]
    generators = [m["claim_generator_info"][0]["name"] for m in store["manifests"].values()]
    assert sorted(generators) == ["Gen Studio", "nit"]


@pytest.mark.parametrize("problem", ["expired", "mismatch", "loose-key", "unset"])
def test_bad_signing_credentials_fail_before_writing(
    nit, repo, media, tmp_path, monkeypatch, signing_key, problem
):
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", photo.name))
    ok(nit("commit", "-m", "x"))
    pki = make_pki(tmp_path / "pki2", expired=problem == "expired")
    if problem != "unset":
        monkeypatch.setenv("NIT_C2PA_CERT", str(pki.chain_pem))
        monkeypatch.setenv(
            "NIT_C2PA_KEY", str(pki.other_key_pem if problem == "mismatch" else pki.key_pem)
        )
    if problem == "loose-key":
        pki.key_pem.chmod(0o644)
    result = nit("export", photo.name, "--c2pa", "out.jpg")
    line = one_line_error(result)
    expected = {
        "expired": (26, "expired on"),
        "mismatch": (26, "does not match the certificate"),
        "loose-key": (8, "is readable by others"),
        "unset": (8, "no C2PA signing certificate"),
    }[problem]
    assert (result.exit_code, expected[1] in line) == (expected[0], True), line
    assert not (repo / "out.jpg").exists()
    assert [p.name for p in repo.iterdir() if p.name.startswith(".out")] == []


def test_export_c2pa_needs_a_commit(nit, repo, media, c2pa_signing):
    (photo,) = media("Canon_40D.jpg")
    ok(nit("add", photo.name))
    result = nit("export", photo.name, "--c2pa", "out.jpg")
    assert result.exit_code == 4 and "has no commits" in one_line_error(result)
    assert nit("export", photo.name).exit_code == 2  # neither --car nor --c2pa


def test_verify_reports_an_unreadable_manifest_as_a_warning(repo, pki):
    import io

    from numbers_cli.config import Config
    from numbers_cli.ops.claims import check_stream

    c2pa_sign(pki, MEDIA / "Canon_40D.jpg", repo / "gen.jpg", [AI_ACTIONS])
    data = bytearray((repo / "gen.jpg").read_bytes())
    at = data.find(b"jumb")
    data[at : at + 4] = b"xxxx"
    check = check_stream(io.BytesIO(bytes(data)), "image/jpeg", "gen.jpg", Config.load(repo))
    assert check is not None and check.state == "unreadable" and check.warning
    assert "its C2PA manifest is corrupt" in check.detail
    plain = check_stream(
        io.BytesIO((MEDIA / "Canon_40D.jpg").read_bytes()), "image/jpeg", "x", Config.load(repo)
    )
    assert plain is None
