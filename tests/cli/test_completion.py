"""Shell completion: `nit completion SHELL`, and what TAB offers (issue 10).

The completion protocol is click's: the shell script calls nit back with
`_NIT_COMPLETE=<shell>_complete`, `COMP_WORDS` and `COMP_CWORD` (bash: the line
up to the cursor, `COMP_LINE`). These tests call nit the same way, in real
processes; test_completion_shells.py runs the scripts in the real shells.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import Nit, ok

PHOTO = "Canon_40D.jpg"


def complete(cwd: Path, words: str, shell: str = "bash") -> list[tuple[str, str]]:
    """(type, value) pairs nit offers for the last word of `words` (click's protocol)."""
    parts = words.split(" ")
    return ask(
        cwd,
        {
            "_NIT_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        },
    )


def complete_line(cwd: Path, line: str) -> list[tuple[str, str]]:
    """What nit offers to the bash script, which sends the line up to the cursor."""
    return ask(cwd, {"_NIT_COMPLETE": "bash_complete", "COMP_LINE": line})


def ask(cwd: Path, variables: dict[str, str]) -> list[tuple[str, str]]:
    env = dict(os.environ)
    env.update(variables)
    done = subprocess.run(
        [sys.executable, "-m", "numbers_cli"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    pairs = []
    for line in done.stdout.splitlines():
        if not line:
            continue
        kind, _, value = line.partition(",")
        pairs.append((kind, value))
    return pairs


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script(nit: Nit, shell: str) -> None:
    result = nit("completion", shell)
    assert result.exit_code == 0, result.output
    assert "_NIT_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def test_completion_of_an_unknown_shell_is_a_usage_error(nit: Nit) -> None:
    result = nit("completion", "tcsh")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "nit: error: invalid value for '{bash|zsh|fish}': 'tcsh' is not one of"
    )


def test_command_names_and_options(workdir: Path) -> None:
    assert complete(workdir, "nit lo") == [("plain", "log")]
    assert ("plain", "remote") in complete(workdir, "nit re")
    assert ("plain", "restore") in complete(workdir, "nit re")
    assert ("plain", "--oneline") in complete(workdir, "nit log --one")
    assert ("plain", "create") in complete(workdir, "nit wallet cr")


def test_bash_sends_the_line_as_typed(workdir: Path) -> None:
    """`COMP_LINE`: `--opt=` and quotes are read as typed (bash's COMP_WORDS splits at `=`)."""
    assert complete_line(workdir, "nit lo") == [("plain", "log")]
    assert ("plain", "add") in complete_line(workdir, "nit ")
    assert complete_line(workdir, "nit push --network=sn") == [("plain", "snow")]
    assert complete_line(workdir, 'nit add "My Ph') == [("file", "My Ph")]
    assert complete_line(workdir, "nit add My\\ Ph") == [("file", "My Ph")]
    assert complete_line(workdir, "nit add ") == [("file", "")]


def test_an_unknown_shell_gets_nothing(workdir: Path) -> None:
    env = dict(os.environ, _NIT_COMPLETE="tcsh_complete", COMP_WORDS="nit ", COMP_CWORD="1")
    done = subprocess.run(
        [sys.executable, "-m", "numbers_cli"],
        cwd=workdir,
        env=env,
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, b"", b"")


def test_network_names(workdir: Path) -> None:
    offered = complete(workdir, "nit push --network ")
    assert ("plain", "jade") in offered and ("plain", "devnet") in offered
    assert complete(workdir, "nit log x --remote --network sn") == [("plain", "snow")]


def test_config_keys(workdir: Path) -> None:
    assert complete(workdir, "nit config get add.") == [
        ("plain", "add.license"),
        ("plain", "add.reference"),
    ]


def test_asset_and_commit_nids_and_files(nit: Nit, repo: Path, media, signing_key: str) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    ok(nit("commit", "-m", "x"))
    (entry,) = json.loads(ok(nit("log", "--json")).stdout)
    asset, commit = entry["asset"], entry["commitCid"]
    offered = complete(repo, "nit log b")
    assert ("plain", asset) in offered
    assert ("file", "b") in offered  # file names still complete
    # show takes commits too; log takes assets only.
    assert ("plain", commit) in complete(repo, "nit show b")
    assert ("plain", commit) not in offered
    # Outside a repository: files only, and no error.
    assert complete(repo.parent, "nit log b") == [("file", "b")]


def test_remote_names(nit: Nit, repo: Path) -> None:
    ok(nit("remote", "add", "origin", "http://127.0.0.1:5001"))
    assert complete(repo, "nit push --remote or") == [("plain", "origin")]
    assert complete(repo, "nit remote remove ") == [("plain", "origin")]


def test_a_broken_config_completes_nothing_and_says_nothing(nit: Nit, repo: Path) -> None:
    (repo / ".numbers" / "config.toml").write_text("[broken")
    assert complete(repo, "nit push --network ") == []
