"""Layered config (defaults < user < repo < env) and the atomic writes under it (fsio)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli

from numbers_cli import config, config_writer
from numbers_cli.config import (
    KEYS,
    Config,
    parse_value,
    user_config_dir,
    user_data_dir,
)
from numbers_cli.config_writer import remove_table_entry, set_table_entry, set_value, unset_value
from numbers_cli.errors import ConfigError, ExitCode, NotARepository
from numbers_cli.fsio import atomic_write, fsync_dir, make_dirs

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated user config dir; every NIT_* variable from the outer shell removed."""
    for name in list(os.environ):
        if name.startswith("NIT_") or name.startswith("XDG_"):
            monkeypatch.delenv(name)
    user = tmp_path / "user-config"
    monkeypatch.setenv("NIT_CONFIG_DIR", str(user))
    monkeypatch.setenv("NIT_DATA_DIR", str(tmp_path / "user-data"))
    return user


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / ".numbers").mkdir(parents=True)
    return work


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------
# fsio


@posix_only
def test_atomic_write_creates_with_mode_and_content(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"hello", 0o644)
    assert target.read_bytes() == b"hello"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    secret = tmp_path / "secret"
    atomic_write(secret, b"k", 0o600)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin", "secret"]


@posix_only
def test_atomic_write_temp_file_has_final_mode_from_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    """The temp file must be created 0600, not created 0644 and chmod'ed later."""
    seen: list[int] = []
    real_open = os.open

    def spy_open(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kw: object) -> int:
        if Path(path).name.endswith(".tmp"):
            assert flags & os.O_CREAT and flags & os.O_EXCL
            seen.append(mode)
        return real_open(path, flags, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "chmod", lambda *a, **k: pytest.fail("chmod used"))
    monkeypatch.setattr(os, "fchmod", lambda *a, **k: pytest.fail("fchmod used"))
    atomic_write(tmp_path / "secret", b"k", 0o600)
    assert seen == [0o600]


@posix_only
def test_atomic_write_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "f", b"x", 0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o600


def test_atomic_write_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old content that is longer")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_atomic_write_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "f"
    atomic_write(target, b"first", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_atomic_write_failure_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_atomic_write_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "f", b"x")


def test_fsync_dir_and_make_dirs(tmp_path: Path) -> None:
    fsync_dir(tmp_path)
    deep = tmp_path / "a" / "b" / "c"
    make_dirs(deep, 0o700)
    make_dirs(deep, 0o700)  # idempotent
    assert deep.is_dir()
    if os.name == "posix":
        assert stat.S_IMODE(deep.stat().st_mode) & 0o077 == 0


# --------------------------------------------------------------------------
# Locations


def test_locations_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "x"), "XDG_DATA_HOME": str(tmp_path / "d")}
    assert user_config_dir(env) == tmp_path / "x" / "numbers"
    assert user_data_dir(env) == tmp_path / "d" / "numbers"
    env |= {"NIT_CONFIG_DIR": str(tmp_path / "c"), "NIT_DATA_DIR": str(tmp_path / "n")}
    assert user_config_dir(env) == tmp_path / "c"
    assert user_data_dir(env) == tmp_path / "n"
    fallback = user_config_dir({})
    assert fallback.name == "numbers"
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
        assert user_config_dir({}) == tmp_path / "home" / ".config" / "numbers"


def test_user_config_dir_reads_os_environ_by_default(home: Path) -> None:
    assert user_config_dir() == home
    assert config.user_config_file() == home / "config.toml"


# --------------------------------------------------------------------------
# Reading and precedence


def test_defaults(home: Path) -> None:
    cfg = Config.load(None)
    assert cfg.get("user.wallet") == "default"
    assert cfg.get("core.network") == "devnet"
    assert cfg.get("core.progress") is True
    assert cfg.get("commit.author") == ""
    assert cfg.origin("core.network") == "default"
    assert [k for k, _, _ in cfg.items()] == list(KEYS)
    assert all(origin == "default" for _, _, origin in cfg.items())


def test_precedence_user_repo_env(home: Path, repo: Path) -> None:
    write(home / "config.toml", '[user]\nname = "Ada"\nwallet = "mine"\n[core]\nprogress = false\n')
    write(repo / ".numbers" / "config.toml", '[user]\nwallet = "project"\n')
    cfg = Config.load(repo, env={"NIT_CONFIG_DIR": str(home), "NIT_PROGRESS": "yes"})
    assert (cfg.get("user.name"), cfg.origin("user.name")) == ("Ada", "user")
    assert (cfg.get("user.wallet"), cfg.origin("user.wallet")) == ("project", "repo")
    assert (cfg.get("core.progress"), cfg.origin("core.progress")) == (True, "env")
    assert cfg.origin("core.network") == "default"
    assert ("user.wallet", "project", "repo") in cfg.items()


def test_env_defaults_to_os_environ(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIT_NETWORK", "mainnet")
    cfg = Config.load(None)
    assert (cfg.get("core.network"), cfg.origin("core.network")) == ("mainnet", "env")


def test_empty_env_counts_as_unset_for_bool_but_not_for_text(home: Path) -> None:
    cfg = Config.load(
        None, env={"NIT_CONFIG_DIR": str(home), "NIT_PROGRESS": "", "NIT_LICENSE": ""}
    )
    assert cfg.origin("core.progress") == "default"
    assert (cfg.get("add.license"), cfg.origin("add.license")) == ("", "env")


def test_repo_dir_without_config_file(home: Path, repo: Path) -> None:
    cfg = Config.load(repo, env={"NIT_CONFIG_DIR": str(home)})
    assert cfg.get("core.network") == "devnet"
    assert cfg.repo_path == repo / ".numbers" / "config.toml"


def test_unknown_key_suggests_close_matches(home: Path) -> None:
    cfg = Config.load(None)
    with pytest.raises(ConfigError) as info:
        cfg.get("core.netwrok")
    assert "core.network" in str(info.value)
    assert info.value.exit_code == ExitCode.CONFIG
    with pytest.raises(ConfigError):
        cfg.origin("nope")


def test_broken_toml_names_file_and_line_in_one_line(home: Path) -> None:
    path = home / "config.toml"
    write(path, '[user]\nname = "Ada"\nwallet = \n')
    with pytest.raises(ConfigError) as info:
        Config.load(None)
    message = str(info.value)
    assert str(path) in message
    assert "line 3" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "# nit repository settings: see `nit config --help`\n",
        "",
        "\n  \t\n# one\r\n   # two \u200b é\t\n",
        "# no newline at the end",
        "# a bad comment \x01\n",
        "# a bad comment \x7f\n",
        "# bare CR \r in a comment\n",
        "#ok\n[user]\n",
        "#ok\nname = 'x'\n",
        "#ok\n  = \n",
    ],
)
def test_a_comment_only_file_is_read_as_the_parser_reads_it(home: Path, text: str) -> None:
    """`nit init`'s config (comments only) is `{}` without the parser; anything else,
    bad comments included, is parsed or refused exactly as tomli does it."""
    path = home / "config.toml"
    write(path, text)
    try:
        expected: object = tomli.loads(text)
    except tomli.TOMLDecodeError:
        expected = ConfigError
    if expected is ConfigError:
        with pytest.raises(ConfigError, match="invalid TOML"):
            config._read_toml(path)
    else:
        assert config._read_toml(path) == expected


def test_non_utf8_file(home: Path) -> None:
    path = home / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'[user]\nname = "\xff"\n')
    with pytest.raises(ConfigError, match="line 2"):
        Config.load(None)


def test_wrong_type_in_file(home: Path) -> None:
    write(home / "config.toml", '[core]\nprogress = "maybe"\n')
    with pytest.raises(ConfigError, match=r"core\.progress must be true or false"):
        Config.load(None)
    write(home / "config.toml", "user = 3\n")
    with pytest.raises(ConfigError, match=r"\[user\] must be a table"):
        Config.load(None)


def test_bad_env_value(home: Path) -> None:
    with pytest.raises(ConfigError, match="NIT_PROGRESS"):
        Config.load(None, env={"NIT_CONFIG_DIR": str(home), "NIT_PROGRESS": "perhaps"})
    with pytest.raises(ConfigError, match="NIT_WALLET"):
        Config.load(None, env={"NIT_CONFIG_DIR": str(home), "NIT_WALLET": "../etc/passwd"})


def test_unknown_tables_are_loaded_and_merged(home: Path, repo: Path) -> None:
    write(
        home / "config.toml",
        '[networks.devnet]\nrpc = "http://user"\nchain_id = 1\n'
        '[networks.testnet]\nrpc = "http://t"\n',
    )
    write(repo / ".numbers" / "config.toml", '[networks.devnet]\nrpc = "http://repo"\n')
    cfg = Config.load(repo)
    networks = cfg.table("networks")
    assert networks == {"devnet": {"rpc": "http://repo"}, "testnet": {"rpc": "http://t"}}
    assert cfg.table("remotes") == {}


# --------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("YES", True), ("1", True), ("false", False), ("No", False), ("0", False)],
)
def test_parse_bool(raw: str, value: bool) -> None:
    assert parse_value("core.progress", raw) is value


def test_parse_rejects_bad_values() -> None:
    with pytest.raises(ConfigError):
        parse_value("core.progress", "2")
    with pytest.raises(ConfigError):
        parse_value("core.network", "   ")
    with pytest.raises(ConfigError):
        parse_value("user.wallet", "has space")
    with pytest.raises(ConfigError, match="did you mean"):
        parse_value("user.nmae", "x")


def test_parse_int(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = config.Key("core.jobs", int, 4, "NIT_JOBS", "parallel jobs")
    monkeypatch.setitem(KEYS, spec.name, spec)
    assert parse_value("core.jobs", " 12 ") == 12
    with pytest.raises(ConfigError, match="whole number"):
        parse_value("core.jobs", "many")


# --------------------------------------------------------------------------
# Writing


def test_set_user_value_creates_file(home: Path) -> None:
    assert set_value("user", "core.progress", "no") is False
    assert set_value("user", "user.name", "Ada Lovelace") == "Ada Lovelace"
    data = tomli.loads((home / "config.toml").read_text())
    assert data == {"core": {"progress": False}, "user": {"name": "Ada Lovelace"}}
    cfg = Config.load(None)
    assert (cfg.get("core.progress"), cfg.origin("core.progress")) == (False, "user")
    assert [p.name for p in home.iterdir()] == ["config.toml"]


def test_set_repo_value(home: Path, repo: Path) -> None:
    set_value("repo", "core.network", "testnet", repo)
    cfg = Config.load(repo)
    assert (cfg.get("core.network"), cfg.origin("core.network")) == ("testnet", "repo")
    assert not (home / "config.toml").exists()


def test_repo_scope_needs_a_repository(home: Path, tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        set_value("repo", "core.network", "x")
    with pytest.raises(NotARepository):
        set_value("repo", "core.network", "x", tmp_path / "not-a-repo")


def test_set_validates_before_writing(home: Path) -> None:
    with pytest.raises(ConfigError):
        set_value("user", "core.progress", "maybe")
    with pytest.raises(ConfigError, match=r"core\.network"):
        set_value("user", "core.netwrk", "x")
    assert not (home / "config.toml").exists()


def test_set_preserves_unknown_tables_and_keys(home: Path) -> None:
    write(
        home / "config.toml",
        '[networks.devnet]\nrpc = "http://127.0.0.1:8545"\nchain_id = 31337\n'
        '[user]\nname = "Ada"\nfavourite = "tea"\n',
    )
    set_value("user", "user.wallet", "ci")
    data = tomli.loads((home / "config.toml").read_text())
    assert data["networks"] == {"devnet": {"rpc": "http://127.0.0.1:8545", "chain_id": 31337}}
    assert data["user"] == {"name": "Ada", "favourite": "tea", "wallet": "ci"}


def test_set_refuses_to_rewrite_broken_file(home: Path) -> None:
    write(home / "config.toml", "[user\n")
    with pytest.raises(ConfigError, match="line 1"):
        set_value("user", "user.name", "x")
    assert (home / "config.toml").read_text() == "[user\n"


def test_unset(home: Path) -> None:
    set_value("user", "user.name", "Ada")
    set_value("user", "core.network", "x")
    assert unset_value("user", "user.name") is True
    assert unset_value("user", "user.name") is False
    data = tomli.loads((home / "config.toml").read_text())
    assert data == {"core": {"network": "x"}}  # emptied [user] dropped


def test_unset_unknown_key_only_if_present(home: Path) -> None:
    write(home / "config.toml", '[core]\nnetwrok = "typo"\n')
    assert unset_value("user", "core.netwrok") is True
    with pytest.raises(ConfigError, match=r"core\.network"):
        unset_value("user", "core.netwrok")


def test_table_entries(home: Path, repo: Path) -> None:
    set_value("user", "user.name", "Ada")
    set_table_entry("user", "remotes", "origin", {"url": "http://a", "pin": True})
    set_table_entry("repo", "remotes", "origin", {"url": "http://b"}, repo)
    set_table_entry("user", "remotes", "my backup", {"url": "http://c"})
    cfg = Config.load(repo)
    assert cfg.table("remotes") == {"origin": {"url": "http://b"}, "my backup": {"url": "http://c"}}
    assert cfg.get("user.name") == "Ada"

    assert remove_table_entry("user", "remotes", "origin") is True
    assert remove_table_entry("user", "remotes", "origin") is False
    assert remove_table_entry("user", "remotes", "my backup") is True
    data = tomli.loads((home / "config.toml").read_text())
    assert data == {"user": {"name": "Ada"}}


def test_table_entry_validation(home: Path) -> None:
    with pytest.raises(ConfigError):
        set_table_entry("user", "core", "x", {"a": 1})
    with pytest.raises(ConfigError):
        set_table_entry("user", "remotes", "", {"a": 1})
    with pytest.raises(ConfigError, match="cannot write"):
        set_table_entry("user", "remotes", "x", {"a": None})
    assert not (home / "config.toml").exists()


@posix_only
def test_written_file_mode(home: Path, umask_022: None) -> None:
    set_value("user", "user.name", "Ada")
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o644


def test_write_failure_is_config_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config_writer, "atomic_write", broken)
    with pytest.raises(ConfigError, match="Permission denied"):
        set_value("user", "user.name", "Ada")
