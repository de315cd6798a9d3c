"""A `nit` killed with SIGKILL at any step leaves a repository that is whole.

Each test first runs the command once to the end through tests/support/crash.py,
which numbers every step that changes the disk (renames, links, unlinks, mkdirs,
each block written to a pack, each statement written to the store, BEGIN and
COMMIT included). Then, for every step N, it runs the same command on a fresh
copy of the same repository and kills it just before or just after step N.
After each crash: `nit fsck` is clean, the change is entirely there or entirely
absent, and running the command again finishes the job exactly once. A last
test kills a commit at moments spread over its run, from outside, to land also
inside SQLite's own writes, where no Python step can stop it.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[1] / "support" / "crash.py"
PHOTOS = ("Canon_40D.jpg", "Nikon_D70.jpg", "gps-DSCN0010.jpg")
BIG = "hdr-iphone_hdr_YES.jpg"  # 1.9 MiB: several blocks, stored as a pack


def run_driver(
    cwd: Path,
    trace: Path,
    args: list[str],
    env: dict[str, str],
    kill_at: int = 0,
    when: str = "before",
    kinds: str = "fs",
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(DRIVER), "--trace", str(trace), "--kinds", kinds]
    if kill_at:
        cmd += ["--kill-at", str(kill_at), "--when", when]
    return subprocess.run(
        [*cmd, "--", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def copy_repo(source: Path, target: Path) -> None:
    """copytree, once the in-process runs' store connections are closed (closing one
    checkpoints and removes the write-ahead log, which must not happen mid-copy)."""
    gc.collect()
    shutil.copytree(source, target)


def steps_of(trace: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in trace.read_text().splitlines()]


def crash_everywhere(
    base: Path, scratch: Path, args: list[str], env: dict[str, str], when: str, kinds: str = "fs"
) -> list[tuple[str, Path]]:
    """Copy `base` once per step and kill `nit ARGS` at that step in each copy.

    Returns (which step, crashed copy) for every step.
    """
    dry = scratch / "dry-run"
    copy_repo(base, dry)
    done = run_driver(dry, scratch / "dry-run.jsonl", args, env, kinds=kinds)
    assert done.returncode == 0, done.stderr
    steps = steps_of(scratch / "dry-run.jsonl")
    # The hooks saw the command's writes (a file's leaves are one step per buffer).
    assert len(steps) >= (2 if kinds == "block" else 5), steps

    def crash(n: int) -> tuple[str, Path]:
        copy = scratch / f"crash-{n}"
        copy_repo(base, copy)
        killed = run_driver(copy, scratch / f"crash-{n}.jsonl", args, env, n, when, kinds)
        step = steps[n - 1]
        what = f"{when} step {n}/{len(steps)}: {step['call']} {Path(step['path']).name}"
        assert killed.returncode == -signal.SIGKILL, (what, killed.returncode, killed.stderr)
        return what, copy

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(crash, range(1, len(steps) + 1)))


def json_of(result) -> object:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_fsck_clean(nit, where: Path, what: str) -> None:
    result = nit("-C", str(where), "fsck", "--json")
    assert result.exit_code == 0, (what, result.output)
    assert json.loads(result.stdout)["ok"] is True, what


@pytest.fixture
def child_env(signing_key, private_key) -> dict[str, str]:
    """The test's private environment (HOME, NIT_CONFIG_DIR in tmp) plus the signing key."""
    env = dict(os.environ)
    env["NIT_PRIVATE_KEY"] = private_key
    return env


@pytest.mark.parametrize("when", ["before", "after"])
def test_commit_killed_at_any_step_is_all_or_nothing(nit, repo, media, tmp_path, child_env, when):
    media(*PHOTOS)
    staged = json_of(nit("add", ".", "--json"))
    assets = {a["nid"]: a["path"] for a in staged}
    assert len(assets) == len(PHOTOS)

    outcomes = set()
    for what, copy in crash_everywhere(
        repo, tmp_path / "runs", ["commit", "-m", "x"], child_env, when, "fs,block,db"
    ):
        assert_fsck_clean(nit, copy, what)
        log = json_of(nit("-C", str(copy), "log", "--json"))
        status = json_of(nit("-C", str(copy), "status", "--json"))
        committed = {e["asset"] for e in log}
        pending = {s["nid"] for s in status["staged"]}
        # Every asset is committed once or still staged, never both, never lost ...
        assert len(log) == len(committed), (what, log)
        assert committed | pending == set(assets), what
        assert not committed & pending, what
        # ... and the commit as a whole landed or did not.
        assert committed in (set(), set(assets)), (what, committed)
        outcomes.add(bool(committed))

        rerun = nit("-C", str(copy), "commit", "-m", "x", "--json")
        if committed:
            assert rerun.exit_code == 2, (what, rerun.output)
            assert "nothing to commit" in rerun.stderr
        else:
            assert rerun.exit_code == 0, (what, rerun.output)
            assert sorted(c["asset"] for c in json.loads(rerun.stdout)) == sorted(assets), what
        log = json_of(nit("-C", str(copy), "log", "--json"))
        assert sorted(e["asset"] for e in log) == sorted(assets), (what, "exactly one commit each")
        assert json_of(nit("-C", str(copy), "status", "--json"))["staged"] == [], what
        assert_fsck_clean(nit, copy, what)
        for path in assets.values():
            verified = nit("-C", str(copy), "verify", path)
            assert verified.exit_code == 0, (what, verified.output)

    # Killed just after the store's COMMIT, the commit is there; just before any step, it
    # is not (the COMMIT is the commit's last step, so "before" never sees it done).
    assert outcomes == ({False, True} if when == "after" else {False}), outcomes


@pytest.mark.parametrize(
    ("when", "kinds"),
    [("before", "fs"), ("after", "fs"), ("before", "block"), ("before", "db"), ("after", "db")],
)
def test_add_of_large_file_killed_at_any_step(nit, repo, media, tmp_path, child_env, when, kinds):
    media(BIG)
    expected_nid = nit("hash", BIG).stdout.strip()

    outcomes = set()
    for what, copy in crash_everywhere(
        repo, tmp_path / "runs", ["add", BIG], child_env, when, kinds
    ):
        assert_fsck_clean(nit, copy, what)
        status = json_of(nit("-C", str(copy), "status", "--json"))
        staged = [s["nid"] for s in status["staged"]]
        assert staged in ([], [expected_nid]), (what, staged)
        outcomes.add(bool(staged))

        again = nit("-C", str(copy), "add", BIG, "--json")
        assert again.exit_code == 0, (what, again.output)
        assert [(a["nid"], a["kind"]) for a in json.loads(again.stdout)] == [
            (expected_nid, "new")
        ], what
        assert_fsck_clean(nit, copy, what)
        committed = nit("-C", str(copy), "commit", "-m", "x")
        assert committed.exit_code == 0, (what, committed.output)
        # Every stored block re-hashes to its CID and the whole file to the tree's sha256.
        assert nit("-C", str(copy), "verify", expected_nid).exit_code == 0, what

    # Only the store's COMMIT (its last step) makes the add visible: every pack write and
    # rename comes before it, so only a kill just after that statement sees the add done.
    expected = {False, True} if (when, kinds) == ("after", "db") else {False}
    assert outcomes == expected


@pytest.mark.parametrize("when", ["before", "after"])
def test_add_of_a_file_of_several_buffers_killed_at_any_step(nit, repo, tmp_path, child_env, when):
    """Larger than one 4 MiB buffer: hashed on the helper threads, its pack written
    past the page cache (repo.aligned), killed at every pack write, rename and statement."""
    import random

    (repo / "scan.tif").write_bytes(random.Random(9).randbytes(9 * 2**20 + 4321))
    expected_nid = nit("hash", "scan.tif").stdout.strip()
    outcomes = set()
    for what, copy in crash_everywhere(
        repo, tmp_path / "runs", ["add", "scan.tif"], child_env, when, "fs,block,db"
    ):
        assert_fsck_clean(nit, copy, what)
        staged = [s["nid"] for s in json_of(nit("-C", str(copy), "status", "--json"))["staged"]]
        assert staged in ([], [expected_nid]), (what, staged)
        outcomes.add(bool(staged))
        again = json_of(nit("-C", str(copy), "add", "scan.tif", "--json"))
        assert [a["nid"] for a in again] == [expected_nid], what
        assert_fsck_clean(nit, copy, what)
        assert nit("-C", str(copy), "commit", "-m", "x").exit_code == 0, what
        assert nit("-C", str(copy), "verify", expected_nid).exit_code == 0, what
    assert outcomes == ({False, True} if when == "after" else {False}), outcomes


def test_a_second_writer_killed_after_an_interrupted_commit(nit, repo, media, tmp_path, child_env):
    """A commit killed right after its COMMIT (the log holds it, nothing is checkpointed),
    then the next writer killed at any step: the commit is whole, the add all or nothing."""
    media(*PHOTOS)
    assets = {a["nid"] for a in json_of(nit("add", ".", "--json"))}

    dry = tmp_path / "dry-run"
    copy_repo(repo, dry)
    assert (
        run_driver(
            dry, tmp_path / "dry.jsonl", ["commit", "-m", "x"], child_env, kinds="db"
        ).returncode
        == 0
    )
    calls = [s["call"] for s in steps_of(tmp_path / "dry.jsonl")]
    commit_step = len(calls) - calls[::-1].index("commit")  # the last COMMIT

    crashed = tmp_path / "crashed"
    copy_repo(repo, crashed)
    killed = run_driver(
        crashed, tmp_path / "k.jsonl", ["commit", "-m", "x"], child_env, commit_step, "after", "db"
    )
    assert killed.returncode == -signal.SIGKILL
    (crashed / "extra.jpg").write_bytes((crashed / PHOTOS[0]).read_bytes() + b"extra")

    for what, copy in crash_everywhere(
        crashed, tmp_path / "runs", ["add", "extra.jpg"], child_env, "before", "fs,block,db"
    ):
        assert_fsck_clean(nit, copy, what)
        log = json_of(nit("-C", str(copy), "log", "--json"))
        assert sorted(e["asset"] for e in log) == sorted(assets), what
        staged = json_of(nit("-C", str(copy), "status", "--json"))["staged"]
        assert [s["path"] for s in staged] in ([], ["extra.jpg"]), what


def test_commit_killed_at_moments_spread_over_its_run(nit, repo, tmp_path, child_env):
    """SIGKILL from outside at a dozen instants, including inside SQLite's C code."""
    for i in range(300):
        (repo / f"f{i:03d}.bin").write_bytes(os.urandom(512) + i.to_bytes(4, "big"))
    assets = {a["nid"] for a in json_of(nit("add", ".", "--json"))}
    base = tmp_path / "base"
    copy_repo(repo, base)
    cmd = [sys.executable, "-m", "numbers_cli", "commit", "-m", "x"]
    start = time.monotonic()
    subprocess.run(cmd, cwd=tmp_path / "base", env=child_env, check=True, capture_output=True)
    shutil.rmtree(base)
    duration = time.monotonic() - start
    outcomes = set()
    for n in range(12):
        copy = tmp_path / f"timed-{n}"
        copy_repo(repo, copy)
        proc = subprocess.Popen(
            cmd, cwd=copy, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(duration * (0.2 + 0.8 * n / 11))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        what = f"killed after {n}/11 of the run (exit {proc.returncode})"
        assert_fsck_clean(nit, copy, what)
        committed = {e["asset"] for e in json_of(nit("-C", str(copy), "log", "--json"))}
        pending = {s["nid"] for s in json_of(nit("-C", str(copy), "status", "--json"))["staged"]}
        assert committed in (set(), assets), what
        assert committed | pending == assets and not committed & pending, what
        outcomes.add(bool(committed))
        shutil.rmtree(copy)
