"""Writing settings: `nit config set/unset` and the tables other commands keep
(`[networks.x]`, `[remotes.x]`) in the same TOML files. Each writer reads only
its own file, changes one entry, and rewrites it atomically; reading and
merging the layers is `numbers_cli.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from numbers_cli.config import Scope, _read_toml, config_file
from numbers_cli.config_keys import (
    KEYS,
    SECTIONS,
    Value,
    known_key,
    parse_value,
    unknown_key,
)
from numbers_cli.errors import ConfigError
from numbers_cli.fsio import atomic_write, make_dirs

__all__ = ["remove_table_entry", "set_table_entry", "set_value", "unset_value"]


# --------------------------------------------------------------------------
# Writing


def _write_toml(path: Path, document: dict[str, Any]) -> None:
    try:
        data = tomli_w.dumps(document).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from None
    try:
        make_dirs(path.parent)
        atomic_write(path, data, 0o644)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _section_for_write(document: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = document.setdefault(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [{name}] must be a table, got {section!r}")
    return section


def set_value(
    scope: Scope,
    key: str,
    raw: str,
    repo_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Value:
    """Store a known key in the user or repo file; returns the typed value stored.

    `raw` is text as a person types it and is parsed per the key's type. The file
    is read, changed in this one place and written back atomically; everything
    else in it (unknown keys, tables of other modules) is kept.
    """
    spec = known_key(key)
    value = parse_value(key, raw)
    path = config_file(scope, repo_dir, env=env)
    document = _read_toml(path)
    _section_for_write(document, spec.section, path)[spec.field] = value
    _write_toml(path, document)
    return value


def unset_value(
    scope: Scope,
    key: str,
    repo_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Remove a key from the user or repo file; True if it was there.

    Accepts keys nit does not know if the file has them, so a misspelt key
    written by hand can be removed with the same command. An emptied section
    is dropped.
    """
    if "." not in key:
        raise unknown_key(key)
    path = config_file(scope, repo_dir, env=env)
    document = _read_toml(path)
    section_name, field = key.split(".", 1)
    section = document.get(section_name)
    if not isinstance(section, dict) or field not in section:
        if key in KEYS:
            return False
        raise unknown_key(key)
    del section[field]
    if not section:
        del document[section_name]
    _write_toml(path, document)
    return True


def _check_table_name(table: str) -> None:
    if not table or table in SECTIONS:
        raise ConfigError(
            f"{table!r} cannot hold named entries: it is empty or a section of settings"
        )


def set_table_entry(
    scope: Scope,
    table: str,
    name: str,
    mapping: Mapping[str, Any],
    repo_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Store `[table.name]` (e.g. `[remotes.origin]`), replacing that entry whole.

    Values must be TOML-representable (str, int, float, bool, dates, lists,
    nested mappings); None is not.
    """
    _check_table_name(table)
    if not name:
        raise ConfigError(f"an entry of [{table}] needs a name")
    path = config_file(scope, repo_dir, env=env)
    document = _read_toml(path)
    _section_for_write(document, table, path)[name] = dict(mapping)
    _write_toml(path, document)


def remove_table_entry(
    scope: Scope,
    table: str,
    name: str,
    repo_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Delete `[table.name]`; True if it existed. An emptied table is dropped."""
    _check_table_name(table)
    path = config_file(scope, repo_dir, env=env)
    document = _read_toml(path)
    section = document.get(table)
    if not isinstance(section, dict) or name not in section:
        return False
    del section[name]
    if not section:
        del document[table]
    _write_toml(path, document)
    return True
