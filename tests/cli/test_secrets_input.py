"""Secrets come in the safe ways only, and settings are checked when they are set (issue 10).

- wallet passphrases are never empty (environment, stdin or prompt, which says
  why), a person at a terminal gets three tries, and `--passphrase-stdin` reads
  the passphrase from standard input;
- `nit remote add --auth` takes the scheme on the command line and the secret
  from stdin, a prompt or the environment, never from argv (`ps`, shell history);
- `nit config set` refuses a value the command using it would refuse later.

"A terminal" is simulated by `Env.interactive` (click's test runner feeds the
hidden prompts from `input`); every refusal is checked to change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import TEST_ADDRESS, Nit, ok, one_line_error
from tests.support.snapshot import snapshot

from numbers_cli.cli.env import Env
from numbers_cli.config import Config
from numbers_cli.ops.remotes import resolve_remote

PHOTO = "Canon_40D.jpg"
TOKEN = "tok-3f9a1c-never-printed"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Env, "interactive", property(lambda self: True))


def wallets(home: Path) -> list[str]:
    folder = home / ".config" / "numbers" / "wallets"
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


# -- empty passphrases ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [(["wallet", "create"], None), (["wallet", "import"], "{key}\n")],
)
def test_empty_nit_passphrase_is_refused(
    nit: Nit, isolated_env: Path, private_key: str, args: list[str], stdin: str | None
) -> None:
    before = snapshot(isolated_env)
    result = nit(
        *args,
        env={"NIT_PASSPHRASE": ""},
        input=stdin.format(key=private_key) if stdin else None,
    )
    assert result.exit_code == 6
    assert one_line_error(result) == (
        "nit: error: NIT_PASSPHRASE is empty: a wallet needs a passphrase, or anyone with a "
        "copy of its keystore file has the key (choose a passphrase; in CI, NIT_PRIVATE_KEY "
        "needs no wallet)"
    )
    assert snapshot(isolated_env) == before and wallets(isolated_env) == []


def test_empty_answer_at_the_prompt_says_why_and_asks_again(
    nit: Nit, isolated_env: Path, terminal: None
) -> None:
    result = nit("wallet", "create", "--json", input="\nsecret\nother\nsecret\nsecret\n")
    assert result.exit_code == 0, result.output
    assert "the passphrase must not be empty: it is what protects the key" in result.stderr
    assert "the two passphrases differ; again" in result.stderr
    assert wallets(isolated_env) == ["default.json"]
    ok(nit("wallet", "address"))


def test_three_empty_answers_create_nothing(nit: Nit, isolated_env: Path, terminal: None) -> None:
    result = nit("wallet", "create", input="\n\n\n")
    assert result.exit_code == 6
    assert result.stderr.strip().splitlines()[-1] == (
        "nit: error: no passphrase was set after 3 attempts; nothing was created"
    )
    assert wallets(isolated_env) == []


# -- --passphrase-stdin and three attempts at unlocking -------------------------------------


def test_passphrase_stdin_for_create_import_and_commit(
    nit: Nit, repo: Path, media, private_key: str
) -> None:
    ok(nit("wallet", "create", "--passphrase-stdin", input="pw one\n"))
    # Key on the first line, passphrase on the second.
    imported = nit(
        "wallet",
        "import",
        "other",
        "--passphrase-stdin",
        "--json",
        input=f"{private_key}\npw two\n",
    )
    assert json.loads(ok(imported).stdout)["address"] == TEST_ADDRESS
    media(PHOTO)
    ok(nit("add", PHOTO))
    wrong = nit("commit", "-m", "x", "--passphrase-stdin", input="pw two\n")
    assert wrong.exit_code == 6
    assert one_line_error(wrong) == "nit: error: wrong passphrase for wallet 'default'"
    done = ok(nit("commit", "-m", "x", "--passphrase-stdin", input="pw one\n"))
    assert "1 commit signed by" in done.stdout


def test_empty_passphrase_on_stdin_is_refused(nit: Nit, isolated_env: Path) -> None:
    result = nit("wallet", "create", "--passphrase-stdin", input="\n")
    assert result.exit_code == 6
    assert "the passphrase read from stdin is empty" in one_line_error(result)
    assert wallets(isolated_env) == []


def test_three_attempts_to_unlock_on_a_terminal(
    nit: Nit, repo: Path, media, terminal: None
) -> None:
    ok(nit("wallet", "create", env={"NIT_PASSPHRASE": "right"}))
    media(PHOTO)
    ok(nit("add", PHOTO))
    third = nit("commit", "-m", "x", input="wrong\nagain\nright\n")
    assert third.exit_code == 0, third.output
    assert third.stderr.count("wrong passphrase; try again") == 2
    ok(nit("add", PHOTO, "-m", "more"))
    failed = nit("commit", "-m", "y", input="a\nb\nc\n")
    assert failed.exit_code == 6
    assert failed.stderr.strip().splitlines()[-1] == (
        "nit: error: wrong passphrase for wallet 'default' (3 attempts)"
    )
    assert json.loads(ok(nit("status", "--json")).stdout)["staged"][0]["kind"] == "update"


# -- remote secrets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "shown"),
    [(f"bearer:{TOKEN}", "bearer"), (f"token:{TOKEN}", "token"), (f"basic:id:{TOKEN}", "basic:ID")],
)
def test_a_secret_on_the_command_line_is_refused(
    nit: Nit, repo: Path, isolated_env: Path, auth: str, shown: str
) -> None:
    before = snapshot(repo, isolated_env)
    result = nit("remote", "add", "svc", "https://x.example", "--auth", auth)
    assert result.exit_code == 2
    line = one_line_error(result)
    assert line.startswith(f"nit: error: --auth {auth.split(':')[0]}:... puts the secret on the")
    assert f"give `--auth {shown}` and the secret on stdin" in line
    assert TOKEN not in result.output
    assert snapshot(repo, isolated_env) == before


def test_bearer_token_from_stdin_environment_or_prompt(
    nit: Nit, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(nit("remote", "add", "a", "https://a.example", "--auth", "bearer", input=f"{TOKEN}\n"))
    ok(
        nit(
            "remote",
            "add",
            "b",
            "https://b.example",
            "--auth",
            "bearer",
            env={"NIT_REMOTE_TOKEN": TOKEN},
        )
    )
    for name in ("a", "b"):
        remote = resolve_remote(Config.load(repo), name)
        assert remote is not None and remote.auth is not None
        assert remote.auth.secret == TOKEN and remote.auth.scheme == "bearer"
    assert TOKEN not in (repo / ".numbers" / "config.toml").read_text()
    monkeypatch.setattr(Env, "interactive", property(lambda self: True))
    prompted = ok(
        nit("remote", "add", "c", "https://c.example", "--auth", "basic:proj", input=f"{TOKEN}\n")
    )
    assert TOKEN not in prompted.output and "basic (proj:****)" in prompted.stdout


def test_an_empty_secret_is_refused(nit: Nit, repo: Path, isolated_env: Path) -> None:
    before = snapshot(repo, isolated_env)
    result = nit("remote", "add", "svc", "https://x.example", "--auth", "bearer", input="\n")
    assert result.exit_code == 2
    assert one_line_error(result).startswith("nit: error: no secret was given for --auth bearer")
    assert snapshot(repo, isolated_env) == before


# -- settings checked when set -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("add.license", "bogus", "unknown licence 'bogus'"),
        ("add.license", "Mine=not-a-url", "must be an http(s) URL, not 'not-a-url'"),
        ("commit.provider", "alice", "expected the Nid (CIDv1) of a profile"),
        ("core.remote", "../up", "a name is 1-64 of"),
        ("core.network", "", "must not be empty"),
        ("core.progress", "maybe", "expects true or false"),
    ],
)
def test_config_set_refuses_bad_values(
    nit: Nit, repo: Path, isolated_env: Path, key: str, value: str, problem: str
) -> None:
    before = snapshot(repo, isolated_env)
    result = nit("config", "set", key, value)
    assert result.exit_code == 8
    assert problem in one_line_error(result)
    assert snapshot(repo, isolated_env) == before


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("add.license", "cc-by-4.0"),
        ("add.license", "Mine=https://example.org/licence"),
        ("add.license", ""),
        ("commit.provider", "bafkreigtmno2wacf4ldb6ewbkboe7oojedsp3dky35djytor6guwzhbdpa"),
        ("core.pager", "less -S"),
    ],
)
def test_config_set_accepts_good_values(nit: Nit, repo: Path, key: str, value: str) -> None:
    ok(nit("config", "set", key, value))
    assert json.loads(ok(nit("config", "get", key, "--json")).stdout)["value"] == value


def test_a_licence_from_config_is_used_by_add(nit: Nit, repo: Path, media) -> None:
    ok(nit("config", "set", "add.license", "Mine=https://example.org/licence"))
    media(PHOTO)
    ok(nit("add", PHOTO))
    (staged,) = json.loads(ok(nit("status", "--json")).stdout)["staged"]
    assert staged["kind"] == "new"
