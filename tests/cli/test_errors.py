"""Mistakes get one line on stderr, `nit: ...`, a documented exit code and no traceback.

`-v` is the way to ask for the traceback.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PHOTO = "Canon_40D.jpg"


def assert_one_line_error(result, code: int, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nit: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# Each case: how to get there, the command, its exit code, what the message says.
def _nothing(nit, workdir, media):  # type: ignore[no-untyped-def]
    pass


def _init(nit, workdir, media):  # type: ignore[no-untyped-def]
    assert nit("init").exit_code == 0


def _init_and_photo(nit, workdir, media):  # type: ignore[no-untyped-def]
    _init(nit, workdir, media)
    media(PHOTO)


def _wallet_a_and_staged(nit, workdir, media):  # type: ignore[no-untyped-def]
    _init_and_photo(nit, workdir, media)
    assert nit("wallet", "create", env={"NIT_PASSPHRASE": "a"}).exit_code == 0
    assert nit("add", PHOTO).exit_code == 0


def _staged(nit, workdir, media):  # type: ignore[no-untyped-def]
    _init_and_photo(nit, workdir, media)
    assert nit("add", PHOTO).exit_code == 0


def _wallet_a_nothing_staged(nit, workdir, media):  # type: ignore[no-untyped-def]
    _init(nit, workdir, media)
    assert nit("wallet", "create", env={"NIT_PASSPHRASE": "a"}).exit_code == 0


# "{key}" in an environment value stands for the test key (the `private_key` fixture).
CASES = {
    "status-outside-repo": (_nothing, ["status"], {}, 3, ["not a nit repository", "nit init"]),
    "log-outside-repo": (_nothing, ["log"], {}, 3, ["not a nit repository"]),
    "add-outside-repo": (_nothing, ["add", "x.jpg"], {}, 3, ["not a nit repository"]),
    "verify-outside-repo": (_nothing, ["verify", "x.jpg"], {}, 3, ["not a nit repository"]),
    "add-missing-file": (_init, ["add", "missing.jpg"], {}, 2, ["missing.jpg", "no such file"]),
    "show-not-a-cid": (_init, ["show", "notacid"], {}, 2, ["notacid", "not a valid Nid"]),
    "show-unknown-cid": (
        _init,
        ["show", "bafkreidl7wv5j7bt2ejcqpauplgmyv2oo4f34355xq6u3klixj5wa3wmf4"],
        {},
        4,
        ["neither an asset nor an object"],
    ),
    "init-twice": (_init, ["init"], {}, 3, ["already a nit repository"]),
    "wrong-passphrase": (
        _wallet_a_and_staged,
        ["commit", "-m", "x"],
        {"NIT_PASSPHRASE": "b"},
        6,
        ["wrong passphrase", "default"],
    ),
    "locked-wallet-no-tty": (
        _wallet_a_and_staged,
        ["commit", "-m", "x"],
        {},
        6,
        ["NIT_PASSPHRASE"],
    ),
    "nothing-staged": (
        _wallet_a_nothing_staged,
        ["commit", "-m", "x"],
        {"NIT_PASSPHRASE": "a"},
        2,
        ["nothing to commit"],
    ),
    "nothing-staged-with-key": (
        _init,
        ["commit", "-m", "x"],
        {"NIT_PRIVATE_KEY": "{key}"},
        2,
        ["nothing to commit"],
    ),
    "no-wallet-no-key-no-tty": (_staged, ["commit", "-m", "x"], {}, 6, ["NIT_PRIVATE_KEY"]),
    "bad-private-key": (
        _staged,
        ["commit", "-m", "x"],
        {"NIT_PRIVATE_KEY": "0xzz{key}"},
        6,
        ["invalid NIT_PRIVATE_KEY"],
    ),
    "unknown-config-key": (_init, ["config", "get", "user.nmae"], {}, 8, ["user.nmae"]),
    "verify-untracked-file": (_init_and_photo, ["verify", PHOTO], {}, 4, ["is it committed?"]),
    "verify-staged-nid": (
        _staged,
        ["verify", "bafkreidl7wv5j7bt2ejcqpauplgmyv2oo4f34355xq6u3klixj5wa3wmf4"],
        {},
        4,
        ["no provenance record", "nit commit"],
    ),
    "log-of-uncommitted": (_staged, ["log", PHOTO], {}, 4, ["no commits"]),
    "diff-of-unknown": (
        _init,
        ["diff", "bafkreidl7wv5j7bt2ejcqpauplgmyv2oo4f34355xq6u3klixj5wa3wmf4"],
        {},
        4,
        [],
    ),
    "cat-unknown": (
        _init,
        ["cat", "bafkreidl7wv5j7bt2ejcqpauplgmyv2oo4f34355xq6u3klixj5wa3wmf4"],
        {},
        4,
        ["not in this repository"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_error_is_one_line_with_its_exit_code(nit, workdir, media, private_key, case):
    setup, args, env, code, fragments = CASES[case]
    setup(nit, workdir, media)
    env = {k: v.format(key=private_key.removeprefix("0x")) for k, v in env.items()}
    result = nit(*args, env=env)
    assert_one_line_error(result, code, *fragments)
    assert result.stdout == ""


@pytest.mark.parametrize("case", ["status-outside-repo", "wrong-passphrase", "add-missing-file"])
def test_verbose_shows_the_traceback(nit, workdir, media, case):
    setup, args, env, code, _ = CASES[case]
    setup(nit, workdir, media)
    result = nit("-v", *args, env=env)
    assert result.exit_code == code
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("nit: error: ")


def test_verbose_traceback_in_a_real_process(workdir):
    run = [sys.executable, "-m", "numbers_cli"]
    plain = subprocess.run([*run, "status"], cwd=workdir, capture_output=True, text=True)
    assert plain.returncode == 3
    assert plain.stderr.startswith("nit: error: not a nit repository")
    assert len(plain.stderr.splitlines()) == 1 and "Traceback" not in plain.stderr
    verbose = subprocess.run([*run, "-v", "status"], cwd=workdir, capture_output=True, text=True)
    assert verbose.returncode == 3
    assert verbose.stderr.startswith("Traceback (most recent call last)")
    assert verbose.stderr.splitlines()[-1] == plain.stderr.strip()


def test_no_wallet_never_prompts_even_with_input_waiting(nit, repo, media):
    """No TTY: nit must not read a passphrase from stdin, even if something is there."""
    media(PHOTO)
    assert nit("add", PHOTO).exit_code == 0
    assert nit("wallet", "create", env={"NIT_PASSPHRASE": "a"}).exit_code == 0
    result = nit("commit", "-m", "x", input="a\n")
    assert_one_line_error(result, 6, "NIT_PASSPHRASE")
    assert "Passphrase for" not in result.output
    assert nit("status", "--json").stdout.count('"kind": "new"') == 1  # still staged


def test_wrong_passphrase_leaves_the_staged_asset(nit, repo, media):
    media(PHOTO)
    assert nit("wallet", "create", env={"NIT_PASSPHRASE": "a"}).exit_code == 0
    assert nit("add", PHOTO).exit_code == 0
    assert nit("commit", env={"NIT_PASSPHRASE": "b"}).exit_code == 6
    done = nit("commit", "-m", "x", env={"NIT_PASSPHRASE": "a"})
    assert done.exit_code == 0, done.output
    assert "1 commit signed by" in done.stdout


def test_init_nested_needs_the_flag(nit, repo, workdir):
    inner = workdir / "album"
    refused = nit("init", "album")
    assert_one_line_error(refused, 3, "inside the nit repository", "--nested")
    assert not (inner / ".numbers").exists()

    made = nit("init", "--nested", "album")
    assert made.exit_code == 0, made.output
    assert (inner / ".numbers" / "format").is_file()
    # The nested repository is its own: adding there does not touch the outer one.
    (inner / "a.txt").write_text("hello")
    assert nit("-C", "album", "add", "a.txt").exit_code == 0
    assert nit("-C", "album", "status", "--json").stdout.count('"path": "a.txt"') == 1
    assert '"staged": []' in nit("status", "--json").stdout


def test_missing_directory_for_dash_c_is_an_error(nit, repo):
    """`nit -C typo status` inside a repository must not quietly use the enclosing one."""
    result = nit("-C", "no-such-dir", "status")
    assert result.exit_code != 0
    assert result.stderr.startswith("nit: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(nit, repo):
    result = nit("add")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert nit("frobnicate").exit_code == 2


def test_interrupted_by_ctrl_c_says_so(nit, repo, media, monkeypatch):
    """A KeyboardInterrupt mid-add: exit 130, one line, and the repository is still usable."""
    from numbers_cli.ops import add_stage

    media(PHOTO)

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(add_stage, "read_metadata", interrupted)
        result = nit("add", PHOTO)
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [
        "nit: interrupted; nothing half-written was kept, run the command again"
    ]
    assert "Traceback" not in result.output
    assert '"staged": []' in nit("status", "--json").stdout
    assert nit("add", PHOTO).exit_code == 0
    assert nit("fsck").exit_code == 0
