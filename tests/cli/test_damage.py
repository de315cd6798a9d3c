"""A damaged repository: one line naming what is damaged, `nit fsck` finds it,
`nit fsck --repair` rebuilds what can be rebuilt. Never an internal error.

One test per damage class of the store (issue 10's list, in the form it takes
in format 2, where small objects and large files are CAR packs indexed by
`store.db`): the pack index (a row's CID or offset flipped, the database
truncated, garbage or gone), a pack (its header, a block in the middle, cut
short, gone), a stored single-block file, tree or commit rotted, a ref with a
garbage line or deleted, the index (a staged entry garbled), the format file.
Each test damages the repository from outside (tests/support/store_damage.py),
runs a reading command and checks its exit code, its one line and that it
changed nothing, then fsck and fsck --repair.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error, python_m
from tests.support.store_damage import (
    db_path,
    delete_object,
    flip_in_file,
    flip_object_byte,
    get_ref,
    locate,
    set_ref,
    snapshot,
    sql,
)

from numbers_cli.model.nid import Nid

PHOTO = "Canon_40D.jpg"
OTHER = "Nikon_D70.jpg"


def fsck(nit: Nit, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = nit("fsck", "--json", *args)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def problems(report: dict, kind: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    return [p for p in report["problems"] if kind is None or p["kind"] == kind]


def refused(nit: Nit, workdir: Path, *args: str, code: int) -> str:
    """Run a command that must fail with `code` and one line, changing nothing."""
    before = snapshot(workdir)
    result = nit(*args)
    assert result.exit_code == code, result.output
    line = one_line_error(result)
    assert snapshot(workdir) == before, "a refused command changed the repository"
    return line


def repaired_clean(nit: Nit) -> dict:  # type: ignore[type-arg]
    code, report = fsck(nit, "--repair")
    assert code == 0, report
    assert report["repaired"], "the repair says what it did"
    code, again = fsck(nit)
    assert (code, again["ok"], again["problems"]) == (0, True, []), again
    return report


@pytest.fixture
def committed(nit: Nit, repo: Path, media, signing_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Two committed photos and a 1.3 MiB file (its own pack); their Nids and commits."""
    media(PHOTO, OTHER)
    big = repo / "big.bin"
    big.write_bytes(random.Random(5).randbytes(5 * 262_144 + 1000))
    ok(nit("add", PHOTO, OTHER, "big.bin"))
    ok(nit("commit", "-m", "first"))
    ids = {}
    for name in (PHOTO, OTHER, "big.bin"):
        shown = json.loads(ok(nit("show", name, "--json")).stdout)
        ids[name] = shown["asset"]
        ids[f"{name}:commit"] = shown["commitCid"]
        ids[f"{name}:tree"] = shown["commit"]["assetTreeCid"]
    return ids


# --- the pack index (store.db's `blocks`) ------------------------------------------


def test_index_row_with_a_flipped_offset(nit, workdir, committed):
    nid = committed[PHOTO]
    sql(workdir, "UPDATE blocks SET offset = offset + 1 WHERE cid = ?", (Nid(nid).to_bytes(),))
    line = refused(nit, workdir, "cat", nid, code=5)
    assert f"index entry of object {nid}" in line and str(db_path(workdir)) in line
    assert "nit fsck --repair" in line

    code, report = fsck(nit)
    assert code == 5
    assert any("does not match" in p["message"] for p in problems(report, "pack"))
    report = repaired_clean(nit)
    assert any("re-indexed" in action for action in report["repaired"])
    assert ok(nit("verify", PHOTO)).exit_code == 0


def test_index_row_with_a_flipped_cid_byte(nit, workdir, committed):
    nid = committed[OTHER]
    key = bytearray(Nid(nid).to_bytes())
    key[20] ^= 0x40
    sql(workdir, "UPDATE blocks SET cid = ? WHERE cid = ?", (bytes(key), Nid(nid).to_bytes()))
    line = refused(nit, workdir, "cat", nid, code=4)
    assert nid in line and "nit fsck" in line

    code, report = fsck(nit)
    assert code == 5
    assert any("does not match" in p["message"] for p in problems(report, "pack"))
    repaired_clean(nit)
    assert ok(nit("verify", OTHER)).exit_code == 0


@pytest.mark.parametrize("damage", ["truncated", "garbage", "deleted"])
def test_store_database_truncated_garbage_or_gone(nit, workdir, committed, damage):
    path = db_path(workdir)
    ok(nit("status"))  # readers checkpoint nothing away: the WAL may hold the data
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        path.write_bytes(os.urandom(8192))
    else:
        path.unlink()
    result = nit("log")
    assert result.exit_code == 5, result.output
    line = one_line_error(result)
    assert str(path) in line and "nit fsck --repair" in line

    code, report = fsck(nit)
    assert code == 5 and problems(report, "store")
    report = repaired_clean(nit)
    # Objects came back from the packs; histories from the commits found in them.
    assert ok(nit("verify", PHOTO)).exit_code == 0
    log = json.loads(ok(nit("log", "--json")).stdout)
    assert sorted(e["asset"] for e in log) == sorted(
        committed[n] for n in (PHOTO, OTHER, "big.bin")
    )


# --- packs and the objects in them (issue 16: one test per damage class) ------------


def test_rotted_single_block_file_is_restored_from_the_working_tree(nit, workdir, committed):
    nid = committed[PHOTO]
    flip_object_byte(workdir, nid, 1000)
    line = refused(nit, workdir, "cat", nid, code=5)
    pack, _, _ = locate(workdir, nid)
    assert f"object {nid} in {pack} is corrupt" in line and "nit fsck --repair" in line

    code, report = fsck(nit)
    assert code == 5
    assert [p["name"] for p in problems(report, "object")] == [nid]
    assert "is corrupt" in problems(report, "object")[0]["message"]
    report = repaired_clean(nit)
    assert any(f"stored {nid} again" in a for a in report["repaired"])
    assert python_cat(workdir, nid) == (workdir / PHOTO).read_bytes()


@pytest.mark.parametrize("which", ["tree", "commit"])
def test_rotted_tree_or_commit_is_found_and_cannot_be_made_up(nit, workdir, committed, which):
    cid = committed[f"{PHOTO}:{which}"]
    flip_object_byte(workdir, cid, 10)
    result = nit("verify", PHOTO)
    assert result.exit_code in (5, 11, 12, 13, 14), result.output  # which link broke depends
    assert "FAILED" in result.stdout and "Traceback" not in result.output

    code, report = fsck(nit)
    assert code == 5
    assert cid in [p["name"] for p in problems(report, "object")]
    code, report = fsck(nit, "--repair")
    assert code == 5  # a signed tree or commit exists nowhere else here
    assert any(f"dropped the damaged copy of {cid}" in a for a in report["repaired"])
    # The other assets are untouched and whole.
    assert ok(nit("verify", OTHER)).exit_code == 0


def test_pack_block_in_the_middle(nit, workdir, committed):
    nid = committed["big.bin"]
    pack = workdir / ".numbers" / "objects" / "pack" / f"{nid}.car"
    flip_in_file(pack, pack.stat().st_size // 2)
    verify = nit("verify", nid)
    assert verify.exit_code == 10 and str(pack) in verify.stdout  # the content check names it
    before = snapshot(workdir)
    out = python_m("cat", nid, cwd=workdir)
    assert out.returncode == 5 and snapshot(workdir) == before
    (line,) = out.stderr.decode().splitlines()
    assert str(pack) in line and "corrupt" in line and "nit fsck --repair" in line

    code, report = fsck(nit)
    assert code == 5 and len(problems(report, "object")) == 1
    report = repaired_clean(nit)
    assert any(f"re-wrote pack {nid}.car" in a for a in report["repaired"])
    assert python_cat(workdir, nid) == (workdir / "big.bin").read_bytes()


def test_pack_header(nit, workdir, committed):
    nid = committed["big.bin"]
    pack = workdir / ".numbers" / "objects" / "pack" / f"{nid}.car"
    flip_in_file(pack, 20)  # inside the root CID of the CAR header
    code, report = fsck(nit)
    assert code == 5
    assert [p["name"] for p in problems(report)] == [pack.name]
    assert "header" in problems(report)[0]["message"]
    report = repaired_clean(nit)
    assert any("header" in a for a in report["repaired"])


def test_pack_cut_short(nit, workdir, committed):
    nid = committed["big.bin"]
    pack = workdir / ".numbers" / "objects" / "pack" / f"{nid}.car"
    os.chmod(pack, 0o644)
    with pack.open("r+b") as f:
        f.truncate(pack.stat().st_size - 300_000)
    line = refused(nit, workdir, "cat", nid, code=5)
    assert str(pack) in line and "truncated" in line

    code, report = fsck(nit)
    assert code == 5 and any("ends before it" in p["message"] for p in problems(report))
    repaired_clean(nit)
    assert python_cat(workdir, nid) == (workdir / "big.bin").read_bytes()


def test_pack_gone(nit, workdir, committed):
    nid = committed["big.bin"]
    pack = workdir / ".numbers" / "objects" / "pack" / f"{nid}.car"
    pack.unlink()
    line = refused(nit, workdir, "cat", nid, code=5)
    assert str(pack) in line and "missing" in line and "nit fsck --repair" in line
    code, report = fsck(nit)
    assert code == 5 and problems(report, "pack")
    code, report = fsck(nit, "--repair")
    # The pack is forgotten; the file is stored again from the working tree.
    code, report = fsck(nit)
    assert code == 0, report
    assert python_cat(workdir, nid) == (workdir / "big.bin").read_bytes()


def test_missing_object_is_reported(nit, workdir, committed):
    tree = committed[f"{OTHER}:tree"]
    delete_object(workdir, tree)
    code, report = fsck(nit)
    assert code == 5
    assert any(tree in p["message"] for p in problems(report, "commit"))


# --- refs ------------------------------------------------------------------------------


def test_garbage_line_in_a_ref(nit, workdir, committed):
    asset = committed[PHOTO]
    ref = f"refs/heads/{asset}"
    text = get_ref(workdir, ref)
    set_ref(workdir, ref, f"{text}not-a-commit\n")
    for args in (["log"], ["verify", PHOTO], ["show", PHOTO]):
        line = refused(nit, workdir, *args, code=5)
        assert ref in line and str(db_path(workdir)) in line and "nit fsck --repair" in line

    code, report = fsck(nit)
    assert code == 5 and [p["name"] for p in problems(report, "ref")] == [ref]
    repaired_clean(nit)
    assert get_ref(workdir, ref) == text
    assert ok(nit("verify", PHOTO)).exit_code == 0


def test_garbage_line_in_a_remote_ref(nit, workdir, committed):
    asset = committed[PHOTO]
    ref = f"refs/remotes/devnet/{asset}"
    good = f"{committed[PHOTO + ':commit']} 0x{'ab' * 32} 7\n"
    set_ref(workdir, ref, good + "garbage\n")
    line = refused(nit, workdir, "status", code=5)
    assert ref in line and "nit fsck --repair" in line
    code, report = fsck(nit)
    assert code == 5 and [p["name"] for p in problems(report, "ref")] == [ref]
    repaired_clean(nit)
    assert get_ref(workdir, ref) == good


def test_deleted_ref_is_rebuilt_from_its_dangling_commits(nit, workdir, committed):
    asset = committed[PHOTO]
    ok(nit("add", PHOTO, "--license", "mit"))
    ok(nit("commit", "-m", "second"))
    ref = f"refs/heads/{asset}"
    text = get_ref(workdir, ref)
    assert text is not None and len(text.split()) == 2
    set_ref(workdir, ref, None)
    assert [e["asset"] for e in json.loads(ok(nit("log", "--json")).stdout)].count(asset) == 0

    code, report = fsck(nit)
    assert code == 5
    (problem,) = problems(report, "ref")
    assert problem["name"] == ref and "2 commits" in problem["message"]
    assert sorted(report["dangling"]) == sorted(text.split())
    report = repaired_clean(nit)
    assert get_ref(workdir, ref) == text  # the same commits, in the same order
    assert ok(nit("verify", PHOTO)).exit_code == 0


# --- the index and the format file ---------------------------------------------------


def test_garbled_staged_entry(nit, workdir, committed):
    ok(nit("add", PHOTO, "--license", "mit"))
    asset = committed[PHOTO]
    sql(workdir, "UPDATE staged SET tree = '{garbage' WHERE nid = ?", (asset,))
    for args in (["status"], ["commit", "-m", "x"]):
        line = refused(nit, workdir, *args, code=5)
        assert f"staged entry {asset}" in line and "nit fsck --repair" in line
    code, report = fsck(nit)
    assert code == 5 and [p["name"] for p in problems(report, "index")] == [asset]
    repaired_clean(nit)
    ok(nit("add", PHOTO, "--license", "mit"))
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"][0]["nid"] == asset


@pytest.mark.parametrize("text", ["3\n", "999\n"])
def test_unknown_format_version_is_refused_by_name(nit, workdir, committed, text):
    (workdir / ".numbers" / "format").write_text(text)
    for args in (["log"], ["status"], ["fsck"], ["fsck", "--repair"], ["add", PHOTO]):
        line = refused(nit, workdir, *args, code=30)
        assert f"format {text.strip()}" in line and "newer nit" in line


def test_damaged_format_file(nit, workdir, committed):
    (workdir / ".numbers" / "format").write_text("two\n")
    line = refused(nit, workdir, "log", code=5)
    assert str(workdir / ".numbers" / "format") in line and "nit fsck --repair" in line
    code, report = fsck(nit)
    assert code == 5 and problems(report, "format")
    repaired_clean(nit)
    assert (workdir / ".numbers" / "format").read_text() == "2\n"


def python_cat(workdir: Path, nid: str) -> bytes:
    out = python_m("cat", nid, cwd=workdir)
    assert out.returncode == 0, out.stderr
    return out.stdout
