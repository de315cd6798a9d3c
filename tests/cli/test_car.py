"""`nit export --car` and `nit import`: moving assets between repositories as CARv1.

Every test goes through the real CLI, into a second, fresh repository, and then
checks what a user would: `nit log`, `nit verify`, `nit cat`, `nit fsck`.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from tests.conftest import Nit, ok, python_m
from tests.support.store_damage import snapshot

from numbers_cli.model import car
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import NidBuilder, dag_pb_links
from numbers_cli.repo.repository import Repository

PHOTO = "Canon_40D.jpg"  # 8 KiB: one raw block
CHUNK = 262_144


def add_commit(nit: Nit, name: str, *options: str, message: str = "x") -> str:
    (entry,) = json.loads(ok(nit("add", name, *options, "--json")).stdout)
    ok(nit("commit", "-m", message))
    return str(entry["nid"])


def history(nit: Nit, nid: str) -> list[str]:
    entries = json.loads(ok(nit("log", nid, "--json")).stdout)
    return [e["commitCid"] for e in reversed(entries)]  # oldest first, like the ref


def blocks_of(path: Path) -> tuple[list[str], list[tuple[str, bytes, int]]]:
    """Roots and (CID, data, offset of the data) of every block of a CAR file."""
    with path.open("rb") as f:
        roots = [Nid.from_bytes(r) for r in car.read_header_roots(f)]
        return roots, [(Nid.from_bytes(c), d, off) for c, d, off in car.iter_blocks(f)]


@pytest.fixture
def big(workdir: Path) -> Path:
    """A 5 MiB file (22 blocks: 21 chunks and a root), so packs are exercised."""
    path = workdir / "big.bin"
    path.write_bytes(random.Random(7).randbytes(5 * 2**20 + 12_345))
    return path


@pytest.fixture
def two_commits(nit: Nit, repo: Path, media, signing_key) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """A photo registered, then updated: (its Nid, its two commits)."""
    media(PHOTO)
    nid = add_commit(nit, PHOTO, message="first")
    add_commit(nit, PHOTO, "--license", "mit", message="second")
    return nid, history(nit, nid)


def test_round_trip_into_a_fresh_repository(nit, two_commits, second, workdir, tmp_path):
    nid, commits = two_commits
    out = tmp_path / "asset.car"
    summary = json.loads(ok(nit("export", nid, "--car", out, "--json")).stdout)
    assert summary["roots"] == [nid]
    assert summary["blocks"] == 5  # 2 commits, 2 trees, the photo
    assert summary["bytes"] == out.stat().st_size

    report = json.loads(ok(second("import", out, "--json")).stdout)
    assert report["roots"] == [nid]
    assert (report["blocks"], report["imported"], report["present"]) == (5, 5, 0)
    assert report["commits"] == commits
    assert report["assets"] == [
        {
            "asset": nid,
            "status": "created",
            "added": commits,
            "localHead": None,
            "carHead": commits[-1],
        }
    ]
    assert history(second, nid) == commits
    assert ok(second("verify", nid)).stdout.rstrip().endswith(f"VERIFIED {nid}")
    shown = json.loads(ok(second("show", nid, "--json")).stdout)
    assert shown["assetTree"]["license"]["name"] == "MIT"
    cat = python_m("cat", nid, cwd=second.cwd)
    assert cat.returncode == 0, cat.stderr
    assert cat.stdout == (workdir / PHOTO).read_bytes()
    assert json.loads(ok(second("fsck", "--json")).stdout)["ok"] is True


def test_export_order_commits_with_their_trees_then_the_file(nit, two_commits, tmp_path):
    nid, commits = two_commits
    out = tmp_path / "asset.car"
    ok(nit("export", nid, "--car", out))
    roots, blocks = blocks_of(out)
    trees = [
        json.loads(ok(nit("show", c, "--json")).stdout)["commit"]["assetTreeCid"] for c in commits
    ]
    assert roots == [nid]
    assert [cid for cid, _, _ in blocks] == [commits[0], trees[0], commits[1], trees[1], nid]


def test_multi_block_file_streams_into_a_pack(nit, repo, big, second, signing_key, tmp_path):
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "big.car"
    ok(nit("export", "big.bin", "--car", out))  # a tracked path names its asset
    roots, blocks = blocks_of(out)
    file_blocks = [cid for cid, _, _ in blocks[2:]]
    assert roots == [nid] and len(file_blocks) == 22
    assert file_blocks[0] == nid  # root first, as `ipfs dag export` writes

    report = json.loads(ok(second("import", out, "--json")).stdout)
    assert report["imported"] == 24
    assert report["pack"] == f"{nid}.car"
    pack_dir = second.cwd / ".numbers" / "objects" / "pack"
    assert Repository(second.cwd).objects.has_pack(Nid(nid))
    _, packed = blocks_of(pack_dir / f"{nid}.car")
    # The file's blocks in its own pack; the commit and the tree in the import's batch pack.
    assert sorted(cid for cid, _, _ in packed) == sorted(file_blocks)

    cat = python_m("cat", nid, cwd=second.cwd)
    assert cat.returncode == 0, cat.stderr
    assert cat.stdout == big.read_bytes()
    fsck = json.loads(ok(second("fsck", "--json")).stdout)
    assert (fsck["ok"], fsck["packs"], fsck["blocks"], fsck["commits"]) == (True, 2, 24, 1)
    assert ok(second("verify", nid)).exit_code == 0


def test_a_car_written_leaves_first_is_read_too(nit, repo, big, second, signing_key):
    """Our own packs are CARs with the root last: leaves wait, then join the pack."""
    nid = add_commit(nit, "big.bin")
    pack = repo / ".numbers" / "objects" / "pack" / f"{nid}.car"
    report = json.loads(ok(second("import", pack, "--json")).stdout)
    assert (report["imported"], report["pack"], report["assets"]) == (22, f"{nid}.car", [])
    assert not list((second.cwd / ".numbers" / "tmp").iterdir())
    cat = python_m("cat", nid, cwd=second.cwd)
    assert cat.stdout == big.read_bytes()
    assert json.loads(ok(second("fsck", "--json")).stdout)["ok"] is True


def test_reimport_changes_nothing(nit, two_commits, second, tmp_path):
    nid, _ = two_commits
    out = tmp_path / "asset.car"
    ok(nit("export", nid, "--car", out))
    ok(second("import", out))
    before = snapshot(second.cwd)
    report = json.loads(ok(second("import", out, "--json")).stdout)
    assert (report["imported"], report["present"]) == (0, 5)
    assert report["assets"][0]["status"] == "up-to-date"
    assert snapshot(second.cwd) == before


@pytest.mark.parametrize("which", ["commit", "tree", "file-leaf"])
def test_a_corrupted_block_rejects_the_whole_import(
    nit, repo, big, second, signing_key, tmp_path, which
):
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "big.car"
    ok(nit("export", nid, "--car", out))
    _, blocks = blocks_of(out)
    cid, data, offset = {"commit": blocks[0], "tree": blocks[1], "file-leaf": blocks[-1]}[which]
    raw = bytearray(out.read_bytes())
    raw[offset + len(data) // 2] ^= 0x01
    out.write_bytes(raw)

    before = snapshot(second.cwd)
    result = second("import", out)
    assert result.exit_code == 5, result.output
    assert f"block {cid}" in result.stderr and "nothing was imported" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert snapshot(second.cwd) == before
    assert ok(second("log", "--json")).stdout.strip() == "[]"


def three_level_dag() -> tuple[Nid, dict[bytes, bytes], bytes]:
    """A file DAG with a root, two interior nodes and 175 leaves (16-byte chunks).

    Import never re-chunks, so small chunks give every kind of dag-pb node at
    a few KiB: a root linking nodes, and interior nodes linking leaves.
    """
    blocks: dict[bytes, bytes] = {}
    builder = NidBuilder(lambda cid, data: blocks.__setitem__(cid, bytes(data)))
    data = random.Random(16).randbytes(16 * 175)
    for start in range(0, len(data), 16):
        builder.update(data[start : start + 16])
    return builder.finish(), blocks, data


def car_of(root: Nid, blocks: dict[bytes, bytes]) -> bytes:
    """Root first, then the rest (interior nodes before their leaves are reached)."""
    order = [root.to_bytes()] + [c for c in reversed(blocks) if c != root.to_bytes()]
    out = bytearray(car.encode_header(root.to_bytes()))
    for cid in order:
        out += car.block_frame(cid, len(blocks[cid])) + blocks[cid]
    return bytes(out)


def still_well_formed_but_altered(node: bytes) -> bytes:
    """Flip a byte inside the first link's digest: the node still parses (a link to
    some other block), so only the hash check against its CID can catch it."""
    first = dag_pb_links(node)[0]
    at = node.index(first) + len(first) - 7
    altered = bytearray(node)
    altered[at] ^= 0x01
    assert dag_pb_links(bytes(altered))[0] != first  # parses, names another block
    return bytes(altered)


@pytest.mark.parametrize("which", ["root", "interior"])
def test_an_altered_dag_pb_node_rejects_the_whole_import(second, tmp_path, which):
    root, blocks, data = three_level_dag()
    interior = [c for c in blocks if c[1] == 0x70 and c != root.to_bytes()]
    assert len(interior) == 2  # the balanced layout: 174 + 1 leaves under the root
    ok_car = tmp_path / "dag.car"
    ok_car.write_bytes(car_of(root, blocks))
    target = root.to_bytes() if which == "root" else interior[0]
    blocks[target] = still_well_formed_but_altered(blocks[target])
    bad_car = tmp_path / "altered.car"
    bad_car.write_bytes(car_of(root, blocks))

    before = snapshot(second.cwd)
    result = second("import", bad_car)
    assert result.exit_code == 5, result.output
    assert f"block {Nid.from_bytes(target)}" in result.stderr
    assert "nothing was imported" in result.stderr
    assert snapshot(second.cwd) == before

    ok(second("import", ok_car))  # the same DAG unaltered is whole and readable
    assert python_m("cat", root, cwd=second.cwd).stdout == data
    ok(second("fsck"))


@pytest.mark.parametrize("keep", [0, 5, 40, 120, -3, -CHUNK // 2])
def test_a_truncated_car_is_a_clear_error(nit, repo, big, second, signing_key, tmp_path, keep):
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "big.car"
    ok(nit("export", nid, "--car", out))
    cut = tmp_path / "cut.car"
    raw = out.read_bytes()
    cut.write_bytes(raw[:keep])  # negative: cut the end off

    before = snapshot(second.cwd)
    result = second("import", cut)
    assert result.exit_code == 5, result.output
    message = result.stderr.strip()
    assert str(cut) in message
    assert "truncated" in message or "empty" in message or "no valid header" in message
    assert snapshot(second.cwd) == before


def test_a_file_that_is_not_a_car(nit, repo, media, second):
    (photo,) = media(PHOTO)
    result = second("import", photo)
    assert result.exit_code == 5
    assert "not a CARv1 file" in result.stderr


def test_car_of_a_commit(nit, two_commits, second, workdir, tmp_path):
    nid, commits = two_commits
    out = tmp_path / "commit.car"
    summary = json.loads(ok(nit("export", commits[1], "--car", out, "--json")).stdout)
    assert (summary["kind"], summary["roots"], summary["asset"]) == ("commit", [commits[1]], nid)
    roots, blocks = blocks_of(out)
    assert roots == [commits[1]]
    shown = json.loads(ok(nit("show", commits[1], "--json")).stdout)
    assert [cid for cid, _, _ in blocks] == [commits[1], shown["commit"]["assetTreeCid"], nid]

    report = json.loads(ok(second("import", out, "--json")).stdout)
    # A lone commit is stored, not taken for the asset's whole history.
    assert [(a["asset"], a["status"], a["added"]) for a in report["assets"]] == [
        (nid, "stored", [])
    ]
    assert second("log", nid).exit_code == 4
    assert json.loads(ok(second("show", commits[1], "--json")).stdout) == shown
    assert ok(second("verify", commits[1])).exit_code == 0
    assert python_m("cat", nid, cwd=second.cwd).stdout == (workdir / PHOTO).read_bytes()

    # The asset's own CAR then brings the whole history, not a "divergence".
    full = tmp_path / "asset.car"
    ok(nit("export", nid, "--car", full))
    report = json.loads(ok(second("import", full, "--json")).stdout)
    assert report["assets"][0]["status"] == "created"
    assert history(second, nid) == commits


def test_history_moves_forward_from_a_prefix(nit, repo, media, signing_key, second, tmp_path):
    media(PHOTO)
    nid = add_commit(nit, PHOTO, message="first")
    ok(nit("export", nid, "--car", tmp_path / "one.car"))
    add_commit(nit, PHOTO, "--license", "mit", message="second")
    ok(nit("export", nid, "--car", tmp_path / "two.car"))

    first = json.loads(ok(second("import", tmp_path / "one.car", "--json")).stdout)
    assert first["assets"][0]["status"] == "created"
    report = json.loads(ok(second("import", tmp_path / "two.car", "--json")).stdout)
    (update,) = report["assets"]
    assert update["status"] == "updated" and update["added"] == history(nit, nid)[1:]
    assert history(second, nid) == history(nit, nid)
    # An older CAR after a newer one changes nothing.
    old = json.loads(ok(second("import", tmp_path / "one.car", "--json")).stdout)
    assert old["assets"][0]["status"] == "up-to-date"
    assert history(second, nid) == history(nit, nid)


def test_a_diverged_history_is_kept_and_reported(nit, repo, media, signing_key, second, tmp_path):
    (photo,) = media(PHOTO)
    nid = add_commit(nit, PHOTO, message="first")
    ok(nit("export", nid, "--car", tmp_path / "one.car"))
    ok(second("import", tmp_path / "one.car"))
    # Both repositories then record a different second commit.
    add_commit(nit, PHOTO, "--license", "mit", message="theirs")
    (second.cwd / PHOTO).write_bytes(photo.read_bytes())
    add_commit(second, PHOTO, "--license", "cc-by-4.0", message="ours")
    ours = history(second, nid)
    theirs = history(nit, nid)
    assert ours[0] == theirs[0] and ours[1] != theirs[1]

    ok(nit("export", nid, "--car", tmp_path / "theirs.car"))
    result = ok(second("import", tmp_path / "theirs.car"))
    assert "diverged" in result.stdout
    report = json.loads(ok(second("import", tmp_path / "theirs.car", "--json")).stdout)
    assert report["assets"] == [
        {
            "asset": nid,
            "status": "diverged",
            "added": [],
            "localHead": ours[1],
            "carHead": theirs[1],
        }
    ]
    assert history(second, nid) == ours
    assert ok(second("show", theirs[1], "--json")).exit_code == 0  # their commit is kept too


def test_stdout_and_stdin(nit, repo, big, second, signing_key, tmp_path):
    nid = add_commit(nit, "big.bin")
    ok(nit("export", nid, "--car", tmp_path / "file.car"))
    piped = python_m("export", nid, "--car", "-", cwd=repo)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == (tmp_path / "file.car").read_bytes()
    assert piped.stderr == b""

    imported = python_m("import", "-", "--json", cwd=second.cwd, stdin=piped.stdout)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert (report["source"], report["imported"], report["bytes"]) == ("-", 24, len(piped.stdout))
    assert history(second, nid) == history(nit, nid)


def test_history_without_the_file(nit, repo, big, second, signing_key, tmp_path):
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "history.car"
    summary = json.loads(ok(nit("export", nid, "--car", out, "--no-file", "--json")).stdout)
    assert (summary["blocks"], summary["fileIncluded"]) == (2, False)
    ok(second("import", out))
    assert history(second, nid) == history(nit, nid)
    verified = ok(second("verify", nid))
    assert "not stored here" in verified.stdout

    # The file is not here: exporting it is a clear error, and nothing is written.
    missing = second("export", nid, "--car", tmp_path / "again.car")
    assert missing.exit_code == 4, missing.output
    assert f"the file {nid} is not in this repository" in missing.stderr
    assert "--no-file" in missing.stderr
    assert not (tmp_path / "again.car").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    ok(second("export", nid, "--car", tmp_path / "again.car", "--no-file"))
    assert (tmp_path / "again.car").read_bytes() == out.read_bytes()


def test_a_failed_export_keeps_the_previous_file(nit, repo, big, second, signing_key, tmp_path):
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "out.car"
    out.write_bytes(b"previous")
    ok(nit("export", nid, "--car", out, "--no-file"))
    ok(second("import", out))
    out.write_bytes(b"previous")
    assert second("export", nid, "--car", out).exit_code == 4
    assert out.read_bytes() == b"previous"


def test_export_errors(nit, two_commits, tmp_path):
    nid, _ = two_commits
    unknown = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    assert nit("export", unknown, "--car", tmp_path / "x.car").exit_code == 4
    both = nit("export", nid, "--car", "-", "--json")
    assert both.exit_code == 2 and "stdout carries the CAR" in both.stderr
    assert nit("export", nid, "--car", tmp_path).exit_code == 2  # a directory
    assert nit("export", nid).exit_code == 2  # --car is required
    assert not (tmp_path / "x.car").exists()


def test_a_stored_file_without_history_exports_as_its_dag(nit, repo, big, second, tmp_path):
    """Like `ipfs dag export`: a Nid with blocks but no commits gives just its DAG."""
    (entry,) = json.loads(ok(nit("add", "big.bin", "--json")).stdout)  # staged, not committed
    out = tmp_path / "dag.car"
    summary = json.loads(ok(nit("export", entry["nid"], "--car", out, "--json")).stdout)
    assert (summary["kind"], summary["commits"], summary["blocks"]) == ("object", 0, 22)
    ok(second("import", out))
    assert python_m("cat", entry["nid"], cwd=second.cwd).stdout == big.read_bytes()


def test_read_blocks_reads_forward_only(nit, repo, big, signing_key, tmp_path):
    """The stdin reader sees what the seeking reader sees, on a stream that cannot seek."""
    nid = add_commit(nit, "big.bin")
    out = tmp_path / "big.car"
    ok(nit("export", nid, "--car", out))

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self._data.read(min(len(buffer), 4096))  # short reads, like a pipe
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stream = Pipe(out.read_bytes())
    roots = car.read_header_roots(stream)  # type: ignore[arg-type]
    forward = list(car.read_blocks(stream))  # type: ignore[arg-type]
    seeking_roots, seeking = blocks_of(out)
    assert [Nid.from_bytes(r) for r in roots] == seeking_roots
    assert [(Nid.from_bytes(c), d) for c, d in forward] == [(c, d) for c, d, _ in seeking]


def test_one_car_with_several_dags_makes_one_pack(nit, repo, big, second, tmp_path):
    """A foreign CAR may hold several files: one pack, named after the first DAG root."""
    (repo / "other.bin").write_bytes(random.Random(8).randbytes(3 * CHUNK))
    first, other = (
        json.loads(ok(nit("add", name, "--json")).stdout)[0]["nid"]
        for name in ("big.bin", "other.bin")
    )
    mixed = tmp_path / "mixed.car"
    with mixed.open("wb") as f:
        f.write(car.encode_header(Nid(first).to_bytes()))
        for nid in (first, other):
            ok(nit("export", nid, "--car", tmp_path / "one.car"))
            for cid, data, _ in blocks_of(tmp_path / "one.car")[1]:
                f.write(car.block_frame(cid.to_bytes(), len(data)) + data)

    report = json.loads(ok(second("import", mixed, "--json")).stdout)
    assert (report["imported"], report["pack"]) == (22 + 4, f"{first}.car")
    assert python_m("cat", first, cwd=second.cwd).stdout == big.read_bytes()
    assert python_m("cat", other, cwd=second.cwd).stdout == (repo / "other.bin").read_bytes()
    fsck = json.loads(ok(second("fsck", "--json")).stdout)
    assert (fsck["ok"], fsck["packs"], fsck["blocks"]) == (True, 1, 26)


def test_usage_errors_of_import(second, tmp_path):
    assert second("import", tmp_path / "absent.car").exit_code == 2
    assert second("import", tmp_path).exit_code == 2  # a directory
    v2 = tmp_path / "v2.car"
    v2.write_bytes(bytes.fromhex("0aa16776657273696f6e02") + bytes(40))
    result = second("import", v2)
    assert result.exit_code == 5 and "CARv2" in result.stderr


def test_export_into_a_missing_directory(nit, two_commits, tmp_path):
    nid, _ = two_commits
    result = nit("export", nid, "--car", tmp_path / "absent" / "x.car")
    assert result.exit_code == 1 and "no such directory" in result.stderr


def test_a_partial_dag_is_stored_and_completed_later(nit, repo, big, second, tmp_path):
    """A pack named `<nid>` always means nid's whole DAG is here: a CAR with part of it
    gives a pack named after one of its leaves, and the rest can come later."""
    (entry,) = json.loads(ok(nit("add", "big.bin", "--json")).stdout)
    nid = entry["nid"]
    full = tmp_path / "full.car"
    ok(nit("export", nid, "--car", full))
    _, blocks = blocks_of(full)
    dropped = blocks[5][0]
    partial = tmp_path / "partial.car"
    with partial.open("wb") as f:
        f.write(car.encode_header(Nid(nid).to_bytes()))
        for cid, data, _ in blocks:
            if cid != dropped:
                f.write(car.block_frame(cid.to_bytes(), len(data)) + data)

    report = json.loads(ok(second("import", partial, "--json")).stdout)
    assert report["imported"] == 21
    assert report["pack"] != f"{nid}.car"
    assert not Repository(second.cwd).objects.has_pack(Nid(nid))
    missing = python_m("cat", nid, cwd=second.cwd)
    assert missing.returncode == 4 and dropped in missing.stderr.decode()
    assert second("export", nid, "--car", tmp_path / "x.car").exit_code == 4

    report = json.loads(ok(second("import", full, "--json")).stdout)
    assert (report["imported"], report["present"], report["pack"]) == (1, 21, None)  # loose
    assert python_m("cat", nid, cwd=second.cwd).stdout == big.read_bytes()
    assert json.loads(ok(second("fsck", "--json")).stdout)["ok"] is True
