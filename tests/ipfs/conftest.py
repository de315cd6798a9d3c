"""Fixtures for the IPFS adapter, upload and fetch tests, all against a real js-ipfs node.

Every test in this folder is marked ``ipfs`` (deselect with ``-m 'not ipfs'``).
The session node (``ipfs_node``, tests/conftest.py) is shared by the tests of
one xdist worker, so tests here use fresh random content and never garbage-
collect it; a test that must damage a node starts its own (``fresh_node``).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import Nit
from tests.support.ipfs_node import IpfsNode

from numbers_cli.ipfs.kubo import KuboRemote
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model.nid import Nid
from numbers_cli.ops.trees import load_commit
from numbers_cli.repo.repository import Repository

CHUNK = 262_144


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``ipfs``, so ``-m 'not ipfs'`` deselects them all."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.ipfs)


@dataclass(frozen=True)
class Committed:
    """One committed file: the three objects `nit push` uploads for it."""

    path: Path
    file: Nid
    tree: Nid
    commit: Nid

    @property
    def cids(self) -> list[Nid]:
        return [self.file, self.tree, self.commit]


def commit_file(nit: Nit, workdir: Path, name: str, data: bytes) -> Committed:
    """Write, `nit add` and `nit commit` one file (needs the `signing_key` fixture)."""
    path = workdir / name
    path.write_bytes(data)
    added = nit("add", name, "--json")
    assert added.exit_code == 0, added.output
    nid = Nid(json.loads(added.stdout)[0]["nid"])
    done = nit("commit", "-m", f"add {name}", "--json")
    assert done.exit_code == 0, done.output
    commit = Nid(json.loads(done.stdout)[0]["commit"])
    tree = load_commit(Repository.find(workdir), commit).tree_cid
    return Committed(path, nid, tree, commit)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node_remote(ipfs_node: IpfsNode) -> Remote:
    """The session node as a configured `kubo` remote, with a short timeout."""
    return Remote("node", ipfs_node.api_url, "kubo", timeout=5.0)


@pytest.fixture
def kubo(ipfs_node: IpfsNode) -> Iterator[KuboRemote]:
    with KuboRemote(ipfs_node.api_url, timeout=5.0, name="node") as client:
        yield client


@pytest.fixture
def fresh_node(tmp_path: Path) -> Iterator[IpfsNode]:
    """A node of this test's own, for tests that garbage-collect or stop it."""
    IpfsNode.require_tools()
    with IpfsNode(tmp_path / "own-node") as node:
        yield node


@pytest.fixture
def repo_obj(repo: Path) -> Repository:
    """The `repo` fixture's repository as an object, for calling ops directly."""
    return Repository.find(repo)
