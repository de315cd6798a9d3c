"""`nit upgrade` on a repository the format-1 code really wrote.

tests/fixtures/format1/format1.tar.gz was made by tests/fixtures/format1/
make_format1.py with the format-1 code (commit e87223f), and its `nit log
--json` and `nit status --json` were saved next to it by that code. After the
upgrade the same commands must say the same (status is now sorted by path),
every object must verify, and the repository must go on working. A kill at
any step of the upgrade leaves format 1 (upgrade again) or format 2 (done).
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from tests.cli.test_crash_safety import child_env, crash_everywhere  # noqa: F401 - fixture
from tests.conftest import REPO_ROOT, Nit, ok, one_line_error

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "format1"
BIG = "bafybeibq5dc6lslz6egmuna6gooaqv6xszk44fv5qnuawhwyshkolqhyim"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE / "format1.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "repo"


def expected(name: str):  # type: ignore[no-untyped-def]
    return json.loads((FIXTURE / name).read_text())


def same_log(nit: Nit) -> bool:
    """`nit log --json` says what the format-1 code said (on the keys it had then;
    later versions of nit may add keys, like `path`)."""
    old = expected("expected-log.json")
    now = json.loads(ok(nit("log", "--json")).stdout)
    return [{k: e.get(k) for k in o} for e, o in zip(now, old, strict=True)] == old


def test_commands_refuse_format_1_and_name_the_upgrade(old: Path):
    nit = Nit(old)
    for args in (["log"], ["status"], ["add", "small.txt"], ["fsck"]):
        result = nit(*args)
        assert result.exit_code == 30, result.output
        line = one_line_error(result)
        assert "repository format 1" in line and "nit upgrade" in line


def test_upgrade_keeps_every_history_and_the_index(old: Path, signing_key):
    nit = Nit(old)
    report = json.loads(ok(nit("upgrade", "--json")).stdout)
    assert (report["fromFormat"], report["toFormat"], report["skippedCorrupt"]) == (1, 2, 0)
    assert (report["packs"], report["refs"], report["staged"], report["tracked"]) == (1, 4, 1, 3)

    assert same_log(nit)
    status = json.loads(ok(nit("status", "--json")).stdout)
    old_status = expected("expected-status.json")
    for key in ("staged", "unpushed", "changed"):
        assert sorted(status[key], key=json.dumps) == sorted(old_status[key], key=json.dumps)
    fsck = json.loads(ok(nit("fsck", "--json")).stdout)
    assert (fsck["ok"], fsck["assets"], fsck["commits"]) == (True, 3, 4)
    for name in ("small.txt", "photos/one.bin", "photos/big.bin"):
        assert ok(nit("verify", name)).exit_code == 0
    from tests.conftest import python_m

    assert python_m("cat", BIG, cwd=old).stdout == (old / "photos" / "big.bin").read_bytes()

    # The old layout is gone; the repository goes on.
    dotnit = old / ".numbers"
    assert not (dotnit / "refs").exists() and not (dotnit / "index").exists()
    assert not list((dotnit / "objects" / "pack").glob("*.idx"))
    assert (dotnit / "format").read_text() == "2\n"
    ok(nit("commit", "-m", "after the upgrade"))  # the staged update of one.bin
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"] == []
    again = json.loads(ok(nit("upgrade", "--json")).stdout)
    assert again["already"] is True


def test_a_rotted_loose_object_is_left_out_and_counted(old: Path):
    commit = expected("expected-log.json")[0]["commitCid"]
    (loose,) = (old / ".numbers" / "objects").glob(f"*/{commit}")
    loose.chmod(0o644)
    loose.write_bytes(loose.read_bytes() + b"rot")
    report = json.loads(ok(Nit(old)("upgrade", "--json")).stdout)
    assert report["skippedCorrupt"] == 1
    fsck = Nit(old)("fsck")
    assert fsck.exit_code == 5 and f"commit {commit} is missing" in fsck.stdout


def test_upgrade_killed_at_any_step_can_be_run_again(old: Path, tmp_path: Path, child_env):  # noqa: F811
    outcomes = set()
    for what, copy in crash_everywhere(
        old, tmp_path / "runs", ["upgrade"], child_env, "before", "fs,block,db"
    ):
        nit = Nit(copy)
        fmt = (copy / ".numbers" / "format").read_text().strip()
        assert fmt in ("1", "2"), what
        outcomes.add(fmt)
        if fmt == "1":
            assert nit("log").exit_code == 30, what
        ok(nit("upgrade"))
        assert same_log(nit), what
        fsck = json.loads(nit("fsck", "--json").stdout)
        assert fsck["ok"] and fsck["unrecordedPacks"] == 0, (what, fsck)
        shutil.rmtree(copy)
    assert outcomes == {"1", "2"}


def test_upgrade_outside_a_repository(tmp_path: Path):
    result = Nit(tmp_path)("upgrade")
    assert result.exit_code == 3
