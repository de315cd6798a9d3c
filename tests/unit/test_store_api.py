"""The repository API other parts of nit build on, over the format-2 store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.repo.refs import RemoteEntry
from numbers_cli.repo.repository import Repository

A = Nid.of_bytes(b"asset a")
B = Nid.of_bytes(b"asset b")
C1, C2, C3 = (Nid.of_bytes(f"commit {i}".encode()) for i in range(3))
TX = "0x" + "ab" * 32


def test_record_remote_in_batches_is_idempotent(tmp_path: Path):
    repo = Repository.init(tmp_path)
    first = [(A, RemoteEntry(C1, TX, 5)), (B, RemoteEntry(C2, TX, 5))]
    assert repo.record_remote("devnet", first) == 2
    assert repo.record_remote("devnet", [*first, (A, RemoteEntry(C3, TX, 6))]) == 1
    assert repo.refs.remote_history("devnet", A) == [RemoteEntry(C1, TX, 5), RemoteEntry(C3, TX, 6)]
    assert repo.refs.remote_counts() == {A: 2, B: 1}
    assert repo.refs.pushed_count(A) == 2 and repo.refs.networks() == ["devnet"]


def test_transaction_refs_are_visible_inside_and_written_at_the_end(tmp_path: Path):
    repo = Repository.init(tmp_path)
    with repo.transaction() as txn:
        txn.append_commit(A, C1)
        txn.append_commit(A, C2)
        assert txn.history(A) == [C1, C2]
        assert repo.refs.history(A) == []  # not yet in the store
    assert repo.refs.history(A) == [C1, C2] and repo.refs.assets() == [A]


def test_a_failed_transaction_leaves_nothing(tmp_path: Path):
    repo = Repository.init(tmp_path)
    with pytest.raises(RuntimeError), repo.transaction() as txn:
        txn.append_commit(A, C1)
        repo.objects.put(b"an object")
        raise RuntimeError("boom")
    assert repo.refs.history(A) == []
    assert not repo.objects.has(Nid.of_bytes(b"an object"))
    assert not list((tmp_path / ".numbers" / "objects" / "pack").iterdir())


def test_objects_put_outside_a_transaction_are_stored_and_read_back(tmp_path: Path):
    repo = Repository.init(tmp_path)
    nid = repo.objects.put(b"small")
    big = random.Random(1).randbytes(768_000)  # three distinct chunks: a pack of its own
    big_nid = repo.objects.put(big)
    again = Repository(tmp_path)
    assert again.objects.get(nid) == b"small"
    assert again.objects.has_pack(big_nid)
    assert b"".join(d for n, d in again.objects.iter_dag(big_nid) if n.is_raw) == big


def test_a_damaged_ref_line_is_named(tmp_path: Path):
    repo = Repository.init(tmp_path)
    repo.refs.set(f"refs/heads/{A}", f"{C1}\nnot-a-nid\n")
    with pytest.raises(InvalidFormat, match=f"refs/heads/{A}.*not a commit Nid"):
        repo.refs.history(A)
