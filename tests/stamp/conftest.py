"""Fixtures for `nit stamp` against a real anvil: the push fixtures (a funded test
wallet, the devnet in the user config) and artifacts to stamp."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.push.conftest import funded, on_devnet

__all__ = ["artifacts", "funded", "on_devnet"]


def make_artifacts(where: Path, count: int, prefix: str = "artifact") -> list[Path]:
    """`count` small distinct build artifacts (1-4 KiB), named prefix-N.bin."""
    where.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = where / f"{prefix}-{number}.bin"
        path.write_bytes(f"{prefix} {number}\n".encode() + os.urandom(1024 + 97 * number % 3000))
        paths.append(path)
    return paths


@pytest.fixture
def artifacts(workdir: Path):  # type: ignore[no-untyped-def]
    def make(count: int, prefix: str = "artifact", sub: str = "dist") -> list[Path]:
        return make_artifacts(workdir / sub, count, prefix)

    return make
