"""`nit upgrade`: convert the repository here to this nit's on-disk format.

The conversion itself belongs to the repository layer (`repo.format1`); this
finds the repository without refusing its format, which every other command does.
"""

from __future__ import annotations

from pathlib import Path

from numbers_cli.errors import NotARepository
from numbers_cli.repo.format1 import Upgraded
from numbers_cli.repo.format1 import upgrade as upgrade_repository
from numbers_cli.repo.repository import Repository, find_enclosing

__all__ = ["Upgraded", "upgrade"]


def upgrade(cwd: Path) -> Upgraded:
    root = find_enclosing(cwd.resolve())
    if root is None:
        raise NotARepository(
            f"not a nit repository (or any parent up to /): {cwd}", hint="run `nit init` first"
        )
    return upgrade_repository(Repository(root))
