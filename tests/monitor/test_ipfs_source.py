"""Scanning IPFS: `ipfs://CID` and bare CIDs, read through the repository's remote,
a real js-ipfs node (tests/support/ipfs_node.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import MEDIA, Nit, ok
from tests.monitor.conftest import REGISTERED, reuse
from tests.support.ipfs_node import IpfsNode

pytestmark = pytest.mark.ipfs


def _objects(workdir: Path) -> set[str]:
    return {p.name for p in (workdir / ".numbers" / "objects").rglob("*") if p.is_file()}


def test_scan_cids_through_the_remote(
    nit: Nit, workdir: Path, registered: dict[str, str], ipfs_node: IpfsNode, tmp_path: Path
) -> None:
    small = tmp_path / "small.jpg"
    small.write_bytes(reuse(REGISTERED[0], "colour"))
    large = tmp_path / "large.jpg"  # several UnixFS blocks
    from PIL import Image
    from tests.support.image_transforms import variant

    large.write_bytes(variant(Image.open(MEDIA / "hdr-iphone_hdr_YES.jpg"), "pad20", "t"))
    assert large.stat().st_size > 262_144
    small_cid, large_cid = ipfs_node.add(small), ipfs_node.add(large)
    ok(nit("remote", "add", "origin", ipfs_node.api_url))
    before = _objects(workdir)
    missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # sha256 of "hello"

    doc = json.loads(
        ok(
            nit(
                "monitor",
                "scan",
                f"ipfs://{small_cid}",
                large_cid,
                missing,
                "--timeout",
                "2",
                "--json",
            )
        ).stdout
    )
    assert doc["scanned"] == 2
    assert [(f["source"], f["nid"]) for f in doc["findings"]] == [
        (f"ipfs://{small_cid}", registered[REGISTERED[0]])
    ]
    assert [e["source"] for e in doc["errors"]] == [missing]
    assert _objects(workdir) == before  # a scanned stranger's image is not stored


def test_without_a_remote_a_cid_is_an_error(
    nit: Nit, workdir: Path, registered: dict[str, str]
) -> None:
    cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    doc = json.loads(ok(nit("monitor", "scan", f"ipfs://{cid}", "--json")).stdout)
    assert doc["errors"] == [
        {
            "source": f"ipfs://{cid}",
            "error": f"{cid} is not in this repository and no IPFS remote is configured",
        }
    ]


def test_scan_a_video_cid_through_the_remote(
    nit: Nit, workdir: Path, registered: dict[str, str], ipfs_node: IpfsNode, tmp_path: Path
) -> None:
    from tests.support.video_clips import slideshow

    clip = slideshow(
        tmp_path / "clip.webm",
        (MEDIA / "Pentax_K10D.jpg", MEDIA / REGISTERED[1]),
        seconds=2.0,
        fourcc="VP90",
    )
    assert clip.stat().st_size > 262_144  # several UnixFS blocks
    cid = ipfs_node.add(clip)
    ok(nit("remote", "add", "origin", ipfs_node.api_url))
    before = _objects(workdir)

    doc = json.loads(ok(nit("monitor", "scan", f"ipfs://{cid}", "--json")).stdout)
    assert doc["errors"] == [] and doc["videos"] == 1 and doc["videoFrames"] == 4
    [finding] = doc["findings"]
    assert finding["source"] == f"ipfs://{cid}" and finding["nid"] == registered[REGISTERED[1]]
    assert finding["media"] == "video" and [f["time"] for f in finding["frames"]] == [2.0, 3.0]
    assert _objects(workdir) == before  # neither stored nor left in the spool
    assert not any(p.name.startswith("spool-") for p in (workdir / ".numbers/monitor").iterdir())
