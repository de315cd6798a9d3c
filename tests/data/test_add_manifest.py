"""`nit add --manifest FILE`: a spreadsheet (CSV) or JSONL of tree fields, checked whole
before anything is staged; `--skip-bad`, `--dry-run`, `--terms`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import ok, one_line_error
from tests.support.store_damage import snapshot

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
PHOTOS = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")


def staged(workdir: Path) -> dict[str, dict]:
    from numbers_cli.repo.repository import Repository

    return {s.path: s.tree for s in Repository(workdir).index().staged.values()}


@pytest.fixture
def shoot(repo: Path, media) -> Path:  # type: ignore[no-untyped-def]
    media(*PHOTOS)
    return repo


def test_csv_rows_give_each_file_its_fields(nit, shoot):
    parent = ok(nit("hash", "Pentax_K10D.jpg")).stdout.split()[0]
    (shoot / "m.csv").write_text(
        "path,creator,license,abstract,generatedBy,generatedThrough,digitalSourceType,"
        "parentAssetCid,aiTraining,commercialUse,custom.shoot\n"
        "Canon_40D.jpg,Ann Lee,cc-by-nc-4.0,Harbour,,,digitalCapture,,no,notAllowed,harbour\n"
        f'Nikon_D70.jpg,"Lee, Ann",mit,"Edited, with AI",Model X,https://ai.example,'
        f"compositeWithTrainedAlgorithmicMedia,{parent},allowed,yes,\n",
        "utf-8",
    )
    result = ok(nit("add", "--manifest", "m.csv", "--json"))
    report = json.loads(result.stdout)
    assert report["skipped"] == [] and not report["dryRun"]
    assert {a["path"]: a["kind"] for a in report["added"]} == {
        "Canon_40D.jpg": "new",
        "Nikon_D70.jpg": "derive",
    }
    trees = staged(shoot)
    canon, nikon = trees["Canon_40D.jpg"], trees["Nikon_D70.jpg"]
    assert canon["assetCreator"] == "Ann Lee"
    assert canon["license"]["name"] == "CC-BY-NC-4.0"
    assert canon["abstract"] == "Harbour"
    assert canon["digitalSourceType"] == IPTC + "digitalCapture"
    assert canon["custom"]["shoot"] == "harbour"
    assert canon["custom"]["camera"]["make"] == "Canon"  # Exif still read
    assert canon["custom"]["usageTerms"] == {
        "aiTraining": "notAllowed",
        "commercialUse": "notAllowed",
    }
    assert nikon["assetCreator"] == "Lee, Ann"  # quoted comma
    assert nikon["generatedBy"] == "Model X"
    assert nikon["generatedThrough"] == "https://ai.example"
    assert nikon["parentAssetCid"] == parent
    assert nikon["custom"]["usageTerms"] == {"aiTraining": "allowed", "commercialUse": "allowed"}
    assert "shoot" not in nikon["custom"]  # an empty cell sets nothing


def test_jsonl_rows_and_command_line_defaults(nit, shoot):
    (shoot / "sub").mkdir()
    (shoot / "Canon_40D.jpg").rename(shoot / "sub" / "Canon_40D.jpg")
    (shoot / "sub" / "m.jsonl").write_text(
        '{"path": "Canon_40D.jpg", "usageTerms": {"aiTraining": "notAllowed"}, "custom": {"a": "1"}}\n'
        "\n"
        '{"path": "../Nikon_D70.jpg", "license": "mit", "dataMining": "allowed"}\n',
        "utf-8",
    )
    ok(nit("add", "--manifest", "sub/m.jsonl", "--license", "cc-by-4.0", "--creator", "Ann"))
    trees = staged(shoot)
    canon, nikon = (
        trees["sub/Canon_40D.jpg"],
        trees["Nikon_D70.jpg"],
    )  # paths: from the manifest's dir
    assert canon["license"]["name"] == "CC-BY-4.0"  # the command line's default
    assert nikon["license"]["name"] == "MIT"  # the row wins
    assert canon["assetCreator"] == nikon["assetCreator"] == "Ann"
    assert canon["custom"]["usageTerms"] == {"aiTraining": "notAllowed"}
    assert canon["custom"]["a"] == "1"
    assert nikon["custom"]["usageTerms"] == {"dataMining": "allowed"}


def test_every_bad_row_is_reported_and_nothing_is_staged(nit, shoot):
    (shoot / "m.csv").write_text(
        "path,license,parentAssetCid,aiTraining\n"
        "Canon_40D.jpg,cc-by-99,,\n"  # row 2: bad licence
        "missing.jpg,,,\n"  # row 3: no such file
        "Nikon_D70.jpg,,bafkreinot-a-nid,\n"  # row 4: bad Nid
        "Pentax_K10D.jpg,,,\n"  # row 5: good
        "./Pentax_K10D.jpg,,,maybe\n",  # row 6: duplicate path (and a bad term)
        "utf-8",
    )
    before = snapshot(shoot)
    result = nit("add", "--manifest", "m.csv")
    assert result.exit_code == 26
    line = one_line_error(result)
    assert "4 bad rows, nothing staged" in line
    assert "row 2: unknown licence 'cc-by-99'" in line
    assert "row 3: missing.jpg: no such file" in line
    assert "row 4: parentAssetCid: 'bafkreinot-a-nid' is not a Nid" in line
    assert "row 6: ./Pentax_K10D.jpg: duplicate path (first on row 5)" in line
    assert "--skip-bad" in line
    assert snapshot(shoot) == before
    assert staged(shoot) == {}

    result = nit("add", "--manifest", "m.csv", "--skip-bad", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [a["path"] for a in report["added"]] == ["Pentax_K10D.jpg"]
    assert [(s["row"], s["path"]) for s in report["skipped"]] == [
        (2, "Canon_40D.jpg"),
        (3, "missing.jpg"),
        (4, "Nikon_D70.jpg"),
        (6, "./Pentax_K10D.jpg"),
    ]
    assert "skipped m.csv row 3: missing.jpg: no such file" in result.stderr
    assert list(staged(shoot)) == ["Pentax_K10D.jpg"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\xef\xbb\xbfpath,license\nCanon_40D.jpg,mit\n",
            "starts with a UTF-8 byte-order mark (BOM)",
        ),
        (b"path;license\nCanon_40D.jpg;mit\n", "the header is one column 'path;license'"),
        (b"path\tlicense\nCanon_40D.jpg\tmit\n", "columns must be separated by commas, not '\\t'"),
        (b"path,licence\nCanon_40D.jpg,mit\n", "row 1: unknown column 'licence'"),
        (b"path,abstract\nCanon_40D.jpg,caf\xe9\n", "line 2: byte 0xe9 is not UTF-8"),
        (b"license\nmit\n", "row 1: no 'path' column"),
        (b"", "empty manifest"),
    ],
    ids=["bom", "semicolons", "tabs", "unknown-column", "latin-1", "no-path", "empty"],
)
def test_a_bad_file_fails_whole_with_one_line(nit, shoot, content, message):
    (shoot / "m.csv").write_bytes(content)
    for extra in ((), ("--skip-bad",)):
        result = nit("add", "--manifest", "m.csv", *extra)
        assert result.exit_code == 26, result.output
        assert message in one_line_error(result)
    assert staged(shoot) == {}


def test_jsonl_unknown_key_and_bad_lines(nit, shoot):
    (shoot / "m.jsonl").write_text('{"path": "Canon_40D.jpg", "colour": "red"}\n', "utf-8")
    result = nit("add", "--manifest", "m.jsonl")
    assert result.exit_code == 26
    assert "row 1: unknown column 'colour'" in one_line_error(result)
    (shoot / "m.jsonl").write_text(
        '{"path": "Canon_40D.jpg"}\n{"path": \n[1]\n{"path": "Nikon_D70.jpg", "license": 5}\n',
        "utf-8",
    )
    line = one_line_error(nit("add", "--manifest", "m.jsonl"))
    assert "row 2: not JSON" in line and "row 3: not a JSON object" in line
    assert "row 4: license: expected text, got 5" in line
    assert staged(shoot) == {}


def test_dry_run_shows_and_writes_nothing(nit, shoot):
    before = snapshot(shoot)
    result = ok(nit("add", "Canon_40D.jpg", "Nikon_D70.jpg", "--dry-run", "--json"))
    assert [a["kind"] for a in json.loads(result.stdout)] == ["new", "new"]
    text = ok(nit("add", ".", "--dry-run")).stdout
    assert "dry run: nothing was staged" in text and "Pentax_K10D.jpg" in text
    (shoot / "m.csv").write_text("path\nCanon_40D.jpg\n", "utf-8")
    report = json.loads(ok(nit("add", "--manifest", "m.csv", "--dry-run", "--json")).stdout)
    assert report["dryRun"] is True and report["added"][0]["path"] == "Canon_40D.jpg"
    assert snapshot(shoot) == before  # no objects, no index rows
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"] == []


def test_terms_option_and_updates_merge_term_by_term(nit, shoot, signing_key):
    ok(
        nit(
            "add",
            "Canon_40D.jpg",
            "--terms",
            "aiTraining=notAllowed",
            "--terms",
            "commercialUse=yes",
        )
    )
    ok(nit("commit", "-m", "first"))
    ok(nit("add", "Canon_40D.jpg", "--terms", "aiTraining=allowed"))
    assert staged(shoot)["Canon_40D.jpg"]["custom"]["usageTerms"] == {
        "aiTraining": "allowed",
        "commercialUse": "allowed",
    }
    result = nit("add", "Canon_40D.jpg", "--terms", "aiTraining=perhaps")
    assert result.exit_code == 2 and "not a usage term value" in one_line_error(result)
    result = nit("add", "Canon_40D.jpg", "--terms", "painting=allowed")
    assert result.exit_code == 2 and "unknown usage term 'painting'" in one_line_error(result)


def test_paths_and_manifest_are_exclusive(nit, shoot):
    (shoot / "m.csv").write_text("path\nCanon_40D.jpg\n", "utf-8")
    assert nit("add", "Canon_40D.jpg", "--manifest", "m.csv").exit_code == 2
    assert nit("add").exit_code == 2
    assert nit("add", "Canon_40D.jpg", "--skip-bad").exit_code == 2
    result = nit("add", "--manifest", "nope.csv")
    assert result.exit_code == 26 and "no such manifest file" in one_line_error(result)
