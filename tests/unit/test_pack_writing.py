"""Packs written past the page cache (repo.aligned) are the very CARs the buffered
writer makes, whatever the sizes, and fall back to buffered writes where O_DIRECT
is refused."""

from __future__ import annotations

import errno
import hashlib
import os
import random
from pathlib import Path

import pytest

from numbers_cli.model import car
from numbers_cli.model.nid import RAW_PREFIX
from numbers_cli.model.unixfs import CHUNK_SIZE
from numbers_cli.repo import aligned
from numbers_cli.repo.packs import PackFile, scan_pack

ROOT = RAW_PREFIX + bytes(range(32))


def _blocks(total: int, seed: int = 7) -> list[bytes]:
    """Raw leaves of a `total`-byte file, and now and then a small odd-sized block
    (as interior dag-pb nodes come between leaves)."""
    rnd = random.Random(seed)
    out: list[bytes] = []
    left = total
    while left:
        size = min(CHUNK_SIZE, left)
        out.append(rnd.randbytes(size))
        left -= size
        if rnd.random() < 0.1:
            out.append(rnd.randbytes(rnd.randint(1, 9000)))
    return out


def _write(tmp: Path, name: str, blocks: list[bytes], *, direct: bool) -> Path:
    pack = PackFile(tmp / name, tmp / f"tmp-{name}", direct=direct)
    try:
        batch: list[bytes] = []
        for data in blocks:  # leaves sixteen at a time, the others one by one
            if len(data) == CHUNK_SIZE and len(batch) < 16:
                batch.append(data)
                continue
            _flush(pack, batch)
            batch = []
            pack(RAW_PREFIX + hashlib.sha256(data).digest(), data)
        _flush(pack, batch)
        return pack.finish(ROOT, "pack")
    finally:
        pack.abort()


def _flush(pack: PackFile, batch: list[bytes]) -> None:
    if batch:
        pack.leaves([hashlib.sha256(d).digest() for d in batch], memoryview(b"".join(batch)))


@pytest.mark.parametrize(
    "total",
    [
        1,  # far below a page: header and block in one write
        3 * CHUNK_SIZE,
        aligned.SEGMENT - 200,  # around the first segment's end
        aligned.SEGMENT + 4096,
        3 * aligned.SEGMENT + 12_345,  # several segments and a ragged tail
    ],
)
def test_a_direct_pack_is_byte_for_byte_the_buffered_one(tmp_path, total):
    blocks = _blocks(total)
    direct = _write(tmp_path, "direct", blocks, direct=True)
    buffered = _write(tmp_path, "buffered", blocks, direct=False)
    assert direct.read_bytes() == buffered.read_bytes()
    roots, scanned = scan_pack(direct)
    assert roots == [ROOT]
    assert [b.data for b in scanned] == blocks


def test_a_filesystem_refusing_o_direct_gets_buffered_writes(tmp_path, monkeypatch):
    real_open = os.open

    def no_direct(path, flags, mode=0o777):  # type: ignore[no-untyped-def]
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")  # what tmpfs answers
        return real_open(path, flags, mode)

    monkeypatch.setattr(aligned.os, "open", no_direct)
    blocks = _blocks(2 * aligned.SEGMENT + 99)
    pack = PackFile(tmp_path / "p", tmp_path / "t", direct=True)
    assert pack._aligned is None  # plain buffered writing
    pack.abort()
    direct = _write(tmp_path, "direct", blocks, direct=True)
    monkeypatch.undo()
    assert direct.read_bytes() == _write(tmp_path, "plain", blocks, direct=False).read_bytes()


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT is Linux's")
def test_a_write_refused_midway_is_made_again_through_the_cache(tmp_path, monkeypatch):
    """A filesystem that opens with O_DIRECT but wants other alignment (EINVAL on write)."""
    real_pwrite = os.pwrite
    refused: list[int] = []

    def picky(fd, data, offset):  # type: ignore[no-untyped-def]
        if aligned.fcntl.fcntl(fd, aligned.fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(aligned.os, "pwrite", picky)
    blocks = _blocks(aligned.SEGMENT + 5000)
    direct = _write(tmp_path, "direct", blocks, direct=True)
    monkeypatch.undo()
    plain = _write(tmp_path, "plain", blocks, direct=False)
    assert direct.read_bytes() == plain.read_bytes()
    assert len(direct.read_bytes()) == car.HEADER_LEN + sum(
        len(car.block_frame(RAW_PREFIX + bytes(32), len(b))) + len(b) for b in blocks
    )
    if refused:  # only where the filesystem took O_DIRECT at all (not tmpfs)
        assert refused == [0]  # refused once, then every write went through the cache
