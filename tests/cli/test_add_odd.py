"""Odd input to `nit add`: what a real folder holds, names that are not UTF-8,
files that change while they are read, and standard input.

Below a directory, what cannot be an asset is skipped with one warning naming
it, and the add goes on; named on its own, it is an error. Names are kept as
bytes and shown quoted, as git does, in valid UTF-8 and valid JSON. These run
`nit` as a real process (python -m numbers_cli) where bytes on stdout matter;
as root, without the capabilities that let root read any file, so that an
unreadable file is unreadable (util-linux `setpriv`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import MEDIA, Nit, ok, one_line_error
from tests.support.store_damage import snapshot

PHOTO = "Canon_40D.jpg"
LATIN1_NAME = os.fsdecode(b"caf\xe9.jpg")  # "café.jpg" written by a Latin-1 system


def nit_process(
    cwd: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`nit ARGS` as its own process; as root, without root's power to read anything."""
    cmd = [sys.executable, "-m", "numbers_cli", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            if os.environ.get("CI"):
                pytest.fail("setpriv (util-linux) is needed to test unreadable files as root")
            pytest.skip("setpriv (util-linux) is needed to test unreadable files as root")
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=dict(os.environ))


def warnings_of(stderr: bytes) -> list[str]:
    text = stderr.decode("utf-8")  # strict: every warning is valid UTF-8
    lines = [line for line in text.splitlines() if line]
    assert all(line.startswith("warning: ") for line in lines), text
    return lines


@pytest.fixture
def album(repo: Path) -> Path:
    """A folder with one good photo and every kind of entry that is not an asset."""
    folder = repo / "album"
    (folder / "sub").mkdir(parents=True)
    shutil.copyfile(MEDIA / PHOTO, folder / "good.jpg")
    shutil.copyfile(MEDIA / "Nikon_D70.jpg", folder / "sub" / "also-good.jpg")
    (folder / "dangling.jpg").symlink_to(folder / "nowhere.jpg")
    (folder / "outside.jpg").symlink_to(MEDIA / PHOTO)  # MEDIA is outside the repository
    (folder / "inside.jpg").symlink_to(folder / "good.jpg")  # the same file: added once
    os.mkfifo(folder / "pipe")
    secret = folder / "secret.jpg"
    secret.write_bytes(b"\xff\xd8 private")
    secret.chmod(0o000)
    closed = folder / "closed"
    closed.mkdir()
    (closed / "hidden.jpg").write_bytes(b"inside a folder nobody may list")
    closed.chmod(0o000)
    yield folder
    closed.chmod(0o755)
    secret.chmod(0o644)


def test_add_dir_skips_what_cannot_be_an_asset_with_a_warning_each(repo, album):
    result = nit_process(repo, "add", "album", "--json")
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout.decode("utf-8"))
    assert sorted(a["path"] for a in added) == ["album/good.jpg", "album/sub/also-good.jpg"]
    warned = warnings_of(result.stderr)
    expected = {
        "album/dangling.jpg": "dangling symlink",
        "album/outside.jpg": "symlink out of the repository",
        "album/pipe": "FIFO",
        "album/secret.jpg": "ermission denied",
        "album/closed/": "cannot read the folder",
    }
    assert len(warned) == len(expected), warned
    for name, reason in expected.items():
        assert any(f"skipped {name}" in line and reason in line for line in warned), (name, warned)
    status = json.loads(nit_process(repo, "status", "--json").stdout)
    assert len(status["staged"]) == 2


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [("album/pipe", 1, "not a regular file"), ("album/dangling.jpg", 2, "dangling symlink")],
)
def test_odd_files_named_on_their_own_are_errors(nit, repo, album, name, code, words):
    before = snapshot(repo)
    result = nit("add", name)
    assert result.exit_code == code, result.output
    assert words in one_line_error(result)
    assert snapshot(repo) == before


def test_a_name_that_is_not_utf8_is_kept_and_quoted(repo, signing_key):
    raw = os.fsencode(LATIN1_NAME)
    (repo / LATIN1_NAME).write_bytes((MEDIA / PHOTO).read_bytes())
    quoted = '"caf\\351.jpg"'

    added = nit_process(repo, "add", ".", "--json")
    assert added.returncode == 0, added.stderr
    (entry,) = json.loads(added.stdout.decode("utf-8"))
    assert entry["path"] == quoted

    text = nit_process(repo, "status")
    assert quoted in text.stdout.decode("utf-8")
    hashed = nit_process(repo, "hash", "--json", os.fsdecode(raw))
    assert json.loads(hashed.stdout.decode("utf-8")) == [{"path": quoted, "nid": entry["nid"]}]

    committed = nit_process(repo, "commit", "-m", "x", "--json")
    assert committed.returncode == 0, committed.stderr
    assert json.loads(committed.stdout.decode("utf-8"))[0]["path"] == quoted
    # Tracked under its own bytes: unchanged on re-add, and found by its name.
    again = nit_process(repo, "add", os.fsdecode(raw), "--json")
    assert json.loads(again.stdout.decode("utf-8"))[0]["kind"] == "unchanged"
    assert nit_process(repo, "verify", os.fsdecode(raw)).returncode == 0
    assert nit_process(repo, "fsck").returncode == 0


# --- a file that changes while it is read ---------------------------------------------


def _writer_during_reads(monkeypatch: pytest.MonkeyPatch, path: Path, times: int, change) -> None:  # type: ignore[no-untyped-def]
    """Another program writes to `path` right after nit's first `times` reads of it."""
    from numbers_cli.ops import ingest

    real = ingest._read_full
    calls = {"n": 0}

    def read_then_change(stream, view):  # type: ignore[no-untyped-def]
        n = real(stream, view)
        if calls["n"] < times and os.path.samestat(os.fstat(stream.fileno()), path.stat()):
            calls["n"] += 1
            change(path)
        return n

    monkeypatch.setattr(ingest, "_read_full", read_then_change)


def grow(path: Path) -> None:
    with path.open("ab") as f:
        f.write(b"appended while nit read it")


def shrink(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size - 100)


def rewrite(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[500] ^= 0xFF
    path.write_bytes(bytes(data))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("change", [grow, shrink, rewrite])
def test_a_file_changing_while_added_is_read_again_once(nit, repo, media, monkeypatch, change):
    (photo,) = media(PHOTO)
    _writer_during_reads(monkeypatch, photo, 1, change)
    added = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    final = ok(nit("hash", PHOTO)).stdout.strip()
    assert added[0]["nid"] == final  # what was staged is what the file holds now
    assert added[0]["size"] == photo.stat().st_size


@pytest.mark.parametrize("change", [grow, shrink, rewrite])
def test_a_file_that_keeps_changing_is_refused(nit, repo, media, monkeypatch, change):
    (photo,) = media(PHOTO)
    _writer_during_reads(monkeypatch, photo, 10, change)
    before = snapshot(repo)
    result = nit("add", PHOTO)
    assert result.exit_code == 1, result.output
    assert "changed while it was being added" in one_line_error(result)
    assert snapshot(repo) == before
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"] == []


# --- standard input --------------------------------------------------------------------


def test_add_from_standard_input_with_a_name(repo, signing_key):
    data = (MEDIA / PHOTO).read_bytes()
    result = nit_process(repo, "add", "-", "--name", "scan.jpg", "--json", stdin=data)
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)
    assert (entry["path"], entry["kind"], entry["size"]) == ("scan.jpg", "new", len(data))
    assert entry["nid"] == nit_process(repo, "hash", str(MEDIA / PHOTO)).stdout.decode().strip()
    shown_tree = Nit(repo)("status", "--json")
    assert json.loads(shown_tree.stdout)["staged"][0]["path"] == "scan.jpg"
    assert nit_process(repo, "commit", "-m", "from a scanner").returncode == 0
    cat = nit_process(repo, "cat", entry["nid"])
    assert cat.stdout == data
    assert not list((repo / ".numbers" / "tmp").iterdir())  # the spool is gone


@pytest.mark.parametrize(
    "args", [["add", "-"], ["add", "-", "x.jpg", "--name", "n.jpg"], ["add", PHOTO, "--name", "n"]]
)
def test_standard_input_needs_a_name_and_nothing_else(nit, repo, media, args):
    media(PHOTO)
    result = nit(*args, input="data")
    assert result.exit_code == 2, result.output
