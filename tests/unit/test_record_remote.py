"""Recording what a push found on chain: many refs/remotes files in one batch
(`Refs.record_remote` over `fsio.atomic_write_many`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from numbers_cli.fsio import atomic_write_many
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository


def nid(n: int) -> Nid:
    return Nid.of_bytes(f"asset {n}".encode())


def entry(n: int, block: int) -> RemoteEntry:
    return RemoteEntry(Nid.of_bytes(f"commit {n}".encode()), "0x" + f"{n:064x}", block)


def test_atomic_write_many_writes_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = {
        tmp_path / d / f"f{i}": f"{d}{i}\n".encode() * (i + 1) for d in "ab" for i in range(40)
    }
    (tmp_path / "a" / "f0").write_bytes(b"old content")
    atomic_write_many(files, 0o600)
    for path, data in files.items():
        assert path.read_bytes() == data
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600 & ~_umask()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(f"f{i}" for i in range(40))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_atomic_write_many_leaves_no_temp_file_when_one_fails(tmp_path: Path) -> None:
    good = tmp_path / "good"
    files = {good: b"new", tmp_path / "missing-dir" / "x": b"never"}
    good.write_bytes(b"old")
    with pytest.raises(FileNotFoundError):
        atomic_write_many(files)
    assert good.read_bytes() == b"old"  # nothing renamed before every file was written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]


def test_record_remote_merges_and_keeps_order(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path)
    refs = repo.refs
    with repo.transaction():
        added = refs.record_remote(
            "devnet", [(nid(1), entry(1, 10)), (nid(1), entry(2, 11)), (nid(2), entry(3, 12))]
        )
    assert added == 3
    assert refs.remote_history("devnet", nid(1)) == [entry(1, 10), entry(2, 11)]
    assert refs.remote_history("devnet", nid(2)) == [entry(3, 12)]

    with repo.transaction():
        added = refs.record_remote(
            "devnet",
            [
                (nid(1), entry(2, 11)),  # known
                (nid(1), entry(4, 13)),  # new, given twice
                (nid(1), entry(4, 13)),
                (nid(2), entry(3, 12)),  # nothing new
            ],
        )
    assert added == 1
    assert refs.remote_history("devnet", nid(1)) == [entry(1, 10), entry(2, 11), entry(4, 13)]
    assert refs.remote_history("devnet", nid(2)) == [entry(3, 12)]
    assert refs.remote_history("devnet", nid(3)) == []
    assert refs.remote_history("othernet", nid(1)) == []


def test_record_remote_of_many_assets(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path)
    found = [(nid(n), entry(n, 100 + n)) for n in range(300)]
    assert repo.record_remote("devnet", found) == 300  # takes the write lock itself
    assert repo.record_remote("devnet", found) == 0
    for asset, recorded in found:
        assert repo.refs.remote_history("devnet", asset) == [recorded]
    leftovers = [p for p in (tmp_path / ".numbers").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
