"""`nit config`: read and write the layered settings (user < repo < NIT_* env)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from numbers_cli.config import KEYS, Config
from numbers_cli.config_writer import set_value, unset_value
from numbers_cli.repo.repository import find_enclosing

Scope = Literal["user", "repo"]


def load(cwd: Path) -> tuple[Config, Path | None]:
    repo_dir = find_enclosing(cwd.resolve())
    return Config.load(repo_dir), repo_dir


def describe(key: str) -> str:
    return KEYS[key].description


def set_(cwd: Path, scope: Scope, key: str, raw: str) -> object:
    return set_value(scope, key, raw, find_enclosing(cwd.resolve()))


def unset(cwd: Path, scope: Scope, key: str) -> bool:
    return unset_value(scope, key, find_enclosing(cwd.resolve()))
