"""`nit stamp` of artifacts with odd names: bytes that are not UTF-8, a newline, a
leading dash. A name that is not UTF-8 used to end the stamp with an internal
error (exit 70: the signed manifest is JSON, which is Unicode); it now goes into
the manifest git-quoted, as `--json` shows names (model/names.py), and text
output quotes every odd name as git does."""

from __future__ import annotations

import json
import os

from tests.conftest import ok


def test_odd_names_are_stamped_and_shown_quoted(nit, repo, on_devnet, workdir) -> None:
    dist = os.fsencode(str(workdir / "dist"))
    os.mkdir(dist)
    names = [b"bad\xff.bin", b"new\nline.bin", b"-rf", b"caf\xc3\xa9.bin"]
    for number, name in enumerate(names):
        with open(dist + b"/" + name, "wb") as f:
            f.write(b"artifact %d " % number + os.urandom(64))
    result = nit("stamp", "-r", "dist", "--no-ipfs", "--json")
    assert result.exit_code == 0, result.output
    shown = sorted(a["name"] for a in json.loads(result.stdout)["artifacts"])
    assert shown == sorted(
        ['"dist/bad\\377.bin"', "dist/new\nline.bin", "dist/-rf", "dist/café.bin"]
    )
    again = nit("stamp", "-r", "dist", "--no-ipfs")
    assert again.exit_code == 24, again.output
    assert '"dist/new\\nline.bin"' in again.stdout and '"dist/bad\\377.bin"' in again.stdout
    path = os.fsdecode(dist + b"/bad\xff.bin")
    assert "leaf" in ok(nit("verify", path)).stdout
