"""A `nit` killed with SIGKILL at any step leaves a repository that is whole.

Each test first runs the command once to the end through tests/support/crash.py,
which numbers every step that changes the disk (renames, links, unlinks, mkdirs
and, for `add`, each block written to the pack). Then, for every step N, it runs
the same command on a fresh copy of the same repository and kills it just
before or just after step N. After each crash: `nit fsck` is clean, the change
is entirely there or entirely absent, and running the command again finishes
the job exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
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


def steps_of(trace: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in trace.read_text().splitlines()]


def crash_everywhere(
    base: Path, scratch: Path, args: list[str], env: dict[str, str], when: str, kinds: str = "fs"
) -> list[tuple[str, Path]]:
    """Copy `base` once per step and kill `nit ARGS` at that step in each copy.

    Returns (which step, crashed copy) for every step.
    """
    dry = scratch / "dry-run"
    shutil.copytree(base, dry)
    done = run_driver(dry, scratch / "dry-run.jsonl", args, env, kinds=kinds)
    assert done.returncode == 0, done.stderr
    steps = steps_of(scratch / "dry-run.jsonl")
    assert len(steps) >= 5, steps  # the hooks saw the command's writes

    def crash(n: int) -> tuple[str, Path]:
        copy = scratch / f"crash-{n}"
        shutil.copytree(base, copy)
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
        repo, tmp_path / "runs", ["commit", "-m", "x"], child_env, when
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

    assert outcomes == {False, True}, "the sweep should cross the commit point"


@pytest.mark.parametrize(
    ("when", "kinds"), [("before", "fs"), ("after", "fs"), ("before", "block")]
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

    expected = {False, True} if kinds == "fs" else {False}
    assert outcomes == expected


def test_crash_while_finishing_an_interrupted_commit(nit, repo, media, tmp_path, child_env):
    """Killed again while the next `nit` replays the journal: still whole, still exactly once."""
    media(*PHOTOS)
    assets = {a["nid"] for a in json_of(nit("add", ".", "--json"))}

    dry = tmp_path / "dry-run"
    shutil.copytree(repo, dry)
    assert run_driver(dry, tmp_path / "dry.jsonl", ["commit", "-m", "x"], child_env).returncode == 0
    names = [Path(s["path"]).name for s in steps_of(tmp_path / "dry.jsonl")]
    (journal_step,) = [i for i, name in enumerate(names, 1) if name.startswith(".journal.")]

    crashed = tmp_path / "crashed"
    shutil.copytree(repo, crashed)
    killed = run_driver(
        crashed, tmp_path / "k.jsonl", ["commit", "-m", "x"], child_env, journal_step, "after"
    )
    assert killed.returncode == -signal.SIGKILL
    assert (crashed / ".numbers" / "journal").is_file()  # written, not yet applied

    for what, copy in crash_everywhere(crashed, tmp_path / "runs", ["status"], child_env, "before"):
        assert_fsck_clean(nit, copy, what)
        log = json_of(nit("-C", str(copy), "log", "--json"))
        assert sorted(e["asset"] for e in log) == sorted(assets), what
        assert json_of(nit("-C", str(copy), "status", "--json"))["staged"] == [], what
        assert not (copy / ".numbers" / "journal").exists(), what
