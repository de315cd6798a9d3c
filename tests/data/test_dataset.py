"""`nit dataset export` and `nit dataset verify`: registered assets as a Croissant dataset
that mlcroissant loads, validates and iterates; terms decide what goes in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import ok, one_line_error

from numbers_cli.model.nid import Nid
from numbers_cli.ops import dataset as dataset_op
from numbers_cli.ops.session import open_repo
from numbers_cli.ops.usage_rules import chain_rules

PHOTOS = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg")


def records(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "records.jsonl").read_text().splitlines()]


@pytest.fixture
def library(nit, repo, media, signing_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Four committed photos with different licences and terms: path -> Nid."""
    media(*PHOTOS)
    (repo / "m.csv").write_text(
        "path,license,creator,aiTraining,commercialUse\n"
        "Canon_40D.jpg,cc-by-4.0,Ann,allowed,allowed\n"
        "Nikon_D70.jpg,cc-by-nc-4.0,Bob,notAllowed,notAllowed\n"
        "Pentax_K10D.jpg,mit,Cy,allowed,\n"
        "Sony_HDR-HC3.jpg,,Di,,\n",
        "utf-8",
    )
    ok(nit("add", "--manifest", "m.csv"))
    ok(nit("commit", "-m", "library"))
    return {p: ok(nit("hash", p)).stdout.split()[0] for p in PHOTOS}


def test_export_is_a_croissant_dataset_mlcroissant_loads(nit, repo, library):
    mlc = pytest.importorskip("mlcroissant")
    report = json.loads(ok(nit("dataset", "export", "out", "--json")).stdout)
    assert report["exported"] == report["considered"] == 4 and report["excluded"] == {}
    out = repo / "out"
    assert sorted(p.name for p in out.iterdir()) == ["files", "metadata.json", "records.jsonl"]

    dataset = mlc.Dataset(jsonld=str(out / "metadata.json"))
    assert "croissant/1.0" in str(dataset.metadata.conforms_to)
    issues = dataset.metadata.ctx.issues  # errors would have raised; not even a warning
    assert (issues.errors, issues.warnings) == (set(), set())
    loaded = {r["assets/nid"].decode(): r for r in dataset.records("assets")}
    assert set(loaded) == set(library.values())
    canon = loaded[library["Canon_40D.jpg"]]
    assert canon["assets/license"] == b"CC-BY-4.0"
    assert canon["assets/creator"] == b"Ann"
    assert canon["assets/aiTraining"] == b"allowed"
    assert canon["assets/termsSource"] == b"tree"
    # each record's file is there, with the bytes of the original
    for record in records(out):
        path = out / record["file"]
        assert (
            path.read_bytes()
            == (repo / next(p for p, n in library.items() if n == record["nid"])).read_bytes()
        )
        assert record["size"] == path.stat().st_size
        assert record["tx"] is None and record["network"] is None  # never pushed


def test_terms_decide_and_the_rest_is_counted(nit, repo, library):
    report = json.loads(
        ok(nit("dataset", "export", "out", "--allow", "ai-training", "--json")).stdout
    )
    assert report["exported"] == 2
    # Nikon forbids it; Sony states nothing, and unknown is not permission
    assert report["excluded"] == {"terms:aiTraining": 2}
    assert {r["nid"] for r in records(repo / "out")} == {
        library["Canon_40D.jpg"],
        library["Pentax_K10D.jpg"],
    }

    text = ok(nit("dataset", "export", "both", "--allow", "ai-training,commercial")).stdout
    assert "wrote both: 1 of 4 assets" in text
    assert "left out 2: terms do not allow it (aiTraining)" in text
    assert "left out 1: terms do not allow it (commercialUse)" in text

    report = json.loads(
        ok(
            nit(
                "dataset",
                "export",
                "lic",
                "--license",
                "mit",
                "--license",
                "CC-BY-NC-4.0",
                "--json",
            )
        ).stdout
    )
    assert report["exported"] == 2 and report["excluded"] == {"license": 2}
    report = json.loads(
        ok(nit("dataset", "export", "new", "--since", "2999-01-01", "--json")).stdout
    )
    assert report["exported"] == 0 and report["excluded"] == {"since": 4}
    assert records(repo / "new") == []


def test_jsonl_without_files(nit, repo, library):
    report = json.loads(
        ok(nit("dataset", "export", "out", "--format", "jsonl", "--no-files", "--json")).stdout
    )
    assert report["files"] is False and report["exported"] == 4
    assert sorted(p.name for p in (repo / "out").iterdir()) == ["records.jsonl"]
    for record in records(repo / "out"):
        assert record["file"] == f"ipfs://{record['nid']}"
        assert (
            record["size"]
            == (repo / next(p for p, n in library.items() if n == record["nid"])).stat().st_size
        )
    assert ok(nit("dataset", "verify", "out")).exit_code == 0


def test_on_chain_rules_win_over_the_tree(repo, library):
    class Governance:
        """Rules as the governance contract would return them (our RulesSource protocol)."""

        def usage_terms(self, nid: Nid) -> dict[str, str] | None:
            if nid == library["Nikon_D70.jpg"]:
                return {"aiTraining": "allowed"}
            if nid == library["Canon_40D.jpg"]:
                return {"aiTraining": "notAllowed"}
            return None

    repository, config = open_repo(repo)
    assert chain_rules(config) is None  # no devnet configured here: no chain rules
    report = dataset_op.export_dataset(
        repository,
        config,
        repo / "out",
        selection=dataset_op.Selection.parse([], ["ai-training"], None),
        rules=Governance(),
    )
    assert report.exported == 2 and report.terms_from_chain
    got = {r["nid"]: r for r in records(repo / "out")}
    assert set(got) == {library["Nikon_D70.jpg"], library["Pentax_K10D.jpg"]}
    nikon = got[library["Nikon_D70.jpg"]]
    assert nikon["termsSource"] == "chain"
    assert nikon["aiTraining"] == "allowed" and nikon["commercialUse"] == "notAllowed"  # per term
    assert got[library["Pentax_K10D.jpg"]]["termsSource"] == "tree"


def test_a_non_empty_directory_is_refused_without_force(nit, repo, library):
    (repo / "out").mkdir()
    (repo / "out" / "keep.txt").write_text("mine")
    result = nit("dataset", "export", "out")
    assert result.exit_code == 2
    assert "out exists and is not empty" in one_line_error(result)
    assert [p.name for p in (repo / "out").iterdir()] == ["keep.txt"]
    (repo / "empty").mkdir()
    ok(nit("dataset", "export", "empty"))  # an empty one is fine
    ok(nit("dataset", "export", "out", "--force"))
    assert sorted(p.name for p in (repo / "out").iterdir()) == [
        "files",
        "metadata.json",
        "records.jsonl",
    ]
    assert [p.name for p in repo.iterdir() if p.name.startswith(".out")] == []
    result = nit("dataset", "export", "x", "--allow", "painting")
    assert result.exit_code == 2 and "unknown use 'painting'" in one_line_error(result)


def test_verify_finds_changed_missing_extra_and_unregistered(nit, repo, library):
    ok(nit("dataset", "export", "out"))
    out = repo / "out"
    report = json.loads(ok(nit("dataset", "verify", "out", "--json")).stdout)
    assert report["ok"] and report["records"] == 4 and report["filesChecked"] == 4

    lines = records(out)
    canon, nikon, pentax, sony = (next(r for r in lines if r["nid"] == library[p]) for p in PHOTOS)
    (out / canon["file"]).write_bytes(b"retouched")
    (out / nikon["file"]).unlink()
    (out / "files" / "stray.jpg").write_bytes(b"?")
    pentax["license"] = "MIT-0"  # a record that no longer says what the tree says
    sony["commit"] = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    (out / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))

    result = nit("dataset", "verify", "out", "--json")
    assert result.exit_code == 27
    report = json.loads(result.stdout)
    assert report["counts"] == {
        "card": 1,
        "changed": 1,
        "extra": 1,
        "mismatch": 1,
        "missing": 1,
        "unregistered": 1,
    }
    by_status = {f["status"]: f for f in report["findings"]}
    assert by_status["changed"]["nid"] == canon["nid"]
    assert by_status["missing"]["nid"] == nikon["nid"]
    assert (
        by_status["mismatch"]["nid"] == pentax["nid"]
        and "licence" in by_status["mismatch"]["detail"]
    )
    assert by_status["unregistered"]["nid"] == sony["nid"]
    assert "stray.jpg" in by_status["extra"]["detail"]
    text = nit("dataset", "verify", "out")
    assert text.exit_code == 27 and "missing" in text.stdout and "checked 4 records" in text.stdout


def test_verify_reports_outdated_records_without_failing(nit, repo, library):
    ok(nit("dataset", "export", "out"))
    ok(nit("add", "Canon_40D.jpg", "--license", "mit"))
    ok(nit("commit", "-m", "relicensed"))
    report = json.loads(ok(nit("dataset", "verify", "out", "--json")).stdout)
    assert report["ok"] and [f["status"] for f in report["findings"]] == ["outdated"]


def test_verify_of_something_that_is_not_a_dataset(nit, repo, library):
    (repo / "plain").mkdir()
    result = nit("dataset", "verify", "plain")
    assert result.exit_code == 26 and "not a nit dataset" in one_line_error(result)
    (repo / "plain" / "records.jsonl").write_text("{nope\n")
    result = nit("dataset", "verify", "plain")
    assert result.exit_code == 26 and "line 1: not JSON" in one_line_error(result)


def test_export_and_verify_against_the_chain(nit, repo, media, on_devnet):
    media("Canon_40D.jpg", "Nikon_D70.jpg")
    ok(nit("add", "Canon_40D.jpg", "Nikon_D70.jpg", "--terms", "aiTraining=allowed"))
    ok(nit("commit", "-m", "x"))
    ok(nit("push"))
    ok(nit("dataset", "export", "out", "--allow", "ai-training"))
    for record in records(repo / "out"):
        assert record["network"] == "devnet" and record["chainId"] == on_devnet.chain_id
        assert record["tx"].startswith("0x") and record["block"] > 0
    report = json.loads(ok(nit("dataset", "verify", "out", "--remote", "--json")).stdout)
    assert report["ok"] and report["remote"] and report["records"] == 2
    # a record whose transaction is not the one that registered its commit
    lines = records(repo / "out")
    lines[0]["tx"] = "0x" + "ab" * 32
    (repo / "out" / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    result = nit("dataset", "verify", "out", "--remote", "--json")
    assert result.exit_code == 27
    findings = json.loads(result.stdout)["findings"]
    assert any(f["status"] == "unregistered" and "another tx" in f["detail"] for f in findings)


def test_governance_rules_on_chain_win_over_the_tree(nit, repo, media, on_devnet):
    """The custody holder's usage flags (`nit govern set`) decide, not the tree's terms."""
    ok(nit("contracts", "deploy", "--network", "devnet"))
    media("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")
    ok(
        nit(
            "add",
            "Canon_40D.jpg",
            "--terms",
            "aiTraining=notAllowed",
            "--terms",
            "commercialUse=allowed",
        )
    )
    ok(nit("add", "Nikon_D70.jpg", "Pentax_K10D.jpg", "--terms", "aiTraining=allowed"))
    ok(nit("commit", "-m", "three"))
    ok(nit("push", "--no-ipfs"))
    canon, nikon, pentax = (
        ok(nit("hash", p)).stdout.split()[0]
        for p in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")
    )
    for nid, flags in ((canon, ("ai-training=yes", "commercial=no")), (nikon, ("ai-training=no",))):
        ok(nit("mint", nid))
        ok(nit("govern", "set", nid, *flags))
    report = json.loads(
        ok(nit("dataset", "export", "out", "--allow", "ai-training", "--json")).stdout
    )
    assert report["onChainRules"] is True
    assert report["exported"] == 2 and report["excluded"] == {"terms:aiTraining": 1}
    got = {r["nid"]: r for r in records(repo / "out")}
    assert set(got) == {canon, pentax}  # Nikon's holder said no on chain
    assert got[canon]["termsSource"] == "chain"
    assert (got[canon]["aiTraining"], got[canon]["commercialUse"]) == ("allowed", "notAllowed")
    assert got[pentax]["termsSource"] == "tree"  # no custody token: the tree's terms stand
