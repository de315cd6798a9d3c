"""Opening the repository and its layered config together, as every command does."""

from __future__ import annotations

from pathlib import Path

from numbers_cli.config import Config
from numbers_cli.repo.repository import Repository


def open_repo(cwd: Path, *, repairing: bool = False) -> tuple[Repository, Config]:
    """`repairing` (`nit fsck`) lets a damaged format file through, to report and fix it."""
    repo = Repository.find(cwd, repairing=repairing)
    return repo, Config.load(repo.workdir)
