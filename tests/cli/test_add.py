"""`nit add` as a photographer uses it: folders, broken files, relicensing, edits,
derived works, AI-generated media, and what `nit status` and `nit diff` then say."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

MEDIA = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "media"
PHOTO = "Canon_40D.jpg"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def added(result) -> list[dict]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def tree_of(nit, target: str) -> dict:  # type: ignore[no-untyped-def]
    result = nit("show", target, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["assetTree"]


def status(nit) -> dict:  # type: ignore[no-untyped-def]
    result = nit("status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def staged_tree(workdir: Path, nid: str) -> dict:
    """What is staged for `nid` (as `nit commit` will sign it), read from the index."""
    from numbers_cli.repo.repository import Repository

    return Repository(workdir).index().staged[nid].tree


def edit(path: Path) -> None:
    """Change the photo's bytes (as an editor that re-saves it would)."""
    path.write_bytes(path.read_bytes() + b"\x00edited")


def broken_exif_copy(workdir: Path) -> Path:
    """A JPEG whose Exif segment is cut short: its metadata cannot be fully read."""
    data = (MEDIA / PHOTO).read_bytes()
    cut = data.find(b"Exif\x00\x00") + 200
    target = workdir / "album" / "truncated-exif.jpg"
    target.write_bytes(data[:cut])
    return target


def test_add_a_whole_folder_with_broken_files(nit, repo, workdir):
    shutil.copytree(MEDIA, workdir / "album")
    (workdir / "album").chmod(0o755)  # the fixture folder is read-only; its copy need not be
    broken_exif_copy(workdir)
    files = sorted(p.name for p in (workdir / "album").iterdir())

    result = nit("add", "album", "--json")
    assert result.exit_code == 0, result.output
    assets = json.loads(result.stdout)
    assert sorted(Path(a["path"]).name for a in assets) == files
    assert {a["kind"] for a in assets} == {"new"}

    # Files that look broken (corrupted pixels, XMP-only, cut-off Exif) are all staged.
    staged = {s["path"] for s in status(nit)["staged"]}
    assert staged == {f"album/{name}" for name in files}
    for name in ("corrupted.jpg", "invalid-image00971.jpg", "truncated-exif.jpg"):
        assert f"album/{name}" in staged

    # Metadata trouble is a warning on stderr, never on stdout, never an error.
    by_name = {Path(a["path"]).name: a for a in assets}
    assert by_name["truncated-exif.jpg"]["warnings"]
    warning_lines = [line for line in result.stderr.splitlines() if line]
    assert all(line.startswith("warning: ") for line in warning_lines), result.stderr
    assert any("truncated-exif.jpg" in line and "Exif" in line for line in warning_lines)
    every_warning = [w for a in assets for w in a["warnings"]]
    assert len(warning_lines) == len(every_warning)

    # Without --json the same call lists one line per file.
    fresh = nit("add", "album/truncated-exif.jpg")
    assert fresh.exit_code == 0
    assert "truncated-exif.jpg" in fresh.stdout and "warning:" in fresh.stderr


def test_broken_exif_falls_back_to_file_time(nit, repo, workdir):
    (workdir / "album").mkdir()
    photo = broken_exif_copy(workdir)
    (nid,) = [a["nid"] for a in added(nit("add", str(photo.relative_to(workdir)), "--json"))]
    tree = staged_tree(workdir, nid)
    assert tree["assetTimestampCreated"] == photo.stat().st_mtime_ns // 1_000_000_000
    assert tree["encodingFormat"] == "image/jpeg"


def test_relicensing_a_committed_photo_stages_an_update_keeping_the_rest(
    nit, repo, media, signing_key
):
    media(PHOTO)
    first = added_json(
        nit, "add", PHOTO, "-m", "Street", "--license", "cc-by-4.0", "--creator", "Ann"
    )
    assert nit("commit", "-m", "first").exit_code == 0
    before = tree_of(nit, PHOTO)

    (update,) = added(nit("add", PHOTO, "--license", "mit", "--json"))
    assert update["kind"] == "update"
    assert update["nid"] == first[0]["nid"]
    assert [s["kind"] for s in status(nit)["staged"]] == ["update"]
    assert nit("commit", "-m", "relicence").exit_code == 0

    after = tree_of(nit, PHOTO)
    assert after["license"] == {"name": "MIT", "document": after["license"]["document"]}
    assert after["license"] != before["license"]
    assert {k: v for k, v in after.items() if k != "license"} == {
        k: v for k, v in before.items() if k != "license"
    }
    log = json.loads(nit("log", PHOTO, "--json").stdout)
    assert [e["commit"]["actionName"] for e in log] == [
        "action-commit",
        "action-initial-registration-jade",
    ]


def added_json(nit, *args: str, env: dict[str, str] | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    return added(nit(*args, "--json", env=env))


def test_editing_a_tracked_photo_makes_a_derived_asset(nit, repo, media, signing_key):
    (photo,) = media(PHOTO)
    (original,) = added_json(nit, "add", PHOTO, "--license", "cc-by-4.0")
    assert nit("commit", "-m", "original").exit_code == 0

    edit(photo)
    state = status(nit)
    assert state["changed"] == [{"path": PHOTO, "nid": original["nid"], "state": "modified"}]

    (derived,) = added_json(nit, "add", PHOTO)
    assert derived["kind"] == "derive"
    assert derived["nid"] != original["nid"]
    assert derived["parent"] == original["nid"]
    assert nit("commit", "-m", "edited").exit_code == 0

    tree = tree_of(nit, PHOTO)
    assert tree["assetCid"] == derived["nid"]
    assert tree["parentAssetCid"] == original["nid"]
    # Both assets keep their own history; the file now stands for the derived one.
    assert nit("verify", PHOTO).exit_code == 0
    assert nit("verify", original["nid"]).exit_code == 0
    assert status(nit)["changed"] == []


def test_parent_option_makes_a_derive(nit, repo, media, signing_key):
    media(PHOTO, "Nikon_D70.jpg")
    (parent,) = added_json(nit, "add", PHOTO)
    assert nit("commit", "-m", "parent").exit_code == 0
    (child,) = added_json(nit, "add", "Nikon_D70.jpg", "--parent", parent["nid"])
    assert (child["kind"], child["parent"]) == ("derive", parent["nid"])
    assert staged_tree(repo, child["nid"])["parentAssetCid"] == parent["nid"]
    assert nit("commit", "-m", "child").exit_code == 0
    assert tree_of(nit, "Nikon_D70.jpg")["parentAssetCid"] == parent["nid"]


def test_parent_must_be_a_nid_and_names_one_file(nit, repo, media):
    media(PHOTO, "Nikon_D70.jpg")
    bad = nit("add", PHOTO, "--parent", "not-a-nid")
    assert bad.exit_code != 0 and bad.stderr.startswith("nit: ")
    nid = nit("hash", PHOTO).stdout.strip()
    two = nit("add", PHOTO, "Nikon_D70.jpg", "--parent", nid)
    assert two.exit_code == 2
    assert "one file" in two.stderr or "one at a time" in two.stderr
    assert status(nit)["staged"] == []


def test_ai_generated_media_fields_land_in_the_tree(nit, repo, media, signing_key):
    media(PHOTO)
    result = nit(
        "add",
        PHOTO,
        "--custom",
        "prompt=a cat on a bike",
        "--custom",
        "seed=42",
        "--generated-by",
        "stable-diffusion-xl",
        "--generated-through",
        "https://example.org/ai",
        "--source-type",
        "trainedAlgorithmicMedia",
    )
    assert result.exit_code == 0, result.output
    assert nit("commit", "-m", "ai").exit_code == 0
    tree = tree_of(nit, PHOTO)
    assert tree["generatedBy"] == "stable-diffusion-xl"
    assert tree["generatedThrough"] == "https://example.org/ai"
    assert tree["digitalSourceType"] == IPTC + "trainedAlgorithmicMedia"
    assert tree["custom"]["prompt"] == "a cat on a bike"
    assert tree["custom"]["seed"] == "42"
    assert tree["custom"]["camera"]["make"] == "Canon"  # what the file says is kept too


def test_custom_fields_merge_on_update(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO, "--custom", "a=1").exit_code == 0
    assert nit("commit", "-m", "one").exit_code == 0
    assert nit("add", PHOTO, "--custom", "b=2").exit_code == 0
    assert nit("commit", "-m", "two").exit_code == 0
    custom = tree_of(nit, PHOTO)["custom"]
    assert (custom["a"], custom["b"]) == ("1", "2")


@pytest.mark.parametrize("bad", ["noequals", "=value"])
def test_malformed_custom_is_a_usage_error(nit, repo, media, bad):
    media(PHOTO)
    result = nit("add", PHOTO, "--custom", bad)
    assert result.exit_code == 2
    assert "key=value" in result.output
    assert "Traceback" not in result.output


def test_unknown_source_type_is_refused(nit, repo, media):
    media(PHOTO)
    result = nit("add", PHOTO, "--source-type", "paintedByHand")
    assert result.exit_code == 2
    assert "trainedAlgorithmicMedia" in result.stderr  # the message lists valid codes
    assert status(nit)["staged"] == []


def test_status_through_a_photo_life(nit, repo, media, signing_key):
    (photo,) = media(PHOTO)
    assert status(nit) == {"staged": [], "unpushed": [], "changed": []}
    assert "nothing to commit" in nit("status").stdout

    (a,) = added_json(nit, "add", PHOTO)
    state = status(nit)
    assert state["staged"] == [{"nid": a["nid"], "kind": "new", "path": PHOTO}]
    assert state["unpushed"] == []
    assert "Staged for commit" in nit("status").stdout

    assert nit("commit", "-m", "x").exit_code == 0
    state = status(nit)
    assert state["staged"] == []
    assert state["unpushed"] == [{"nid": a["nid"], "commits": 1, "path": PHOTO}]
    assert "Committed, not pushed" in nit("status").stdout

    edit(photo)
    state = status(nit)
    assert state["changed"] == [{"path": PHOTO, "nid": a["nid"], "state": "modified"}]
    text = nit("status").stdout
    assert "modified" in text and PHOTO in text

    photo.unlink()
    assert status(nit)["changed"] == [{"path": PHOTO, "nid": a["nid"], "state": "deleted"}]


def test_touching_a_file_is_not_a_change(nit, repo, media):
    (photo,) = media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    stat = photo.stat()
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
    assert status(nit)["changed"] == []


def test_diff_shows_the_licence_change(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO, "--license", "cc-by-4.0").exit_code == 0
    assert nit("commit", "-m", "first").exit_code == 0
    assert nit("add", PHOTO, "--license", "mit").exit_code == 0

    def removed_added(result) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        assert result.exit_code == 0, result.output
        parts = json.loads(result.stdout)["assetTreeDiff"]
        removed = "".join(p["value"] for p in parts if p["removed"])
        plus = "".join(p["value"] for p in parts if p["added"])
        assert not any(p["added"] and p["removed"] for p in parts)
        return removed, plus

    # Staged update against the last commit.
    staged = nit("diff", PHOTO, "--json")
    removed, plus = removed_added(staged)
    assert "CC-BY-4.0" in removed and "MIT" not in removed
    assert "MIT" in plus and "CC-BY-4.0" not in plus
    assert json.loads(staged.stdout)["to"] == "staged"
    # Unchanged fields are context, not changes.
    context = "".join(
        p["value"]
        for p in json.loads(staged.stdout)["assetTreeDiff"]
        if not (p["added"] or p["removed"])
    )
    assert "assetSha256" in context

    # After committing: the last two commits.
    assert nit("commit", "-m", "relicence").exit_code == 0
    removed, plus = removed_added(nit("diff", PHOTO, "--json"))
    assert "CC-BY-4.0" in removed and "MIT" in plus
    text = nit("diff", PHOTO)
    assert text.exit_code == 0 and "MIT" in text.stdout and "CC-BY-4.0" in text.stdout


def test_re_adding_an_unchanged_committed_photo_stages_nothing(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    assert nit("commit", "-m", "x").exit_code == 0
    (again,) = added_json(nit, "add", PHOTO)
    assert again["kind"] == "unchanged"
    assert status(nit)["staged"] == []
    assert nit("commit", "-m", "again").exit_code == 2


def test_add_refuses_files_outside_and_inside_nit_dir(nit, repo, tmp_path):
    outside = tmp_path / "elsewhere.jpg"
    shutil.copyfile(MEDIA / PHOTO, outside)
    result = nit("add", str(outside))
    assert result.exit_code == 2 and "outside the repository" in result.stderr
    inside = nit("add", ".numbers/format")
    assert inside.exit_code == 2 and "nit's own directory" in inside.stderr
    assert status(nit)["staged"] == []


def test_licence_and_creator_defaults_come_from_config(nit, repo, media, signing_key):
    media(PHOTO, "Nikon_D70.jpg")
    assert nit("config", "set", "add.license", "cc-by-sa-4.0").exit_code == 0
    assert nit("config", "set", "user.name", "Ann Example").exit_code == 0
    (first,) = added_json(nit, "add", PHOTO)
    tree = staged_tree(repo, first["nid"])
    assert tree["license"]["name"] == "CC-BY-SA-4.0"
    assert tree["assetCreator"] == "Ann Example"
    # The environment wins over the files; an option wins over both.
    (second,) = added_json(nit, "add", "Nikon_D70.jpg", env={"NIT_LICENSE": "mit"})
    assert staged_tree(repo, second["nid"])["license"]["name"] == "MIT"
    assert nit("add", PHOTO, "--creator", "Bo").exit_code == 0
    assert staged_tree(repo, first["nid"])["assetCreator"] == "Bo"
