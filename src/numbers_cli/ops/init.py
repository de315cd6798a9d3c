"""`nit init`."""

from __future__ import annotations

from pathlib import Path

from numbers_cli.repo.repository import Repository


def init(path: Path, *, nested: bool = False) -> Repository:
    return Repository.init(path, allow_nested=nested)
