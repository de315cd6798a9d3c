"""Layered settings, the way git does them: defaults < user file < repo file < environment.

The user file (`<user_config_dir>/config.toml`) holds what follows a person from
repository to repository (their name, their default wallet); the repo file
(`<repo>/.numbers/config.toml`) what belongs to one collection of assets; and
`NIT_*` environment variables win over both, so CI can set everything without
writing files.

Known settings are listed once, in `KEYS`: each with its type, default,
environment variable and a one-line description, so `nit config` can validate,
list and explain them. Other parts of nit keep whole tables in the same files
(`[networks.devnet]`, `[remotes.origin]`); this module keeps whatever it does not
know, and every writer rewrites only the entry it was asked to change.

Files are read with tomli here and written by `numbers_cli.config_writer`
with tomli-w through `fsio.atomic_write`.
A rewrite keeps all values but not comments or layout (tomli-w cannot).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli

from numbers_cli.errors import ConfigError, NitError, NotARepository

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

Value = str | int | bool
Scope = Literal["user", "repo"]
Origin = Literal["default", "user", "repo", "env"]

APP_NAME = "numbers"
REPO_DIR_NAME = ".numbers"
CONFIG_FILE_NAME = "config.toml"

# Same rule as numbers_cli.wallet.WALLET_NAME_RE (the wallet imports config, not
# the other way round); tests/unit/test_wallet.py checks that they agree.
_WALLET_NAME_RE = re.compile(r"(?!\.)[A-Za-z0-9_.-]{1,64}")


def _check_wallet_name(value: Value) -> str | None:
    if _WALLET_NAME_RE.fullmatch(str(value)):
        return None
    return "a wallet name is 1-64 of A-Z a-z 0-9 _ . - and does not start with '.'"


def _check_not_empty(value: Value) -> str | None:
    return None if str(value).strip() else "must not be empty"


def _check_license(value: Value) -> str | None:
    """A licence `nit add` accepts: a known short name, or NAME=URL (empty: none)."""
    text = str(value)
    if not text:
        return None
    from numbers_cli.model.tree import license_of

    name, sep, url = text.partition("=")
    try:
        license_of(name, url if sep else None)
    except NitError as exc:
        return exc.message
    return None


def _check_nid(value: Value) -> str | None:
    """A Nid (a profile document's CID), or empty."""
    if not str(value):
        return None
    from numbers_cli.model.nid import Nid

    try:
        Nid.parse(str(value))
    except NitError:
        return "expected the Nid (CIDv1) of a profile, or nothing"
    return None


_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _check_name(value: Value) -> str | None:
    """A network or remote name: 1-64 of A-Z a-z 0-9 _ . - (empty: none)."""
    if not str(value) or _NAME_RE.fullmatch(str(value)):
        return None
    return "a name is 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit"


def _check_network(value: Value) -> str | None:
    return _check_not_empty(value) or _check_name(value)


def _check_pager(value: Value) -> str | None:
    return None if "\n" not in str(value) and "\0" not in str(value) else "must be one line"


@dataclass(frozen=True)
class Key:
    """One known setting: `section.name` in TOML, `env` in the environment."""

    name: str
    type: type[str] | type[int] | type[bool]
    default: Value
    env: str
    description: str
    check: Callable[[Value], str | None] | None = None
    """Extra validation beyond the type: returns what is wrong, or None."""

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.name.split(".", 1)[1]


# Adding a setting is adding one line here: name, type, default, env var, description[, check].
# fmt: off
KEYS: dict[str, Key] = {key.name: key for key in (
    Key("user.name", str, "", "NIT_USER_NAME", "your name, written as assetCreator"),
    Key("user.wallet", str, "default", "NIT_WALLET", "wallet that signs", _check_wallet_name),
    Key("commit.author", str, "", "NIT_AUTHOR", "commit author; empty: the wallet's address"),
    Key("commit.provider", str, "", "NIT_PROVIDER", "provider profile Nid in commits", _check_nid),
    Key("add.license", str, "", "NIT_LICENSE", "licence of new assets", _check_license),
    Key("add.reference", bool, False, "NIT_ADD_REFERENCE", "add by reference (as --no-copy)"),
    Key("core.network", str, "devnet", "NIT_NETWORK", "network nit push uses", _check_network),
    Key("core.progress", bool, True, "NIT_PROGRESS", "show progress bars"),
    Key("core.remote", str, "", "NIT_REMOTE", "IPFS remote (empty: the only one)", _check_name),
    Key("core.pager", str, "", "NIT_PAGER", "pager (empty: $PAGER, else less)", _check_pager),
    # data stream (issue 15): C2PA signing (nit export --c2pa) and reading (add, verify)
    Key("c2pa.cert", str, "", "NIT_C2PA_CERT", "PEM certificate chain signing C2PA manifests"),
    Key("c2pa.key", str, "", "NIT_C2PA_KEY", "PEM private key of c2pa.cert (a 0600 file)"),
    Key("c2pa.trust_anchors", str, "", "NIT_C2PA_TRUST_ANCHORS", "PEM roots trusted in C2PA"),
)}
# fmt: on

_SECTIONS = frozenset(key.section for key in KEYS.values())

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


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
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where per-user data (caches, fingerprints) lives: NIT_DATA_DIR, XDG, then the OS default."""
    env = _env(env)
    if env.get("NIT_DATA_DIR"):
        return Path(env["NIT_DATA_DIR"])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / APP_NAME
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
# Values


def _unknown_key(key: str) -> ConfigError:
    close = difflib.get_close_matches(key, list(KEYS), n=3, cutoff=0.6)
    suggestion = f" (did you mean {', '.join(close)}?)" if close else ""
    return ConfigError(
        f"unknown config key {key!r}{suggestion}",
        hint="`nit config list` shows every key",
    )


def _known(key: str) -> Key:
    try:
        return KEYS[key]
    except KeyError:
        raise _unknown_key(key) from None


def _validate(spec: Key, value: Value, where: str) -> Value:
    if spec.check is not None and (problem := spec.check(value)) is not None:
        raise ConfigError(f"{where}: {spec.name} = {value!r}: {problem}")
    return value


def parse_value(key: str, raw: str, *, where: str = "value") -> Value:
    """Turn text typed by a person (command line, environment) into the key's type.

    Booleans accept true/false, yes/no, 1/0 in any case; ints are decimal.
    `where` names the source in the error message.
    """
    spec = _known(key)
    text = raw.strip()
    value: Value
    if spec.type is bool:
        lowered = text.lower()
        if lowered in _TRUE:
            value = True
        elif lowered in _FALSE:
            value = False
        else:
            raise ConfigError(f"{where}: {key} expects true or false (or yes/no, 1/0), got {raw!r}")
    elif spec.type is int:
        try:
            value = int(text, 10)
        except ValueError:
            raise ConfigError(f"{where}: {key} expects a whole number, got {raw!r}") from None
    else:
        value = raw
    return _validate(spec, value, where)


def _from_toml(spec: Key, value: Any, where: str) -> Value:
    """Check a value read from a TOML file, where it already carries a type."""
    if spec.type is bool:
        ok = isinstance(value, bool)
        expected = "true or false"
    elif spec.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "a whole number"
    else:
        ok = isinstance(value, str)
        expected = "a string (in quotes)"
    if not ok:
        raise ConfigError(f"{where}: {spec.name} must be {expected}, got {value!r}")
    return _validate(spec, value, where)


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
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid TOML: {exc.msg}"
        ) from None


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
                    value, origin = _from_toml(spec, raw, str(path)), layer
            raw_env = env.get(spec.env)
            if raw_env is not None and (raw_env != "" or spec.type is str):
                value = parse_value(name, raw_env, where=f"environment {spec.env}")
                origin = "env"
            resolved[name] = (value, origin)
        return cls(resolved, user, repo, user_path, repo_path)

    def get(self, key: str) -> Value:
        """The value in force for a known key, typed as its `Key` says."""
        if key not in self._resolved:
            raise _unknown_key(key)
        return self._resolved[key][0]

    def origin(self, key: str) -> Origin:
        """Which layer the value of `key` came from: default, user, repo or env."""
        if key not in self._resolved:
            raise _unknown_key(key)
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
