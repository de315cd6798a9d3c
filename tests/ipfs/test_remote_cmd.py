"""`nit remote`: add/list/remove/default, where secrets go, and which remote is used."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from tests.conftest import Nit

from numbers_cli.config import Config
from numbers_cli.errors import ConfigError
from numbers_cli.ipfs.numbers import NUMBERS_ADD_URL
from numbers_cli.ops.remotes import resolve_remote

SECRET = "s3cr3t-value-never-printed"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_list_default_remove(nit: Nit, repo: Path) -> None:
    assert resolve_remote(Config.load(repo)) is None  # nothing configured: reads stay local
    added = nit("remote", "add", "origin", "http://127.0.0.1:5001")
    assert added.exit_code == 0, added.output
    # Exactly one remote: it is the default.
    assert resolve_remote(Config.load(repo)).name == "origin"  # type: ignore[union-attr]
    assert (
        nit(
            "remote",
            "add",
            "pinata",
            "https://api.pinata.cloud",
            "--auth",
            "bearer",
            input=f"{SECRET}\n",
        ).exit_code
        == 0
    )
    listed = json.loads(nit("remote", "list", "--json").stdout)
    assert [(r["name"], r["kind"], r["url"], r["default"]) for r in listed] == [
        ("origin", "kubo", "http://127.0.0.1:5001", False),
        ("pinata", "kubo", "https://api.pinata.cloud", False),
    ]
    assert listed[1]["auth"] == "bearer (****) from credentials file"
    with pytest.raises(ConfigError, match="several remotes"):
        resolve_remote(Config.load(repo))
    assert nit("remote", "default", "pinata").exit_code == 0
    assert resolve_remote(Config.load(repo)).name == "pinata"  # type: ignore[union-attr]
    assert "* pinata" in nit("remote", "list").stdout
    assert nit("config", "get", "core.remote").stdout.strip() == "pinata"
    assert nit("remote", "remove", "pinata").exit_code == 0
    assert not (repo / ".numbers/remotes/pinata").exists()
    assert [r["name"] for r in json.loads(nit("remote", "list", "--json").stdout)] == ["origin"]


def test_secrets_stay_out_of_config_and_output(nit: Nit, repo: Path) -> None:
    outputs = [
        nit(
            "remote",
            "add",
            "infura",
            "https://ipfs.infura.io:5001",
            "--auth",
            "basic:projectid",
            input=f"{SECRET}\n",
        ),
        nit("remote", "list"),
        nit("remote", "list", "--json"),
        nit("config", "list"),
    ]
    assert all(o.exit_code == 0 for o in outputs)
    assert not any(SECRET in o.output for o in outputs)
    assert SECRET not in (repo / ".numbers/config.toml").read_text()
    credentials = repo / ".numbers/remotes/infura/credentials"
    assert SECRET in credentials.read_text()
    assert mode(credentials) == 0o600
    remote = resolve_remote(Config.load(repo), "infura")
    assert remote is not None and remote.auth is not None
    assert (remote.auth.scheme, remote.auth.user, remote.auth.secret) == (
        "basic",
        "projectid",
        SECRET,
    )
    assert SECRET not in repr(remote)


def test_credentials_in_the_url_are_moved_out(nit: Nit, repo: Path) -> None:
    result = nit("remote", "add", "filebase", f"https://key:{SECRET}@rpc.filebase.io")
    assert result.exit_code == 0 and SECRET not in result.output
    remote = resolve_remote(Config.load(repo), "filebase")
    assert remote is not None and remote.url == "https://rpc.filebase.io"
    assert remote.auth is not None and remote.auth.secret == SECRET


def test_secret_from_stdin(nit: Nit, repo: Path) -> None:
    assert (
        nit(
            "remote", "add", "svc", "https://x.example", "--auth", "bearer:-", input=f"{SECRET}\n"
        ).exit_code
        == 0
    )
    remote = resolve_remote(Config.load(repo), "svc")
    assert remote is not None and remote.auth is not None and remote.auth.secret == SECRET


def test_environment_wins_over_the_credentials_file(
    nit: Nit, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        nit(
            "remote", "add", "svc", "https://x.example", "--auth", "bearer", input="from-file\n"
        ).exit_code
        == 0
    )
    monkeypatch.setenv("NIT_REMOTE_TOKEN", "from-env")
    remote = resolve_remote(Config.load(repo))
    assert remote is not None and remote.auth is not None
    assert (remote.auth.header(), remote.auth_source) == ("Bearer from-env", "environment")
    assert "from environment" in nit("remote", "list").stdout
    monkeypatch.delenv("NIT_REMOTE_TOKEN")
    monkeypatch.setenv("NIT_REMOTE_USER", "id")
    monkeypatch.setenv("NIT_REMOTE_PASSWORD", "pw")
    assert nit("remote", "add", "open", "https://y.example").exit_code == 0
    basic = resolve_remote(Config.load(repo), "open")
    assert basic is not None and basic.auth is not None and basic.auth.user == "id"


def test_numbers_remote_takes_a_capture_token(
    nit: Nit, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nit("remote", "add", "capture", "--kind", "numbers").exit_code == 0
    with pytest.raises(ConfigError):  # no token anywhere yet: the adapter refuses
        from numbers_cli.ops.remotes import open_remote

        open_remote(resolve_remote(Config.load(repo), "capture"))  # type: ignore[arg-type]
    monkeypatch.setenv("NIT_REMOTE_TOKEN", "cap")
    remote = resolve_remote(Config.load(repo), "capture")
    assert remote is not None and remote.url == NUMBERS_ADD_URL
    assert remote.auth is not None and remote.auth.header() == "token cap"
    refused = nit("remote", "add", "bad", "--kind", "numbers", "--auth", "basic:a", input="b\n")
    assert refused.exit_code == 8


def test_a_credentials_file_is_used_only_for_its_url(nit: Nit, repo: Path, workdir: Path) -> None:
    """A user remote's secret is not sent to a repo remote of the same name elsewhere."""
    assert (
        nit(
            "remote",
            "add",
            "svc",
            "https://a.example",
            "--auth",
            "bearer",
            "--global",
            input=f"{SECRET}\n",
        ).exit_code
        == 0
    )
    assert nit("remote", "add", "svc", "https://b.example").exit_code == 0  # repo shadows user
    remote = resolve_remote(Config.load(repo), "svc")
    assert remote is not None and remote.url == "https://b.example" and remote.auth is None
    user_credentials = Path(Config.load(None).user_path).parent / "remotes/svc.credentials"
    assert mode(user_credentials) == 0o600


def test_errors(nit: Nit, repo: Path) -> None:
    assert nit("remote", "add", "origin", "http://127.0.0.1:5001").exit_code == 0
    again = nit("remote", "add", "origin", "http://127.0.0.1:5002")
    assert again.exit_code == 8 and "already exists" in again.stderr
    assert nit("remote", "add", "../evil", "http://x.example").exit_code == 8
    assert nit("remote", "add", "x", "ftp://x.example").exit_code == 8
    assert nit("remote", "add", "x").exit_code == 2  # URL needed for kubo
    assert nit("remote", "add", "x", "http://x.example", "--auth", "digest:a").exit_code == 8
    assert nit("remote", "default", "nope").exit_code == 8
    missing = nit("remote", "remove", "nope")
    assert missing.exit_code == 4
    with pytest.raises(ConfigError, match="no remote named 'nope' \\(known: origin\\)"):
        resolve_remote(Config.load(repo), "nope")
    assert (
        nit(
            "cat", "--remote", "nope", "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
        ).exit_code
        == 8
    )


def test_remote_outside_a_repository_needs_global(nit: Nit, workdir: Path) -> None:
    result = nit("remote", "add", "origin", "http://127.0.0.1:5001")
    assert result.exit_code == 3
    assert nit("remote", "add", "origin", "http://127.0.0.1:5001", "--global").exit_code == 0
    assert resolve_remote(Config.load(None)).name == "origin"  # type: ignore[union-attr]
    assert nit("remote", "remove", "origin", "--global").exit_code == 0
