"""Opening the repository and its layered config together, as every command does."""

from __future__ import annotations

from pathlib import Path

from numbers_cli.config import Config
from numbers_cli.repo.repository import Repository


def open_repo(cwd: Path) -> tuple[Repository, Config]:
    repo = Repository.find(cwd)
    return repo, Config.load(repo.workdir)
