"""`ObjectStore.get_packed`: the chain scan's batched tree reads (a few hundred
lookups per query), the same verified bytes `get` returns, and nothing for what
is not in a pack."""

from __future__ import annotations

from pathlib import Path

from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def test_get_packed_returns_what_get_returns_and_leaves_out_the_rest(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path)
    blocks = {Nid.of_bytes(f"tree {k}".encode()): f"tree {k}".encode() for k in range(1_200)}
    with repo.transaction():
        for cid, data in blocks.items():
            repo.objects.put_block(cid, data)
    missing = Nid.of_bytes(b"nobody has this tree")
    wanted = [*blocks, missing]
    found = repo.objects.get_packed(wanted)
    assert found == {cid: repo.objects.get(cid) for cid in blocks}  # across 3 queries
    assert missing not in found
    repo.close()
