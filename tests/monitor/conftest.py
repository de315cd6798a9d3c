"""Shared pieces of the monitor tests: registered fixture photos and their re-uses.

Re-uses are generated in the test's temp dir from the real photos of
tests/fixtures/media with a fixed seed (tests/support/image_transforms.py),
the same transforms bench/bench_monitor.py measures.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.conftest import MEDIA, Nit, ok
from tests.support.image_transforms import variant

#: Photos registered in the tests, and photos that never are (negatives).
REGISTERED = ("gps-DSCN0010.jpg", "exif-org-nikon-e950.jpg", "Canon_40D.jpg")
NEGATIVES = ("gps-DSCN0012.jpg", "exif-org-canon-ixus.jpg", "Nikon_D70.jpg")


def reuse(name: str, family: str) -> bytes:
    """The `family` re-use of fixture photo `name` (fixed seed)."""
    from PIL import Image

    return variant(Image.open(MEDIA / name), family, f"{name}/tests")


def png(width: int, height: int, colour: tuple[int, int, int] = (120, 30, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def registered(nit: Nit, repo: Path, media, signing_key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A repository with REGISTERED committed (cc-by-4.0) and indexed: name -> Nid."""
    media(*REGISTERED)
    ok(nit("add", *REGISTERED, "--license", "cc-by-4.0"))
    ok(nit("commit", "-m", "register"))
    ok(nit("monitor", "index"))
    import json

    nids = {}
    for name in REGISTERED:
        nids[name] = json.loads(ok(nit("hash", name, "--json")).stdout)[0]["nid"]
    return nids
