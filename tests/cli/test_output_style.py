"""Output people and scripts can rely on: diff markers without colour, real plurals, names
quoted as git quotes them, `--json` on init and wallet, `nit hash -`, and a reader that
leaves early (`nit log | head -1`) being no error (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, one_line_error, python_m

from numbers_cli.cli.render import plural, quote_path

PHOTO = "Canon_40D.jpg"
HELLO_NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"  # spec vector


def test_diff_without_colour_has_markers(nit: Nit, repo: Path, media, signing_key: str) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO, "-m", "before"))
    ok(nit("commit", "-m", "one"))
    ok(nit("add", PHOTO, "-m", "after"))
    text = ok(nit("diff", PHOTO, env={"NO_COLOR": "1"})).stdout
    lines = text.splitlines()
    assert '-  "abstract": "before",' in lines
    assert '+  "abstract": "after",' in lines
    assert '   "assetCid": ' in "\n".join(lines)  # unchanged lines: a space
    body = [line for line in lines if line not in ("commit:", "assetTree:")][1:]
    assert all(line[:1] in "+- " for line in body), body


def test_plural_and_quote_rules() -> None:
    assert [plural(n, "commit") for n in (0, 1, 2)] == ["0 commits", "1 commit", "2 commits"]
    assert quote_path("plain café.jpg") == "plain café.jpg"
    assert quote_path("a\nb.jpg") == '"a\\nb.jpg"'
    assert quote_path('say "hi".jpg') == '"say \\"hi\\".jpg"'
    assert quote_path("tab\there\x7f") == '"tab\\there\\177"'
    assert quote_path(os.fsdecode(b"caf\xe9.jpg")) == '"caf\\351.jpg"'  # Latin-1 byte


def test_no_commit_s_anywhere(nit: Nit, repo: Path, media, signing_key: str) -> None:
    media(PHOTO)
    ok(nit("add", PHOTO))
    one = ok(nit("commit", "-m", "x"))
    assert one.stdout.splitlines()[-1].startswith("1 commit signed by ")
    status = ok(nit("status")).stdout
    assert "1 commit " in status and "(s)" not in status
    fsck = ok(nit("fsck")).stdout
    assert "(s)" not in fsck and ", 1 asset, 1 commit: ok" in fsck


def test_names_with_control_characters_are_quoted(nit: Nit, repo: Path, signing_key: str) -> None:
    name = "line\nbreak.txt"
    (repo / name).write_text("hello")
    added = ok(nit("add", name))
    assert '"line\\nbreak.txt"' in added.stdout and len(added.stdout.splitlines()) == 1
    status = ok(nit("status")).stdout
    assert '"line\\nbreak.txt"' in status and "line\nbreak" not in status
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"][0]["path"] == name
    ok(nit("commit", "-m", "x"))
    (line,) = ok(nit("log", "--oneline")).stdout.splitlines()
    assert '"line\\nbreak.txt"' in line


def test_init_json(nit: Nit, workdir: Path) -> None:
    result = ok(nit("init", "album", "--json"))
    assert json.loads(result.stdout) == {
        "repository": str(workdir / "album" / ".numbers"),
        "workdir": str(workdir / "album"),
    }


def test_wallet_create_and_import_json(nit: Nit, private_key: str, isolated_env: Path) -> None:
    created = ok(nit("wallet", "create", "w1", "--json", env={"NIT_PASSPHRASE": "pw"}))
    doc = json.loads(created.stdout)
    assert set(doc) == {"wallet", "address", "path"} and doc["wallet"] == "w1"
    assert Path(doc["path"]).is_file() and doc["address"].startswith("0x")
    imported = ok(
        nit(
            "wallet",
            "import",
            "w2",
            "--json",
            input=f"{private_key}\n",
            env={"NIT_PASSPHRASE": "pw"},
        )
    )
    assert json.loads(imported.stdout)["address"] == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def test_hash_reads_stdin(workdir: Path) -> None:
    done = python_m("hash", "-", cwd=workdir, stdin=b"hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == HELLO_NID
    both = python_m("hash", "-", "--json", cwd=workdir, stdin=b"hello")
    assert json.loads(both.stdout) == [{"path": "-", "nid": HELLO_NID}]


def test_hash_of_stdin_matches_the_file(workdir: Path) -> None:
    """More than one chunk (a balanced DAG): stdin and the file give the same Nid."""
    data = os.urandom(262144 * 3 + 17)
    (workdir / "big.bin").write_bytes(data)
    from_file = python_m("hash", "big.bin", cwd=workdir).stdout.decode().strip()
    from_stdin = python_m("hash", "-", cwd=workdir, stdin=data).stdout.decode().strip()
    assert from_file == from_stdin and from_file.startswith("bafybei")


@pytest.mark.parametrize("args", [["log"], ["log", "--oneline"], ["log", "--json"], ["--help"]])
def test_a_reader_that_leaves_early_is_no_error(
    nit: Nit, repo: Path, signing_key: str, args: list[str]
) -> None:
    for i in range(60):
        (repo / f"f{i}.txt").write_text(f"file {i}")
    ok(nit("add", "."))
    ok(nit("commit", "-m", "many"))
    shell = subprocess.run(
        [
            "bash",
            "-c",
            f'"$0" -m numbers_cli {" ".join(args)} | head -1; exit "${{PIPESTATUS[0]}}"',
            sys.executable,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stderr == "" and len(shell.stdout.splitlines()) == 1


def test_generated_through_must_be_a_url(nit: Nit, repo: Path, media) -> None:
    media(PHOTO)
    result = nit("add", PHOTO, "--generated-through", "not a url")
    assert result.exit_code == 2
    assert one_line_error(result) == (
        "nit: error: --generated-through must be an http(s) URL, not 'not a url'"
    )
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"] == []
    (added,) = json.loads(
        ok(nit("add", PHOTO, "--generated-through", "https://ai.example/v1", "--json")).stdout
    )
    assert added["kind"] == "new"


def test_no_count_is_written_word_s() -> None:
    """Counts for people are written out ("1 commit", "2 commits", docs/cli.md):
    no message of the CLI or the operations prints `{n} word(s)`. The one
    exception is the stamp batch's abstract, part of a signed tree's format."""
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "numbers_cli"
    found = []
    for module in sorted(src.rglob("*.py")):
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if (
                re.search(r"\}\s+(bad\s+)?\w+\(s\)", line)
                and "artifact(s), Merkle root" not in line
            ):
                found.append(f"{module.relative_to(src)}:{number}: {line.strip()}")
    assert found == []
