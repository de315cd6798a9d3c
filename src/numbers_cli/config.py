"""Layered settings, the way git does them: defaults < user file < repo file < environment.

The user file (`<user_config_dir>/config.toml`) holds what follows a person from
repository to repository (their name, their default wallet); the repo file
(`<repo>/.numbers/config.toml`) what belongs to one collection of assets; and
`NIT_*` environment variables win over both, so CI can set everything without
writing files.

Known settings are listed once, in `KEYS` (`numbers_cli.config_keys`): each
with its type, default, environment variable and a one-line description, so
`nit config` can validate, list and explain them. Other parts of nit keep whole
tables in the same files (`[networks.devnet]`, `[remotes.origin]`); this module
keeps whatever it does not know, and every writer rewrites only the entry it
was asked to change.

Files are read with tomli here and written by `numbers_cli.config_writer`
with tomli-w through `fsio.atomic_write`.
A rewrite keeps all values but not comments or layout (tomli-w cannot).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from numbers_cli.config_keys import KEYS, Key, Value, from_toml, parse_value, unknown_key
from numbers_cli.errors import ConfigError, NotARepository

__all__ = [
    "KEYS",
    "REPO_DIR_NAME",
    "Config",
    "Key",
    "Origin",
    "Scope",
    "Value",
    "config_file",
    "parse_value",
    "repo_config_file",
    "user_config_dir",
    "user_config_file",
    "user_data_dir",
]

Scope = Literal["user", "repo"]
Origin = Literal["default", "user", "repo", "env"]

APP_NAME = "numbers"
REPO_DIR_NAME = ".numbers"
CONFIG_FILE_NAME = "config.toml"

# --------------------------------------------------------------------------
# Locations


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where user settings and wallets live: NIT_CONFIG_DIR, XDG, then the OS default."""
    env = _env(env)
    if env.get("NIT_CONFIG_DIR"):
        return Path(env["NIT_CONFIG_DIR"])
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / APP_NAME
    import platformdirs  # only when no variable names the directory (CI, tests, scripts)

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where per-user data (caches, fingerprints) lives: NIT_DATA_DIR, XDG, then the OS default."""
    env = _env(env)
    if env.get("NIT_DATA_DIR"):
        return Path(env["NIT_DATA_DIR"])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_file(env: Mapping[str, str] | None = None) -> Path:
    """The user-level config.toml (it need not exist)."""
    return user_config_dir(env) / CONFIG_FILE_NAME


def repo_config_file(repo_dir: Path) -> Path:
    """The config.toml of the repository whose working directory is `repo_dir`."""
    return Path(repo_dir) / REPO_DIR_NAME / CONFIG_FILE_NAME


def config_file(
    scope: Scope, repo_dir: Path | None = None, *, env: Mapping[str, str] | None = None
) -> Path:
    """The file a writer of `scope` changes; the repo scope needs an existing repository."""
    if scope == "user":
        return user_config_file(env)
    if scope == "repo":
        if repo_dir is None or not (Path(repo_dir) / REPO_DIR_NAME).is_dir():
            where = "" if repo_dir is None else f" at {repo_dir}"
            raise NotARepository(
                f"no nit repository{where}: repository settings need one",
                hint="run `nit init` first, or use the user scope",
            )
        return repo_config_file(repo_dir)
    raise ConfigError(f"unknown config scope {scope!r}: expected 'user' or 'repo'")


# --------------------------------------------------------------------------
# Reading


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, `{}` if it does not exist; any problem as one-line ConfigError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text") from None
    if _comments_only(text):
        return {}  # what `nit init` writes: no parser needed (tomli's import is ~2 ms)
    import tomli

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid TOML: {exc.msg}"
        ) from None


def _comments_only(text: str) -> bool:
    """Whether a TOML document holds only blank lines and valid comments (so it is `{}`).

    A comment may hold any character but a control one other than tab; a line
    with anything else, or a bad comment, is left to the parser and its message.
    """
    for line in text.split("\n"):
        line = line.removesuffix("\r").lstrip(" \t")
        if line and (line[0] != "#" or any(_control(ch) for ch in line)):
            return False
    return True


def _control(ch: str) -> bool:
    return (ch < " " and ch != "\t") or ch == "\x7f"


def _lookup(document: Mapping[str, Any], spec: Key, where: str) -> tuple[bool, Any]:
    """(found, value) of `spec` in a parsed file."""
    section = document.get(spec.section)
    if section is None:
        return False, None
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [{spec.section}] must be a table, got {section!r}")
    if spec.field not in section:
        return False, None
    return True, section[spec.field]


class Config:
    """The settings in force for one run: every known key resolved, with where it came from.

    Build it with `Config.load`; it is a snapshot and does not change when files do.
    """

    __slots__ = ("_repo", "_resolved", "_user", "repo_path", "user_path")

    def __init__(
        self,
        resolved: dict[str, tuple[Value, Origin]],
        user: dict[str, Any],
        repo: dict[str, Any],
        user_path: Path,
        repo_path: Path | None,
    ) -> None:
        self._resolved = resolved
        self._user = user
        self._repo = repo
        self.user_path = user_path
        self.repo_path = repo_path

    @classmethod
    def load(cls, repo_dir: Path | None, env: Mapping[str, str] | None = None) -> Config:
        """Read the user file, the repo file (if `repo_dir`) and the environment.

        Every known key is checked now, so a bad value fails the command at once
        with the file (or variable) to fix, rather than halfway through.
        Environment values that are empty count as unset for bool and int keys;
        for text keys the empty string is a value (e.g. to blank a licence).
        """
        env = _env(env)
        user_path = user_config_file(env)
        repo_path = repo_config_file(repo_dir) if repo_dir is not None else None
        user = _read_toml(user_path)
        repo = _read_toml(repo_path) if repo_path is not None else {}

        resolved: dict[str, tuple[Value, Origin]] = {}
        for name, spec in KEYS.items():
            value: Value = spec.default
            origin: Origin = "default"
            layers: list[tuple[Origin, dict[str, Any], Path | None]] = [
                ("user", user, user_path),
                ("repo", repo, repo_path),
            ]
            for layer, document, path in layers:
                found, raw = _lookup(document, spec, str(path))
                if found:
                    value, origin = from_toml(spec, raw, str(path)), layer
            raw_env = env.get(spec.env)
            if raw_env is not None and (raw_env != "" or spec.type is str):
                value = parse_value(name, raw_env, where=f"environment {spec.env}")
                origin = "env"
            resolved[name] = (value, origin)
        return cls(resolved, user, repo, user_path, repo_path)

    def get(self, key: str) -> Value:
        """The value in force for a known key, typed as its `Key` says."""
        if key not in self._resolved:
            raise unknown_key(key)
        return self._resolved[key][0]

    def origin(self, key: str) -> Origin:
        """Which layer the value of `key` came from: default, user, repo or env."""
        if key not in self._resolved:
            raise unknown_key(key)
        return self._resolved[key][1]

    def items(self) -> list[tuple[str, Value, Origin]]:
        """(key, value, origin) for every known key, in registry order."""
        return [(key, value, origin) for key, (value, origin) in self._resolved.items()]

    def table(self, name: str) -> dict[str, Any]:
        """A top-level table merged from user and repo file, repo winning per entry.

        For tables of named entries such as `networks` or `remotes`: an entry
        `[remotes.origin]` in the repo file replaces the user's whole `origin`
        entry rather than being mixed with it, so one entry never blends two sources.
        """
        merged: dict[str, Any] = {}
        for document, path in ((self._user, self.user_path), (self._repo, self.repo_path)):
            table = document.get(name)
            if table is None:
                continue
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [{name}] must be a table, got {table!r}")
            merged.update(table)
        return merged
