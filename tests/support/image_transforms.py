"""The re-uses `nit monitor` must survive (issue 13), as reproducible image edits.

Shared by the monitor tests and bench/bench_monitor.py, so the benchmark and
the tests measure the same thing. Each transform takes a Pillow RGB image and
a `random.Random` (seeded by the caller from the image and family names) and
returns the bytes of the re-used file: JPEG at quality 90, except the
re-encode family itself.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg30(image: Image.Image, rng: random.Random) -> bytes:
    """Re-encoded as JPEG at quality 30."""
    return _jpeg(image, 30)


def resize50(image: Image.Image, rng: random.Random) -> bytes:
    """Half the width and height."""
    size = (max(1, image.width // 2), max(1, image.height // 2))
    return _jpeg(image.resize(size, Image.Resampling.LANCZOS))


def overlay(image: Image.Image, rng: random.Random) -> bytes:
    """A text watermark and a black bar over 10% of the height (top, bottom or anywhere)."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    bar = max(1, round(h * 0.10))
    y = rng.choice([0, h - bar, rng.randrange(0, h - bar + 1)])
    draw.rectangle([0, y, w, y + bar - 1], fill="black")
    size = max(8, h // 12)
    font = ImageFont.load_default(size=size)
    x, ty = rng.randrange(0, max(1, w // 3)), rng.randrange(0, max(1, h - size))
    draw.text(
        (x, ty),
        "© stolen-pics.example",
        fill=(255, 255, 255),
        font=font,
        stroke_width=max(1, size // 15),
        stroke_fill=(0, 0, 0),
    )
    return _jpeg(image)


def noise(image: Image.Image, rng: random.Random) -> bytes:
    """Gaussian noise of sigma 12 on every channel."""
    import numpy as np

    pixels = np.asarray(image).astype(np.float32)
    generator = np.random.default_rng(rng.randrange(2**32))
    pixels += generator.normal(0, 12, pixels.shape)
    return _jpeg(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))


def colour(image: Image.Image, rng: random.Random) -> bytes:
    """Brightness x0.7 or x1.3, saturation x0.5-1.6, contrast x0.8-1.25."""
    image = ImageEnhance.Brightness(image).enhance(rng.choice([0.7, 1.3]))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.5, 1.6))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 1.25))
    return _jpeg(image)


def flip(image: Image.Image, rng: random.Random) -> bytes:
    """Mirrored left to right."""
    return _jpeg(ImageOps.mirror(image))


def rotate4(image: Image.Image, rng: random.Random) -> bytes:
    """Rotated by 4 degrees either way, same size, corners black (their content lost)."""
    angle = rng.choice([-4, 4])
    rotated = image.rotate(angle, Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))
    return _jpeg(rotated)


def crop5(image: Image.Image, rng: random.Random) -> bytes:
    """5% of the width or height cut from two sides (adjacent or opposite)."""
    w, h = image.size
    dx, dy = round(w * 0.05), round(h * 0.05)
    sides = rng.choice(["lt", "lb", "rt", "rb", "lr", "tb"])
    box = (
        dx if "l" in sides else 0,
        dy if "t" in sides else 0,
        w - dx if "r" in sides else w,
        h - dy if "b" in sides else h,
    )
    return _jpeg(image.crop(box))


def crop80(image: Image.Image, rng: random.Random) -> bytes:
    """The central 80% of the width and of the height."""
    w, h = image.size
    return _jpeg(image.crop((round(w * 0.1), round(h * 0.1), round(w * 0.9), round(h * 0.9))))


def pad20(image: Image.Image, rng: random.Random) -> bytes:
    """White padding adding 20% of the width (height) on each side."""
    w, h = image.size
    px, py = round(w * 0.2), round(h * 0.2)
    out = Image.new("RGB", (w + 2 * px, h + 2 * py), "white")
    out.paste(image, (px, py))
    return _jpeg(out)


#: Family name -> transform, in the order reports list them.
FAMILIES: dict[str, Callable[[Image.Image, random.Random], bytes]] = {
    "jpeg30": jpeg30,
    "resize50": resize50,
    "overlay": overlay,
    "noise": noise,
    "colour": colour,
    "flip": flip,
    "rotate4": rotate4,
    "crop5": crop5,
    "crop80": crop80,
    "pad20": pad20,
}

#: The transform `nit monitor` should report for each family (at least these).
EXPECTED = {
    "jpeg30": set(),
    "resize50": {"resize"},
    "overlay": {"overlay"},
    "noise": set(),
    "colour": {"colour"},
    "flip": {"flip"},
    "rotate4": {"rotation"},
    "crop5": {"crop"},
    "crop80": {"crop"},
    "pad20": {"border"},
}


def variant(image: Image.Image, family: str, seed: str) -> bytes:
    """The `family` re-use of `image`, reproducible from `seed` (e.g. the image's name)."""
    return FAMILIES[family](image.convert("RGB"), random.Random(f"{seed}/{family}"))
