"""`nit add` in a new process reads Exif (exifread) only for files that may carry it.

exifread and ops.manifest cost ~10 ms of every `nit add` start-up (issue 9);
a data file, a PDF or a video needs neither. A photo must still get its
capture time from Exif: both halves are checked in real processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import MEDIA

_ADD = """
import sys
from numbers_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = [m for m in ("exifread", "numbers_cli.ops.manifest") if m in sys.modules]
print("code", code, "loaded", ",".join(loaded) or "-", file=sys.stderr)
"""


def _add(repo: Path, name: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, "-c", _ADD, "add", "--json", name],
        cwd=repo,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
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
