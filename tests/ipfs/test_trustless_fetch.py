"""Trustless fetch: `nit cat` and tree loading fall back to a remote, and trust only hashes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import Nit
from tests.ipfs.conftest import CHUNK, closed_port, commit_file
from tests.support.ipfs_node import IpfsNode

from numbers_cli.config import Config
from numbers_cli.errors import NotFound
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model import car
from numbers_cli.model.nid import Nid, raw_cid_bytes
from numbers_cli.ops.blocks import RemoteObjects, fetch_object, source_for
from numbers_cli.ops.remotes import open_remote
from numbers_cli.ops.trees import iter_file, load_commit, tree_of
from numbers_cli.ops.upload import upload_objects
from numbers_cli.repo.repository import Repository


def nit_cat(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """`nit cat` in a subprocess, for exact stdout bytes."""
    return subprocess.run(
        [sys.executable, "-m", "numbers_cli", "cat", *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def node_file(node: IpfsNode, tmp_path: Path, size: int) -> tuple[Nid, bytes]:
    """A random file added by the node itself (so only the node has it)."""
    data = os.urandom(size)
    path = tmp_path / f"node-{size}.bin"
    path.write_bytes(data)
    return Nid.parse(node.add(path)), data


@pytest.fixture
def with_node_remote(nit: Nit, repo: Path, ipfs_node: IpfsNode) -> str:
    assert nit("remote", "add", "node", ipfs_node.api_url, "--timeout", "3").exit_code == 0
    return "node"


def test_cat_fetches_a_file_only_the_node_has_and_keeps_it(
    repo: Path, repo_obj: Repository, ipfs_node: IpfsNode, tmp_path: Path, with_node_remote: str
) -> None:
    cid, data = node_file(ipfs_node, tmp_path, 3 * CHUNK + 123)
    assert not repo_obj.objects.has(cid)
    result = nit_cat(repo, cid)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    # Stored as one pack, so the next read is local: it works with the remote gone.
    assert Repository(repo).objects.has_pack(Nid(cid))
    assert not list((repo / ".numbers/tmp").iterdir())
    assert Nit(repo)("remote", "remove", "node").exit_code == 0
    again = nit_cat(repo, cid)
    assert again.returncode == 0 and again.stdout == data


def test_cat_block_fetches_only_that_block(
    repo: Path, repo_obj: Repository, ipfs_node: IpfsNode, tmp_path: Path, with_node_remote: str
) -> None:
    cid, _ = node_file(ipfs_node, tmp_path, 2 * CHUNK + 1)
    result = nit_cat(repo, "--block", cid, "--remote", "node")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ipfs_node.rpc("block/get", {"arg": cid})
    assert repo_obj.objects.has(Nid(cid))  # the one block, in the store
    assert not repo_obj.objects.has_pack(Nid(cid))  # not a pack of the whole file


def test_cat_through_a_gateway(
    repo: Path, repo_obj: Repository, ipfs_node: IpfsNode, tmp_path: Path
) -> None:
    """A single-block file: the js-ipfs gateway's answer is the block, and hashes right."""
    cid, data = node_file(ipfs_node, tmp_path, 4000)
    result = nit_cat(repo, cid, "--gateway", ipfs_node.gateway_url, "--timeout", "10")
    assert result.returncode == 0, result.stderr
    assert result.stdout == data
    assert repo_obj.objects.get(cid) == data


def test_gateway_bytes_that_do_not_hash_are_refused_and_not_kept(
    repo: Path, repo_obj: Repository, ipfs_node: IpfsNode, tmp_path: Path
) -> None:
    cid, _ = node_file(ipfs_node, tmp_path, 2 * CHUNK + 5)
    result = nit_cat(repo, cid, "--gateway", ipfs_node.gateway_url, "--timeout", "10")
    assert result.returncode == 5
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(cid) in err and "trustless raw blocks" in err
    assert not repo_obj.objects.has(cid)
    assert not list((repo / ".numbers/tmp").iterdir())


def test_a_wrong_block_from_the_node_is_refused_and_not_kept(
    repo: Path, repo_obj: Repository, ipfs_node: IpfsNode, with_node_remote: str
) -> None:
    claimed = raw_cid_bytes(os.urandom(16))  # js-ipfs keeps any bytes under any CID
    ipfs_node.rpc_upload(
        "dag/import",
        {"pin-roots": "false"},
        car.encode_header(claimed) + car.block_frame(claimed, 3) + b"bad",
    )
    cid = Nid.from_bytes(claimed)
    result = nit_cat(repo, cid)
    assert result.returncode == 5
    err = result.stderr.decode()
    assert f"IPFS remote 'node' ({ipfs_node.api_url}) answered block {cid}" in err
    assert not repo_obj.objects.has(cid)


def test_a_cid_nobody_has_fails_within_the_timeout(
    repo: Path, with_node_remote: str, ipfs_node: IpfsNode
) -> None:
    absent = Nid.from_bytes(raw_cid_bytes(os.urandom(32)))
    started = time.monotonic()
    result = nit_cat(repo, absent, timeout=30)
    assert result.returncode == 4, result.stderr
    assert f"block {absent} is not on IPFS remote 'node'" in result.stderr.decode()
    started_gw = time.monotonic()
    assert started_gw - started < 15
    gateway = nit_cat(
        repo, absent, "--gateway", ipfs_node.gateway_url, "--timeout", "1", timeout=30
    )
    assert gateway.returncode == 9
    assert "did not answer within 1 s" in gateway.stderr.decode()
    assert time.monotonic() - started_gw < 15


def test_a_local_read_never_needs_the_remote(
    nit: Nit, repo: Path, signing_key: str, tmp_path: Path
) -> None:
    """Two remotes and no default would be an error, but only if something is missing."""
    small = commit_file(nit, repo, "here.txt", b"local bytes")
    for name in ("a", "b"):
        assert nit("remote", "add", name, f"http://127.0.0.1:{closed_port()}").exit_code == 0
    assert nit_cat(repo, small.file).stdout == b"local bytes"
    assert nit_cat(repo, Nid.of_bytes(os.urandom(8))).returncode == 8  # now it must choose


def test_trees_and_commits_load_through_a_remote(
    nit: Nit,
    repo: Path,
    repo_obj: Repository,
    signing_key: str,
    tmp_path: Path,
    node_remote: Remote,
) -> None:
    """A second repository reads a commit and its tree that only the node has."""
    pushed = commit_file(nit, repo, "photo.bin", os.urandom(1000))
    upload_objects(repo_obj, node_remote, [pushed.tree, pushed.commit])
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = Repository.init(other_dir)
    with pytest.raises(NotFound):
        load_commit(other, pushed.commit)  # no source: local only, as before
    assert source_for(other, Config.load(other_dir)) is None  # no remote configured there
    with RemoteObjects(other, [open_remote(node_remote)]) as source:
        commit = load_commit(other, pushed.commit, source)
        tree = tree_of(other, commit, source)
    assert tree.asset_cid == pushed.file
    assert other.objects.has(pushed.commit) and other.objects.has(pushed.tree)
    assert tree_of(other, load_commit(other, pushed.commit)) == tree  # now local


def test_fetch_object_reports_what_came_from_the_remote(
    nit: Nit,
    repo: Path,
    repo_obj: Repository,
    ipfs_node: IpfsNode,
    tmp_path: Path,
    with_node_remote: str,
) -> None:
    cid, data = node_file(ipfs_node, tmp_path, 2 * CHUNK)
    config = Config.load(repo)
    got = fetch_object(repo_obj, config, cid)
    assert got.blocks_fetched == 3 and not got.already_local  # root and two leaves
    assert len(data) < got.bytes_fetched < len(data) + 1000
    assert b"".join(iter_file(repo_obj, cid)) == data
    again = fetch_object(repo_obj, config, cid)
    assert again.already_local and again.blocks_fetched == 0
