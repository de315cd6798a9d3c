"""Plumbing a script relies on: `nit hash`, `nit cat`, `-C`, `--version`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.store_damage import flip_in_file

import numbers_cli

BIG = "hdr-iphone_hdr_YES.jpg"  # 1.9 MiB: a chunked UnixFS file, stored as a pack
PHOTO = "Canon_40D.jpg"  # 8 KiB: a single raw block
MEDIA = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "media"


def python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """`python -m numbers_cli ARGS` in a real process (binary stdout stays binary)."""
    return subprocess.run(
        [sys.executable, "-m", "numbers_cli", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
    )


def add_one(nit, name: str) -> str:  # type: ignore[no-untyped-def]
    result = nit("add", name, "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    return entry["nid"]


@pytest.mark.parametrize("name", [BIG, PHOTO, "mobile-jolla.jpg", "heic-IMG_5195.HEIC"])
def test_cat_gives_back_the_original_bytes(nit, repo, media, signing_key, name):
    (path,) = media(name)
    nid = add_one(nit, name)
    assert nit("commit", "-m", "x").exit_code == 0
    path.unlink()  # the repository's copy is all there is now
    out = python_m("cat", nid, cwd=repo)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (MEDIA / name).read_bytes()
    assert out.stderr == b""


def test_cat_block_of_a_large_file_is_its_root_node(nit, repo, media):
    (path,) = media(BIG)
    nid = add_one(nit, BIG)
    block = python_m("cat", "--block", nid, cwd=repo)
    assert block.returncode == 0, block.stderr
    assert 0 < len(block.stdout) < 4096  # links to the chunks, not the photo
    assert block.stdout != path.read_bytes()[: len(block.stdout)]


@pytest.mark.parametrize("name", [BIG, PHOTO, "tiff-BSG1.tiff", "heic-IMG_5195.HEIC", "README.md"])
def test_hash_is_the_nid_add_reports(nit, repo, media, name):
    media(name)
    hashed = nit("hash", name)
    assert hashed.exit_code == 0, hashed.output
    assert hashed.stdout.strip() == add_one(nit, name)


def test_hash_needs_no_repository(nit, workdir, media):
    media(PHOTO, BIG)
    result = nit("hash", PHOTO, BIG)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("  ")[1] for line in lines] == [PHOTO, BIG]
    assert lines[0].startswith("bafkrei")  # one raw block
    assert lines[1].startswith("bafybei")  # a dag-pb root
    assert not (workdir / ".numbers").exists()


def test_hash_of_empty_file_is_the_well_known_cid(nit, workdir):
    (workdir / "empty").write_bytes(b"")
    assert (
        nit("hash", "empty").stdout.strip()
        == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    )


def test_hash_of_missing_file(nit, workdir):
    result = nit("hash", "nope.jpg")
    assert result.exit_code == 4
    assert result.stderr.startswith("nit: ") and len(result.stderr.splitlines()) == 1


def test_cat_refuses_a_corrupted_pack(nit, repo, media, signing_key):
    media(BIG)
    nid = add_one(nit, BIG)
    assert nit("commit", "-m", "x").exit_code == 0
    pack = repo / ".numbers" / "objects" / "pack" / f"{nid}.car"
    flip_in_file(pack, pack.stat().st_size // 3, 0xFF)
    out = python_m("cat", nid, cwd=repo)
    assert out.returncode == 5
    assert out.stderr.decode().startswith("nit: error: ") and b"Traceback" not in out.stderr
    assert nit("fsck").exit_code == 5
    assert nit("verify", nid).exit_code == 10


def test_version(nit, workdir):
    proc = subprocess.run(
        [sys.executable, "-m", "numbers_cli", "--version"],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"nit, version {numbers_cli.__version__}"
    assert nit("--version").stdout == proc.stdout


def test_help_lists_exit_codes(nit):
    result = nit("--help")
    assert result.exit_code == 0
    for line in ("10  verify: content", "11  verify: tree", "7  repository busy"):
        assert line in result.stdout


def test_dash_c_runs_as_if_started_there(nit, repo, media, signing_key, tmp_path):
    """`nit -C DIR verify FILE`: FILE is taken from DIR, as with `git -C`."""
    media(PHOTO)
    nid = add_one(nit, PHOTO)
    assert nit("commit", "-m", "x").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "numbers_cli", "-C", str(repo), "verify", PHOTO, "--json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["asset"] == nid
    for args in (["show", PHOTO], ["log", PHOTO], ["status"], ["add", PHOTO]):
        result = subprocess.run(
            [sys.executable, "-m", "numbers_cli", "-C", str(repo), *args],
            cwd=elsewhere,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, (args, result.stderr)
