"""`nit add` in a new process loads what adding that file needs, and nothing more.

Start-up is most of a small `nit add` and a tenth of adding 1 GiB (issue 9).
exifread and ops.manifest cost ~10 ms; a data file, a PDF or a video needs
neither. rich costs ~12 ms: output into a pipe or a file, or JSON, is written
without it. The C2PA mapping (ops.claims, model.c2pa, the SDK) is for files
that may carry a manifest; commits, difflib's suggestions, the TOML parser (for
`nit init`'s comment-only config), `secrets` (with `random`) and `shutil` (with
bz2 and lzma) are not needed at all. A photo must still get its capture time from Exif, and a terminal its
colours: each half is checked in real processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import MEDIA

_ADD = """
import os, sys
from numbers_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
watched = os.environ["WATCH"].split(",")
loaded = [m for m in watched if m in sys.modules]
print("code", code, "loaded", ",".join(loaded) or "-", file=sys.stderr)
"""

#: What adding a data file needs none of (each name fails the test when loaded).
UNNEEDED = (
    "exifread",
    "numbers_cli.ops.manifest",
    "rich",
    "rich.console",
    "rich.text",
    "numbers_cli.cli.console",
    "numbers_cli.ops.claims",
    "numbers_cli.model.c2pa",
    "c2pa",
    "numbers_cli.model.commit",
    "difflib",
    "tomli",
    "secrets",
    "random",
    "shutil",  # with bz2 and lzma
)


def _run(
    repo: Path,
    *args: str,
    watch: tuple[str, ...] = ("exifread", "numbers_cli.ops.manifest"),
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _ADD, "add", *args],
        cwd=repo,
        env={**os.environ, **env, "WATCH": ",".join(watch)},
        capture_output=True,
        text=True,
        check=False,
    )


def _add(repo: Path, name: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    done = _run(repo, "--json", name)
    return done.stderr.splitlines()[-1], json.loads(done.stdout) if done.stdout else {}


def test_add_of_a_data_file_loads_no_exif_reader(nit, repo: Path) -> None:
    (repo / "table.bin").write_bytes(os.urandom(4096))
    line, _ = _add(repo, "table.bin")
    assert line == "code 0 loaded -"


def test_add_of_a_photo_still_reads_its_exif(nit, repo: Path, signing_key: str) -> None:
    shutil.copy(MEDIA / "Canon_40D.jpg", repo / "photo.jpg")
    line, _ = _add(repo, "photo.jpg")
    assert line == "code 0 loaded exifread"
    assert nit("commit", "-m", "photo").exit_code == 0
    shown = nit("show", "photo.jpg", "--json")
    assert shown.exit_code == 0, shown.stderr
    # the capture time and camera of its Exif (1212162961 = 2008-05-30 15:56:01 UTC)
    assert "1212162961" in shown.stdout and "Canon EOS 40D" in shown.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_add_of_a_data_file_into_a_pipe_loads_no_rich_c2pa_or_commit_code(
    nit, repo: Path, as_json: bool
) -> None:
    (repo / "table.csv").write_text("a,b\n1,2\n")
    args = ("--json", "table.csv") if as_json else ("table.csv",)
    done = _run(repo, *args, watch=UNNEEDED)
    assert done.stderr.splitlines()[-1] == "code 0 loaded -", done.stderr
    if as_json:
        assert json.loads(done.stdout)[0]["kind"] == "new"
    else:  # the line rich wrote before, byte for byte (tests/cli/test_plain_output.py)
        nid = json.loads(nit("status", "--json").stdout)["staged"][0]["nid"]
        assert done.stdout == f"new  {nid}  table.csv (8 B)\n"


def test_add_on_a_terminal_still_gets_its_colours(nit, repo: Path) -> None:
    """FORCE_COLOR makes rich treat the pipe as a terminal: the line is styled, through rich."""
    (repo / "table.csv").write_text("a,b\n1,2\n")
    done = _run(repo, "table.csv", watch=("rich.console",), FORCE_COLOR="1")
    assert done.stderr.splitlines()[-1] == "code 0 loaded rich.console", done.stderr
    assert done.stdout.startswith("\x1b[32mnew\x1b[0m"), repr(done.stdout)
