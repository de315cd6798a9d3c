"""A file DAG fetched from a remote is bounded by the size its root declares.

Blocks are content-addressed, so a remote cannot change a DAG; but anyone can
publish a root that declares 256 KiB and links, many times over, to blocks that
hold 43.5 MiB (or terabytes: a link may repeat, level after level). Before,
`nit cat` walked and stored all of it. Now the walk stops a little past what the
root declares, with one line, and keeps nothing. Blocks come from a real
loopback trustless gateway (tests/support/hostile_node.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.ipfs.conftest import CHUNK
from tests.ipfs.test_trustless_fetch import nit_cat
from tests.support import hostile_node

from numbers_cli.errors import IntegrityError
from numbers_cli.model.nid import Nid, dag_pb_cid_bytes, raw_cid_bytes
from numbers_cli.model.unixfs import Link, encode_file_node
from numbers_cli.monitor.sources.ipfs import IpfsReadError, read_file
from numbers_cli.repo.repository import Repository


def dag_pb(links: list[Link]) -> tuple[bytes, bytes]:
    """(binary CID, block) of a UnixFS file node over `links`."""
    block = encode_file_node(links)
    return dag_pb_cid_bytes(block), block


def bomb() -> tuple[Nid, dict[str, bytes]]:
    """A root declaring one chunk (256 KiB) over 174 links to one leaf: 43.5 MiB."""
    leaf = os.urandom(CHUNK)
    leaf_cid = raw_cid_bytes(leaf)
    inner_cid, inner = dag_pb([Link(leaf_cid, CHUNK, CHUNK)] * 174)
    root_cid, root = dag_pb([Link(inner_cid, len(inner) + 174 * CHUNK, CHUNK)])  # the lie
    blocks = {leaf_cid: leaf, inner_cid: inner, root_cid: root}
    return Nid.from_bytes(root_cid), {str(Nid.from_bytes(c)): b for c, b in blocks.items()}


def test_cat_stops_a_dag_larger_than_its_root_declares(repo: Path) -> None:
    root, blocks = bomb()
    asked: list[str] = []
    with hostile_node.block_gateway(blocks, asked) as url:
        result = nit_cat(repo, str(root), "--gateway", url, "--timeout", "10")
    err = result.stderr.decode()
    assert result.returncode == 5, err
    assert result.stdout == b""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(root) in err and "more than its declared 262,144 bytes" in err, err
    assert len(asked) < 10, len(asked)  # not 176 blocks
    assert not Repository(repo).objects.has(root)
    assert not list((repo / ".numbers/tmp").iterdir())


def test_an_honest_dag_through_the_same_gateway_is_whole(repo: Path) -> None:
    leaves = [os.urandom(CHUNK) for _ in range(3)] + [b"tail"]
    links = [Link(raw_cid_bytes(leaf), len(leaf), len(leaf)) for leaf in leaves]
    root_cid, root = dag_pb(links)
    blocks = {str(Nid.from_bytes(raw_cid_bytes(leaf))): leaf for leaf in leaves}
    blocks[str(Nid.from_bytes(root_cid))] = root
    asked: list[str] = []
    with hostile_node.block_gateway(blocks, asked) as url:
        result = nit_cat(repo, str(Nid.from_bytes(root_cid)), "--gateway", url, "--timeout", "10")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(leaves)


def counting(blocks: dict[Nid, bytes], calls: list[Nid]):  # type: ignore[no-untyped-def]
    def block(cid: Nid) -> bytes:
        calls.append(cid)
        return blocks[cid]

    return block


def test_monitor_stops_a_dag_of_empty_leaves() -> None:
    """10,000 links to an empty leaf, 100 times over: a million blocks of nothing.
    Before, the image reader asked for every one (its cap counts content only)."""
    empty = raw_cid_bytes(b"")
    inner_cid, inner = dag_pb([Link(empty, 0, 0)] * 10_000)
    root_cid, root = dag_pb([Link(inner_cid, len(inner), 0)] * 100)
    blocks = {Nid.from_bytes(c): b for c, b in ((empty, b""), (inner_cid, inner), (root_cid, root))}
    calls: list[Nid] = []
    with pytest.raises((IpfsReadError, IntegrityError)) as caught:
        read_file(Nid.from_bytes(root_cid), counting(blocks, calls))
    assert "more than its declared 0 bytes" in str(caught.value)
    assert len(calls) < 2_000, len(calls)


def test_monitor_refuses_a_declared_size_over_its_cap_before_reading_on() -> None:
    leaf = b"x" * 100
    root_cid, root = dag_pb([Link(raw_cid_bytes(leaf), 100, 10 * CHUNK)])  # declares 2.5 MiB
    blocks = {Nid.from_bytes(root_cid): root, Nid.from_bytes(raw_cid_bytes(leaf)): leaf}
    calls: list[Nid] = []
    with pytest.raises(IpfsReadError) as caught:
        read_file(Nid.from_bytes(root_cid), counting(blocks, calls), cap=CHUNK)
    assert "larger than" in str(caught.value)
    assert calls == [Nid.from_bytes(root_cid)]
