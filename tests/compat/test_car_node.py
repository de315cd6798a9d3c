"""Our CARs and a real IPFS node's CARs are the same thing.

Why: a CAR is only useful if other IPFS software reads it. These tests hand a
CAR written by `nit export` to the node's `dag/import` and read back what the
node now holds, and feed a CAR written by the node's `dag/export` to
`nit import`. The node (js-ipfs, Kubo RPC API) is the independent judge.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, python_m
from tests.support.ipfs_node import IpfsNode

from numbers_cli.model import car
from numbers_cli.model.nid import Nid

CHUNK = 262_144


def python_m_ok(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    """stdout of a successful `python -m numbers_cli ARGS` (binary stays binary)."""
    done = python_m(*args, cwd=cwd, stdin=stdin)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def car_blocks(data: bytes) -> tuple[list[str], dict[str, bytes]]:
    """Roots and blocks (CID → bytes) of a CAR held in memory."""
    import io

    stream = io.BytesIO(data)
    roots = [Nid.from_bytes(r) for r in car.read_header_roots(stream)]
    return roots, {Nid.from_bytes(c): d for c, d, _ in car.iter_blocks(stream)}


def import_answer_root(answer: bytes) -> str:
    """The root a `dag/import` reports, as a canonical base32 CIDv1."""
    (line,) = [line for line in answer.splitlines() if line.strip()]
    reply = json.loads(line)
    assert reply["Root"]["PinErrorMsg"] == ""
    return Nid.parse(reply["Root"]["Cid"]["/"])


@pytest.fixture
def big(workdir: Path) -> Path:
    """Four full chunks and a tail: a multi-block file (a dag-pb root over raw leaves)."""
    path = workdir / "big.bin"
    path.write_bytes(random.Random(11).randbytes(4 * CHUNK + 4321))
    return path


def test_the_node_imports_our_asset_car(
    ipfs_node: IpfsNode, nit: Nit, repo: Path, big: Path, signing_key: str, tmp_path: Path
) -> None:
    (entry,) = json.loads(ok(nit("add", "big.bin", "--json")).stdout)
    nid = entry["nid"]
    ok(nit("commit", "-m", "for the node"))
    (commit,) = [e["commitCid"] for e in json.loads(ok(nit("log", nid, "--json")).stdout)]
    out = tmp_path / "asset.car"
    ok(nit("export", nid, "--car", out))
    _, ours = car_blocks(out.read_bytes())

    answer = ipfs_node.rpc_upload("dag/import", {"cid-base": "base32"}, out)
    assert import_answer_root(answer) == nid  # the node pinned our root: it has the whole DAG
    assert ipfs_node.rpc("cat", {"arg": nid, "timeout": "10s"}) == big.read_bytes()

    # The node holds the commit and its tree too, byte for byte.
    for cid in (
        commit,
        json.loads(ok(nit("show", commit, "--json")).stdout)["commit"]["assetTreeCid"],
    ):
        assert ipfs_node.rpc("block/get", {"arg": cid, "timeout": "10s"}) == ours[cid]

    # The node's own export of the file is exactly our file blocks, root first.
    exported = ipfs_node.rpc("dag/export", {"arg": nid, "timeout": "10s"})
    roots, theirs = car_blocks(exported)
    assert roots == [nid]
    assert len(theirs) == 6  # five leaves and the root: nothing of ours was re-chunked
    # Same blocks in the same order: after the commit and its tree, ours is root first too.
    assert list(theirs.items()) == list(ours.items())[2:]


def test_the_node_imports_our_commit_car(
    ipfs_node: IpfsNode, nit: Nit, repo: Path, media, signing_key: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (photo,) = media("Canon_40D.jpg")
    (entry,) = json.loads(ok(nit("add", photo.name, "--json")).stdout)
    ok(nit("commit", "-m", "one commit"))
    (commit,) = [e["commitCid"] for e in json.loads(ok(nit("log", "--json")).stdout)]
    out = tmp_path / "commit.car"
    ok(nit("export", commit, "--car", out))

    answer = ipfs_node.rpc_upload("dag/import", {"cid-base": "base32"}, out)
    assert import_answer_root(answer) == commit
    stored = ipfs_node.rpc("block/get", {"arg": commit, "timeout": "10s"})
    assert stored == python_m_ok("cat", "--block", commit, cwd=repo)
    assert ipfs_node.rpc("cat", {"arg": entry["nid"], "timeout": "10s"}) == photo.read_bytes()


def test_we_import_the_nodes_car(
    ipfs_node: IpfsNode, second: Nit, big: Path, tmp_path: Path
) -> None:
    added = ipfs_node.rpc_upload(
        "add", {"cid-version": 1, "raw-leaves": "true", "cid-base": "base32"}, big
    )
    root = Nid.parse(json.loads(added.splitlines()[-1])["Hash"])
    out = tmp_path / "node.car"
    out.write_bytes(ipfs_node.rpc("dag/export", {"arg": root, "timeout": "10s"}))
    _, theirs = car_blocks(out.read_bytes())
    assert len(theirs) == 6

    report = json.loads(ok(second("import", out, "--json")).stdout)
    assert report["roots"] == [root]
    assert (report["blocks"], report["imported"], report["pack"]) == (6, 6, f"{root}.car")
    assert report["assets"] == []  # a bare file: no history to move
    assert python_m_ok("cat", root, cwd=second.cwd) == big.read_bytes()
    assert json.loads(ok(second("fsck", "--json")).stdout)["ok"] is True
    # The node's Nid is the one `nit hash` gives the same bytes.
    assert ok(second("hash", big)).stdout.strip() == root

    # Again through stdin: everything is already here.
    again = json.loads(python_m_ok("import", "-", "--json", cwd=second.cwd, stdin=out.read_bytes()))
    assert (again["imported"], again["present"]) == (0, 6)


def test_the_node_reads_back_what_we_imported_from_it(
    ipfs_node: IpfsNode, second: Nit, big: Path, tmp_path: Path
) -> None:
    """Node → nit → node: our re-export of the node's DAG is the node's DAG."""
    added = ipfs_node.rpc_upload("add", {"cid-version": 1, "raw-leaves": "true"}, big)
    root = Nid.parse(json.loads(added.splitlines()[-1])["Hash"])
    exported = ipfs_node.rpc("dag/export", {"arg": root, "timeout": "10s"})
    python_m_ok("import", "-", cwd=second.cwd, stdin=exported)
    again = python_m_ok("export", root, "--car", "-", cwd=second.cwd)
    assert again == exported  # byte for byte: same header, same blocks, same order


def test_a_cidv0_car_is_refused_clearly(
    ipfs_node: IpfsNode, second: Nit, big: Path, tmp_path: Path
) -> None:
    """The node's default `add` makes CIDv0 blocks; nit stores CIDv1 only and says so."""
    added = ipfs_node.rpc_upload("add", None, big)
    root = json.loads(added.splitlines()[-1])["Hash"]
    assert root.startswith("Qm")
    out = tmp_path / "v0.car"
    out.write_bytes(ipfs_node.rpc("dag/export", {"arg": root, "timeout": "10s"}))
    result = second("import", out)
    assert result.exit_code == 5, result.output
    assert "CIDv0" in result.stderr
    assert second("fsck").exit_code == 0
