"""`nit restore --staged` and `nit rm`: undoing `nit add` without deleting `.numbers/index`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error
from tests.support.snapshot import snapshot

PHOTO = "Canon_40D.jpg"
OTHER = "Nikon_D70.jpg"


def status(nit: Nit) -> dict:
    return json.loads(ok(nit("status", "--json")).stdout)


def staged_paths(nit: Nit) -> list[str]:
    return sorted(s["path"] for s in status(nit)["staged"])


def test_restore_staged_new_file_makes_it_untracked(nit: Nit, repo: Path, media) -> None:
    media(PHOTO, OTHER)
    ok(nit("add", PHOTO, OTHER))
    result = ok(nit("restore", "--staged", PHOTO))
    assert result.stdout.strip() == f"unstaged new {PHOTO}: no longer tracked"
    assert staged_paths(nit) == [OTHER]
    assert (repo / PHOTO).is_file()  # the file itself is kept
    # Untracked again: adding it stages a *new* asset once more.
    (again,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert again["kind"] == "new"


def test_restore_staged_update_keeps_the_file_tracked(
    nit: Nit, repo: Path, media, signing_key: str
) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "first"))
    ok(nit("add", PHOTO, "-m", "new facts"))
    assert status(nit)["staged"][0]["kind"] == "update"
    result = ok(nit("restore", "--staged", PHOTO, "--json"))
    (entry,) = json.loads(result.stdout)
    assert (entry["kind"], entry["tracking"], entry["path"]) == ("update", "tracked", PHOTO)
    st = status(nit)
    assert st["staged"] == [] and st["changed"] == []
    assert len(json.loads(ok(nit("log", PHOTO, "--json")).stdout)) == 1  # history untouched


def test_restore_staged_edit_points_back_at_the_parent(
    nit: Nit, repo: Path, media, signing_key: str
) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "first"))
    (committed,) = json.loads(ok(nit("log", "--json")).stdout)
    with (repo / PHOTO).open("ab") as f:
        f.write(b"edited")
    (derived,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert derived["kind"] == "derive" and derived["parent"] == committed["asset"]
    result = ok(nit("restore", "--staged", PHOTO))
    assert "tracked as its parent again (modified)" in result.stdout
    st = status(nit)
    assert st["staged"] == []
    assert st["changed"] == [{"path": PHOTO, "nid": committed["asset"], "state": "modified"}]


def test_restore_by_short_id_and_directory(nit: Nit, repo: Path, media) -> None:
    (repo / "shoot").mkdir()
    media(PHOTO)
    os.replace(repo / PHOTO, repo / "shoot" / PHOTO)
    media(OTHER)
    added = json.loads(ok(nit("add", "shoot", OTHER, "--json")).stdout)
    other_nid = next(a["nid"] for a in added if a["path"] == OTHER)
    ok(nit("restore", "--staged", other_nid[-8:]))  # a suffix, as `log --oneline` shows
    assert staged_paths(nit) == [f"shoot/{PHOTO}"]
    ok(nit("restore", "--staged", "shoot"))  # everything staged below a directory
    assert staged_paths(nit) == []


def test_restore_needs_staged_and_a_known_target(
    nit: Nit, repo: Path, media, isolated_env: Path
) -> None:
    media(PHOTO, OTHER)
    ok(nit("add", PHOTO))
    before = snapshot(repo, isolated_env)
    plain = nit("restore", PHOTO)
    assert plain.exit_code == 2
    assert "needs --staged" in one_line_error(plain)
    untracked = nit("restore", "--staged", OTHER)
    assert untracked.exit_code == 4
    assert one_line_error(untracked) == (
        f"nit: error: {OTHER} is neither tracked nor staged (`nit status` lists both)"
    )
    assert snapshot(repo, isolated_env) == before


def test_restore_of_a_tracked_file_with_nothing_staged_is_no_error(
    nit: Nit, repo: Path, media, signing_key: str
) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "x"))
    result = ok(nit("restore", "--staged", PHOTO))
    assert result.stdout.strip() == "nothing is staged there"


def test_rm_untracks_and_deletes_but_keeps_history(nit: Nit, repo: Path, signing_key: str) -> None:
    (repo / "notes.txt").write_text("field notes\n")
    ok(nit("add", "notes.txt"))
    ok(nit("commit", "-m", "x"))
    result = ok(nit("rm", "notes.txt"))
    assert result.stdout.strip() == "rm notes.txt; its 1 commit stays in the history"
    assert not (repo / "notes.txt").exists()
    assert status(nit)["changed"] == []
    (entry,) = json.loads(ok(nit("log", "--json")).stdout)
    # The bytes are still here: `nit cat` gives the file back.
    assert ok(nit("cat", entry["asset"])).stdout == "field notes\n"
    assert ok(nit("fsck")).exit_code == 0


def test_rm_cached_keeps_the_file_and_drops_the_staged_tree(nit: Nit, repo: Path, media) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    result = ok(nit("rm", "--cached", PHOTO, "--json"))
    (entry,) = json.loads(result.stdout)
    assert entry["unstaged"] is True and entry["deleted"] is False and entry["commits"] == 0
    assert (repo / PHOTO).is_file()
    assert status(nit) == {"staged": [], "unpushed": [], "changed": []}


def test_rm_refuses_to_lose_changes_unless_forced(
    nit: Nit, repo: Path, media, isolated_env: Path
) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    with (repo / PHOTO).open("ab") as f:
        f.write(b"not added")
    before = snapshot(repo, isolated_env)
    refused = nit("rm", PHOTO)
    assert refused.exit_code == 1
    assert one_line_error(refused) == (
        f"nit: error: {PHOTO} has changes that were not added; not deleting it "
        "(`nit rm --cached` keeps the file and only untracks it; --force deletes it anyway)"
    )
    assert snapshot(repo, isolated_env) == before
    ok(nit("rm", "-f", PHOTO))
    assert not (repo / PHOTO).exists()


@pytest.mark.parametrize("args", [["rm", "nope.jpg"], ["rm", "--cached", "nope.jpg"]])
def test_rm_of_an_untracked_path(nit: Nit, repo: Path, isolated_env: Path, args) -> None:
    before = snapshot(repo, isolated_env)
    result = nit(*args)
    assert result.exit_code == 4
    assert one_line_error(result) == (
        "nit: error: nope.jpg is not tracked (`nit status` lists tracked files)"
    )
    assert snapshot(repo, isolated_env) == before


def test_rm_refuses_to_delete_the_only_copy_of_a_file_added_by_reference(
    nit: Nit, repo: Path, media, isolated_env: Path, signing_key: str
) -> None:
    """`--no-copy` keeps the bytes only in the working file: deleting it loses the asset."""
    media(PHOTO)
    ok(nit("add", "--no-copy", PHOTO))
    ok(nit("commit", "-m", "by reference"))
    before = snapshot(repo, isolated_env)
    refused = nit("rm", PHOTO)
    assert refused.exit_code == 1, refused.output
    assert one_line_error(refused) == (
        f"nit: error: the bytes of {PHOTO} are not stored in this repository; not deleting it "
        "(`nit rm --cached` keeps the file and only untracks it; --force deletes it anyway)"
    )
    assert snapshot(repo, isolated_env) == before
    assert (repo / PHOTO).is_file()
    ok(nit("rm", "--cached", PHOTO))
    assert (repo / PHOTO).is_file()  # untracked, still there
