"""Our Nids against two independent implementations: the real IPFS node's `add`
(js-ipfs, `cid-version=1`) and Helia's importer. Neither shares code with ours."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.reference_nid import write_sha256_counter_file

from numbers_cli.ops.ingest import ingest, nid_of_file
from numbers_cli.repo.repository import Repository

CHUNK = 262_144
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 174 * CHUNK, 174 * CHUNK + 1]
BIG = 50 * 1024 * 1024 + 12_345  # over 50 MiB: a two-level DAG with a partial last group

MEDIA = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "media"


@pytest.mark.parametrize("size", SIZES)
def test_nid_equals_ipfs_add_and_reference_importer(size, tmp_path, ipfs_node, reference_nid):
    path = write_sha256_counter_file(tmp_path / f"f{size}", size)
    ours = nid_of_file(path)
    assert ours == ipfs_node.add(path)
    assert ours == reference_nid(path)


def test_large_file_through_add_pipeline(tmp_path, ipfs_node, reference_nid):
    path = write_sha256_counter_file(tmp_path / "big.bin", BIG)
    repo = Repository.init(tmp_path / "repo")
    got = ingest(path, repo.objects)  # the `nit add` path: pack written while hashing
    assert got.nid == ipfs_node.add(path) == reference_nid(path)
    assert got.size == BIG
    assert repo.objects.has(got.nid)
    assert (repo.dir / "objects" / "pack" / f"{got.nid}.car").is_file()


def test_every_fixture_photo(ipfs_node, reference_nid):
    files = sorted(p for p in MEDIA.iterdir() if p.suffix.lower() != ".md")
    # An empty or missing fixture folder must fail, not pass having compared nothing.
    assert len(files) >= 20, f"expected the shipped media fixtures in {MEDIA}, found {len(files)}"
    assert any(p.stat().st_size > 262_144 for p in files), "no multi-chunk fixture to compare"
    expected = reference_nid.many(files)
    for path in files:
        ours = nid_of_file(path)
        assert ours == expected[path], path.name
        assert ours == ipfs_node.add(path), path.name
