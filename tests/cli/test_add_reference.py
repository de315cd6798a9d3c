"""`nit add --no-copy`: the file stays where it is, the store records where.

Everything that reads the asset's bytes afterwards (`cat`, `export`, `verify`,
`push`, `fsck`) reads the file again and checks it against its Nid; a file
that changed or is gone is said to be so (exit 31), never served as the asset.
`push` is tested with a real IPFS node in tests/push/test_push_ipfs.py.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error, python_m
from tests.support.store_damage import pack_files, snapshot

PHOTO = "Canon_40D.jpg"


def stored_bytes(workdir: Path) -> int:
    return sum(p.stat().st_size for p in pack_files(workdir))


@pytest.fixture
def big(workdir: Path) -> Path:
    path = workdir / "big.bin"
    path.write_bytes(random.Random(3).randbytes(3 * 262_144 + 77))  # 4 leaves and a root
    return path


def test_no_copy_records_without_copying(nit, repo, big, media, signing_key):
    media(PHOTO)
    added = json.loads(ok(nit("add", "--no-copy", "big.bin", PHOTO, "--json")).stdout)
    assert [a["referenced"] for a in added] == [True, True]
    assert stored_bytes(repo) < 4096  # two UnixFS nodes at most, not 800 KiB of content
    ok(nit("commit", "-m", "by reference"))
    for a in added:
        out = python_m("cat", a["nid"], cwd=repo)
        assert out.returncode == 0 and out.stdout == (repo / a["path"]).read_bytes()
        assert ok(nit("verify", a["nid"])).exit_code == 0
    code = nit("fsck", "--json")
    assert code.exit_code == 0
    assert json.loads(code.stdout)["referencedFiles"] == 2


def test_config_default_and_copy_override(nit, repo, big, media):
    ok(nit("config", "set", "add.reference", "true"))
    media(PHOTO)
    (first,) = json.loads(ok(nit("add", PHOTO, "--json")).stdout)
    assert first["referenced"] is True
    (second,) = json.loads(ok(nit("add", "--copy", "big.bin", "--json")).stdout)
    assert second["referenced"] is False
    assert stored_bytes(repo) > big.stat().st_size


@pytest.mark.parametrize("how", ["edited", "truncated", "deleted", "replaced"])
def test_a_referenced_file_that_changed_is_said_to_have(nit, repo, big, signing_key, tmp_path, how):
    (entry,) = json.loads(ok(nit("add", "--no-copy", "big.bin", "--json")).stdout)
    ok(nit("commit", "-m", "x"))
    original = big.read_bytes()
    if how == "edited":
        data = bytearray(original)
        data[300_000] ^= 1
        big.write_bytes(bytes(data))
    elif how == "truncated":
        big.write_bytes(original[:-10])
    elif how == "deleted":
        big.unlink()
    else:
        os.replace(_other(tmp_path, len(original)), big)  # same size, other bytes
    words = "is gone" if how == "deleted" else "has changed since"

    before = snapshot(repo)
    out = python_m("cat", entry["nid"], cwd=repo)
    assert out.returncode == 31
    assert "big.bin was added by reference and " + words in out.stderr.decode()
    assert len(out.stderr.decode().strip().splitlines()) == 1
    exported = nit("export", entry["nid"], "--car", str(tmp_path / "x.car"))
    assert exported.exit_code == 31, exported.output
    assert words in one_line_error(exported)
    assert not (tmp_path / "x.car").exists()
    assert snapshot(repo) == before

    fsck = nit("fsck", "--json")
    report = json.loads(fsck.stdout)
    assert fsck.exit_code == 31  # not a damaged repository: a file that moved on
    assert report["ok"] is True and report["problems"] == []
    state = "gone" if how == "deleted" else "changed"
    assert report["references"] == [{"path": "big.bin", "nid": entry["nid"], "state": state}]
    text = nit("fsck")
    assert (
        "big.bin" in text.stdout
        and ("is gone" if how == "deleted" else "has changed") in text.stdout
    )

    big.write_bytes(original)  # the original is back: everything works again
    assert python_m("cat", entry["nid"], cwd=repo).stdout == original
    assert nit("fsck").exit_code == 0


def _other(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "other.bin"
    path.write_bytes(os.urandom(size))
    return path


def test_re_adding_by_copy_makes_the_asset_independent_of_the_file(nit, repo, big, signing_key):
    (entry,) = json.loads(ok(nit("add", "--no-copy", "big.bin", "--json")).stdout)
    ok(nit("commit", "-m", "x"))
    os.utime(big, (1, 1))  # the stat moved: the file is read (and now copied)
    ok(nit("add", "--copy", "big.bin"))
    original = big.read_bytes()
    big.unlink()
    assert python_m("cat", entry["nid"], cwd=repo).stdout == original


def test_status_and_log_do_not_need_the_file(nit: Nit, repo, big, signing_key):
    ok(nit("add", "--no-copy", "big.bin"))
    ok(nit("commit", "-m", "x"))
    big.unlink()
    assert ok(nit("log")).exit_code == 0
    status = json.loads(ok(nit("status", "--json")).stdout)
    assert status["changed"] == [
        {"path": "big.bin", "nid": status["changed"][0]["nid"], "state": "deleted"}
    ]
