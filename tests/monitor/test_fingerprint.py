"""The matcher on real photos: every re-use family found with the right Nid and
transform, look-alikes rejected; decoding caps; the trimming of borders.

Pure logic: fingerprints, a directory index store in tmp, no repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import MEDIA
from tests.monitor.conftest import NEGATIVES, REGISTERED, png, reuse
from tests.support.image_transforms import EXPECTED, FAMILIES

from numbers_cli.errors import UnreadableImage
from numbers_cli.monitor import fingerprint as fpr
from numbers_cli.monitor.image import decode
from numbers_cli.monitor.matcher import Matcher
from numbers_cli.monitor.store import DirectoryIndexStore
from numbers_cli.ops.monitor.scan import DEFAULT_MIN_SCORE


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    store = DirectoryIndexStore(tmp_path_factory.mktemp("index"))
    store.add(
        (name, fpr.fingerprint(decode((MEDIA / name).read_bytes(), name))) for name in REGISTERED
    )
    return Matcher(store, store.load())


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("name", REGISTERED)
def test_every_reuse_is_found_with_its_transform(matcher: Matcher, name: str, family: str) -> None:
    matches = matcher.match(decode(reuse(name, family), family))
    assert matches and matches[0].nid == name, matches
    best = matches[0]
    assert best.score >= DEFAULT_MIN_SCORE
    assert EXPECTED[family] <= set(best.transform), best
    # no other registered photo reaches the threshold
    assert all(m.score < DEFAULT_MIN_SCORE for m in matches[1:]), matches


@pytest.mark.parametrize("family", ["jpeg30", "crop80", "flip", "pad20"])
@pytest.mark.parametrize("name", NEGATIVES)
def test_other_photos_never_match(matcher: Matcher, name: str, family: str) -> None:
    matches = matcher.match(decode(reuse(name, family), name))
    assert all(m.score < DEFAULT_MIN_SCORE for m in matches), matches


def test_the_same_file_scores_one_with_no_transform(matcher: Matcher) -> None:
    name = REGISTERED[0]
    (best, *_) = matcher.match(decode((MEDIA / name).read_bytes(), name))
    assert (best.nid, best.score, best.transform) == (name, 1.0, [])


def test_trim_borders_removes_padding_and_bars_only() -> None:
    import numpy as np

    photo = decode((MEDIA / REGISTERED[0]).read_bytes(), "photo").rgb
    padded = np.full((photo.shape[0] + 40, photo.shape[1] + 60, 3), 255, np.uint8)
    padded[20:-20, 30:-30] = photo
    assert fpr.trim_borders(padded).shape == photo.shape
    assert fpr.trim_borders(photo).shape == photo.shape
    flat = np.zeros((100, 100, 3), np.uint8)
    assert fpr.trim_borders(flat).shape == flat.shape  # nothing would be left: keep it whole


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png(1, 1), "too small"),
        (png(30_000, 20), "longer than 20,000"),
        (png(20_001, 16), "longer than 20,000"),
        (b"hello, not an image", "not an image"),
        ((MEDIA / "gps-DSCN0012.jpg").read_bytes()[:4000], "truncated"),
    ],
    ids=["1x1", "30000x20", "20001x16", "text", "truncated"],
)
def test_bad_images_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableImage) as caught:
        decode(data, "x.img")
    assert message in caught.value.message and "\n" not in caught.value.message


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    # a 15,000 x 15,000 PNG (225 MP) compresses to a few hundred kB
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    bomb = tmp_path / "bomb.png"
    Image.new("L", (15_000, 15_000)).save(bomb, optimize=True)
    with pytest.raises(UnreadableImage, match="more than 100,000,000 pixels"):
        decode(bomb.read_bytes(), "bomb.png")


def test_dihedral_order_is_what_the_labels_say() -> None:
    import numpy as np

    rgb = decode((MEDIA / REGISTERED[0]).read_bytes(), "photo").rgb
    whole = fpr.query_prints(
        type(decode((MEDIA / REGISTERED[0]).read_bytes(), "p"))(rgb, rgb.shape[1], rgb.shape[0])
    )
    mirrored, _ = fpr._pdq(np.ascontiguousarray(rgb[:, ::-1]))
    rotated, _ = fpr._pdq(np.ascontiguousarray(np.rot90(rgb)))
    distances = [fpr.hamming(code, mirrored) for code in whole.codes[:8]]
    assert fpr.DIHEDRAL[int(np.argmin(distances))] == ("flip",)
    distances = [fpr.hamming(code, rotated) for code in whole.codes[:8]]
    assert fpr.DIHEDRAL[int(np.argmin(distances))] == ("rotation",)
