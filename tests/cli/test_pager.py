"""The pager: long `log`, `show` and `diff` output goes through it on a terminal, as git's
does (`NIT_PAGER`, `core.pager`, `$PAGER`, `--no-pager`); never in a pipe (issue 10).

A real terminal is a pseudo-terminal here: nit runs in a real process whose
stdout is the pty, and the pager is a shell command that copies what it is
given into a file, so the test sees exactly what a pager would have shown.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import Nit, ok


def run_on_terminal(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60
) -> tuple[int, str]:
    """`nit ARGS` with stdout and stderr on a pty; (exit code, what reached the terminal)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "numbers_cli", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    code = process.wait(timeout=timeout)
    os.close(leader)
    return code, b"".join(chunks).decode(errors="replace")


@pytest.fixture
def history(nit: Nit, repo: Path, signing_key: str) -> Path:
    for i in range(5):
        (repo / f"f{i}.txt").write_text(f"file {i}")
    ok(nit("add", "."))
    ok(nit("commit", "-m", "five files"))
    return repo


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PAGER", "NIT_PAGER", "LESS")}
    env.update({"TERM": "dumb", "NO_COLOR": "1", **extra})
    return env


def _pager(tmp_path: Path) -> tuple[str, Path]:
    seen = tmp_path / "paged.txt"
    return f"cat > {seen}; echo LESS=$LESS >> {seen}", seen


@pytest.mark.parametrize(
    "command", [["log"], ["log", "--oneline"], ["show", "f1.txt"], ["diff", "f1.txt"]]
)
def test_nit_pager_gets_the_output_on_a_terminal(
    history: Path, tmp_path: Path, command: list[str]
) -> None:
    pager, seen = _pager(tmp_path)
    code, screen = run_on_terminal(command, history, _env(tmp_path, NIT_PAGER=pager))
    assert code == 0, screen
    paged = seen.read_text()
    assert paged.strip() and "LESS=FRX" in paged  # less gets -F -R -X unless LESS is set
    assert "bafkre" in paged and "bafkre" not in screen  # it went to the pager, not around it


def test_core_pager_and_pager_env_are_used_in_that_order(
    nit: Nit, history: Path, tmp_path: Path
) -> None:
    first, first_seen = f"cat > {tmp_path / 'config.txt'}", tmp_path / "config.txt"
    ok(nit("config", "set", "core.pager", first))
    code, _ = run_on_terminal(["log"], history, _env(tmp_path, PAGER=f"cat > {tmp_path}/p.txt"))
    assert code == 0 and "commit" in first_seen.read_text()
    assert not (tmp_path / "p.txt").exists()  # core.pager wins over $PAGER
    ok(nit("config", "unset", "core.pager"))
    code, _ = run_on_terminal(["log"], history, _env(tmp_path, PAGER=f"cat > {tmp_path}/p.txt"))
    assert code == 0 and "commit" in (tmp_path / "p.txt").read_text()


@pytest.mark.parametrize(
    "how", [["--no-pager", "log"], ["log", "--no-pager"], ["log", "--json"], "cat"]
)
def test_no_pager(history: Path, tmp_path: Path, how) -> None:  # type: ignore[no-untyped-def]
    pager, seen = _pager(tmp_path)
    if how == "cat":  # NIT_PAGER=cat: no pager at all, like git
        args, env = ["log"], _env(tmp_path, NIT_PAGER="cat", PAGER=pager)
    else:
        args, env = how, _env(tmp_path, NIT_PAGER=pager)
    code, screen = run_on_terminal(args, history, env)
    assert code == 0
    assert not seen.exists()
    assert "commit" in screen or "commitCid" in screen


def test_never_paged_into_a_pipe(nit: Nit, history: Path, tmp_path: Path) -> None:
    pager, seen = _pager(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "numbers_cli", "log"],
        cwd=history,
        env=_env(tmp_path, NIT_PAGER=pager),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "commit" in done.stdout
    assert not seen.exists()


def test_a_pager_that_quits_early_is_no_error(history: Path, tmp_path: Path) -> None:
    code, screen = run_on_terminal(["log"], history, _env(tmp_path, NIT_PAGER="head -c 10"))
    assert code == 0, screen
    assert "Traceback" not in screen and "error" not in screen
