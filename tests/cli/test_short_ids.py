"""Short ids: what `log --oneline` prints, or a unique prefix or suffix, works wherever a
Nid does; an ambiguous one lists its candidates (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error
from tests.support.snapshot import snapshot

from numbers_cli.model.nid import short

PHOTO = "Canon_40D.jpg"
OTHER = "Nikon_D70.jpg"


@pytest.fixture
def two_assets(nit: Nit, repo: Path, media, signing_key: str) -> list[dict]:
    media(PHOTO, OTHER)
    ok(nit("add", PHOTO, OTHER))
    ok(nit("commit", "-m", "first"))
    ok(nit("add", PHOTO, "-m", "second"))
    ok(nit("commit", "-m", "second"))
    return json.loads(ok(nit("log", "--json")).stdout)


def test_oneline_shows_short_ids_and_file_names(nit: Nit, two_assets: list[dict]) -> None:
    lines = ok(nit("log", "--oneline")).stdout.splitlines()
    assert len(lines) == 3
    for line, entry in zip(lines, two_assets, strict=True):
        commit, asset, index, path = line.split()[:4]
        assert commit == short(entry["commitCid"], 14) and asset == short(entry["asset"], 14)
        assert index == f"#{entry['index']}" and path == entry["path"]
        assert path in (PHOTO, OTHER)


@pytest.mark.parametrize("form", ["oneline", "suffix", "prefix"])
def test_a_short_id_works_wherever_a_nid_does(nit: Nit, two_assets: list[dict], form: str) -> None:
    entry = next(e for e in two_assets if e["path"] == PHOTO and e["index"] == 1)
    asset, commit = entry["asset"], entry["commitCid"]

    def shortened(nid: str) -> str:
        return {"oneline": short(nid, 14), "suffix": nid[-10:], "prefix": nid[:20]}[form]

    assert json.loads(ok(nit("log", shortened(asset), "--json")).stdout)[0]["asset"] == asset
    shown = json.loads(ok(nit("show", shortened(commit), "--json")).stdout)
    assert shown["commitCid"] == commit and shown["kind"] == "commit"
    assert ok(nit("verify", shortened(asset))).stdout.strip().endswith(asset)
    diff = json.loads(ok(nit("diff", shortened(asset), "0", shortened(commit), "--json")).stdout)
    assert diff["to"] == commit


def test_an_ambiguous_short_id_lists_the_candidates(
    nit: Nit, repo: Path, two_assets: list[dict], isolated_env: Path
) -> None:
    before = snapshot(repo, isolated_env)
    result = nit("show", "bafkrei")  # every raw Nid starts so
    assert result.exit_code == 2
    line = one_line_error(result)
    assert line.startswith("nit: error: short id 'bafkrei' is ambiguous: ")
    assert line.endswith("(give more characters, or the whole Nid)")
    assert f"(asset {PHOTO})" in line and f"(asset {OTHER})" in line
    assert line.count("(asset ") == 2 and line.count("(commit #") == 3
    assert snapshot(repo, isolated_env) == before


def test_an_unknown_short_id(nit: Nit, two_assets: list[dict]) -> None:
    result = nit("show", "zzzzzz")
    assert result.exit_code == 2
    assert one_line_error(result) == (
        "nit: error: zzzzzz: no such file, and not a valid Nid or a short id of one here"
    )
    too_short = nit("log", "baf")  # under 4 characters: never a short id
    assert too_short.exit_code == 2


def test_parent_may_be_a_short_id_or_a_tracked_file(
    nit: Nit, repo: Path, two_assets: list[dict]
) -> None:
    photo = next(e for e in two_assets if e["path"] == PHOTO)["asset"]
    (repo / "crop.jpg").write_bytes((repo / PHOTO).read_bytes()[:-10])
    (added,) = json.loads(ok(nit("add", "crop.jpg", "--parent", photo[-8:], "--json")).stdout)
    assert added["kind"] == "derive" and added["parent"] == photo
    ok(nit("restore", "--staged", "crop.jpg"))
    (again,) = json.loads(ok(nit("add", "crop.jpg", "--parent", PHOTO, "--json")).stdout)
    assert again["parent"] == photo
