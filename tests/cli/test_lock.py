"""One writer at a time: a second `nit` that needs to write says the repository is busy.

NIT_LOCK_TIMEOUT (seconds) bounds how long a writer waits for the lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from numbers_cli.repo.lock import exclusive

PHOTO = "Canon_40D.jpg"
NO_WAIT = {"NIT_LOCK_TIMEOUT": "0"}

HOLDER = """
import sys
from pathlib import Path
from numbers_cli.repo.lock import exclusive
with exclusive(Path(sys.argv[1]), 0):
    print("locked", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin (or kills us)
"""


def lock_path(repo: Path) -> Path:
    return repo / ".numbers" / "lock"


def assert_busy(result, pid: int) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 7, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nit: ")
    assert "another nit process" in lines[0]
    assert f"pid {pid}" in lines[0]
    assert "Traceback" not in result.output


@pytest.fixture
def holder(repo: Path):  # type: ignore[no-untyped-def]
    """Another process holding the repository's write lock until the test lets go."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path(repo))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_add_while_another_process_writes_fails_with_7(nit, repo, media, holder):
    media(PHOTO)
    assert_busy(nit("add", PHOTO, env=NO_WAIT), holder.pid)
    # Nothing was staged by the refused add.
    assert json.loads(nit("status", "--json").stdout)["staged"] == []


def test_add_succeeds_once_the_other_process_finishes(nit, repo, media, holder):
    media(PHOTO)
    assert nit("add", PHOTO, env=NO_WAIT).exit_code == 7
    holder.stdin.close()  # the holder leaves its `with` block and exits
    assert holder.wait(timeout=30) == 0
    result = nit("add", PHOTO, env=NO_WAIT)
    assert result.exit_code == 0, result.output


def test_lock_of_a_killed_process_is_not_stale(nit, repo, media, holder):
    """flock dies with its holder: no `rm .numbers/lock` needed after a SIGKILL."""
    media(PHOTO)
    holder.send_signal(signal.SIGKILL)
    assert holder.wait(timeout=30) == -signal.SIGKILL
    assert lock_path(repo).exists()  # the file stays, the lock does not
    result = nit("add", PHOTO, env=NO_WAIT)
    assert result.exit_code == 0, result.output


def test_lock_held_in_this_process_blocks_add_and_commit(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    with exclusive(lock_path(repo), 0):
        assert_busy(nit("add", PHOTO, "--license", "mit", env=NO_WAIT), os.getpid())
        assert_busy(nit("commit", "-m", "x", env=NO_WAIT), os.getpid())
        assert nit("fsck", env=NO_WAIT).exit_code == 7
    status = json.loads(nit("status", "--json").stdout)
    assert [s["kind"] for s in status["staged"]] == ["new"]  # the refused update left no trace
    assert nit("commit", "-m", "x").exit_code == 0


def test_readers_are_not_blocked_by_a_writer(nit, repo, media, signing_key):
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    assert nit("commit", "-m", "x").exit_code == 0
    with exclusive(lock_path(repo), 0):
        for args in (["status"], ["log"], ["show", PHOTO], ["verify", PHOTO], ["diff", PHOTO]):
            result = nit(*args, env=NO_WAIT)
            assert result.exit_code == 0, (args, result.output)


def test_short_timeout_waits_then_gives_up(nit, repo, media, holder):
    """A non-zero timeout still ends in exit 7 (how long it took is not asserted)."""
    media(PHOTO)
    assert_busy(nit("add", PHOTO, env={"NIT_LOCK_TIMEOUT": "0.2"}), holder.pid)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_bad_lock_timeout_is_a_config_error(nit, repo, media, value):
    media(PHOTO)
    result = nit("add", PHOTO, env={"NIT_LOCK_TIMEOUT": value})
    assert result.exit_code == 8, result.output
    assert result.stderr.startswith("nit: ") and "NIT_LOCK_TIMEOUT" in result.stderr
    assert len(result.stderr.splitlines()) == 1
