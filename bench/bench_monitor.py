"""`nit monitor` on real photographs: recall and false matches per re-use family,
next to PDQ-only and pHash-only baselines; query time against 1,000,000 prints;
indexing speed; videos: frames scanned per second next to decoding alone
(bench/monitor_video.py).

    .venv/bin/python bench/bench_monitor.py [--cache DIR] [--workers N] [--json OUT] [--video-only]

Corpus (fetched at bench time, never committed): the photographs in Debian's
wallpaper packages mate-backgrounds, gnome-backgrounds,
plasma-workspace-wallpapers, ukui-wallpapers and sway-backgrounds (`apt-get
download`, unpacked with `dpkg-deb -x` into --cache), plus the camera photos in
tests/fixtures/media. The selection rule is `PHOTOS` below: photographs of real
scenes, one file per wallpaper (the largest of its resolutions; symlinked
resolutions and `images_dark` variants are the same picture and skipped);
drawings, renders, logos and flat gradients are left out (gnome-backgrounds,
ukui-wallpapers and sway-backgrounds hold none). Fixture files that are not
photographs (a drawing, a blue square, a page of logos) or that Pillow cannot
decode (HEIC) are left out too.

Method: half the photos (a fixed-seed shuffle) are registered, the other half
are negatives. Every transform of tests/support/image_transforms.py is made
of every photo with a fixed seed. Each variant is matched against the index
of the registered half:
- recall: a registered photo's variant matched to its own Nid at or above the
  default threshold;
- false matches: a negative's variant matched to anything, or a registered
  photo's variant matched to another Nid.
Baselines get their own best case: the largest Hamming threshold with zero
false matches on this same corpus (an oracle threshold), and their usual
threshold (PDQ 31 of 256 bits, pHash 10 of 64).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.image_transforms import EXPECTED, FAMILIES, variant  # noqa: E402

PACKAGES = (
    "mate-backgrounds",
    "gnome-backgrounds",
    "plasma-workspace-wallpapers",
    "ukui-wallpapers",
    "sway-backgrounds",
)
#: The photographs among the wallpapers (everything else there is a drawing, a
#: render or a gradient): Plasma wallpaper directories and MATE "nature" files.
PLASMA_PHOTOS = (
    "BytheWater",
    "ColdRipple",
    "ColorfulCups",
    "DarkestHour",
    "EveningGlow",
    "FallenLeaf",
    "Grey",
    "Kite",
    "OneStandsOut",
    "Path",
    "summer_1am",
)
MATE_PHOTOS = (
    "Aqua",
    "Blinds",
    "Dune",
    "FreshFlower",
    "Garden",
    "GreenMeadow",
    "LadyBird",
    "RainDrops",
    "Storm",
    "TwoWings",
    "Wood",
    "YellowFlower",
)
#: Fixture files that are not photographs, or that Pillow does not decode.
MEDIA_SKIP = {
    "PaintTool_sample.jpg",
    "xmp-BlueSquare.jpg",
    "invalid-image01088.jpg",
    "heic-IMG_5195.HEIC",
    "README.md",
}
MEDIA = ROOT / "tests" / "fixtures" / "media"
SEED = 13


def fetch(cache: Path) -> Path:
    """Download and unpack the wallpaper packages once into `cache`; the unpacked root."""
    unpacked = cache / "root"
    marker = cache / "unpacked.ok"
    if marker.exists():
        return unpacked
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["apt-get", "download", *PACKAGES], cwd=debs, check=True, stdout=subprocess.DEVNULL
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"apt-get download failed ({exc}); run `apt-get update` first (Debian/Ubuntu)")
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    marker.write_text("ok\n")
    return unpacked


def corpus(unpacked: Path) -> list[tuple[str, Path]]:
    from PIL import Image

    photos: list[tuple[str, Path]] = []
    for name in PLASMA_PHOTOS:
        folder = unpacked / "usr/share/wallpapers" / name / "contents/images"
        files = [p for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
        largest = max(files, key=lambda p: Image.open(p).size[0] * Image.open(p).size[1])
        photos.append((f"plasma_{name}", largest))
    for name in MATE_PHOTOS:
        photos.append((f"mate_{name}", unpacked / f"usr/share/backgrounds/mate/nature/{name}.jpg"))
    for path in sorted(MEDIA.iterdir()):
        if path.name not in MEDIA_SKIP:
            photos.append((f"media_{path.name}", path))
    return photos


def variants(photos: list[tuple[str, Path]], out: Path) -> dict[tuple[str, str], Path]:
    from PIL import Image

    made = {}
    for name, path in photos:
        image = Image.open(path).convert("RGB")
        for family in FAMILIES:
            target = out / f"{name.replace('/', '_')}__{family}.jpg"
            target.write_bytes(variant(image, family, f"{name}/{SEED}"))
            made[(name, family)] = target
    return made


def pdq_code(path: Path):  # type: ignore[no-untyped-def]
    import numpy as np
    import pdqhash
    from PIL import Image

    bits, _ = pdqhash.compute(np.asarray(Image.open(path).convert("RGB")))
    return np.packbits(bits.astype(np.uint8))


def phash_code(path: Path):  # type: ignore[no-untyped-def]
    import imagehash
    from PIL import Image

    return imagehash.phash(Image.open(path))


def baseline(kind, registered, queries, is_registered):  # type: ignore[no-untyped-def]
    """Best distance per query: [(name, family, nearest registered name, distance)]."""
    import numpy as np

    code = pdq_code if kind == "pdq" else phash_code
    reference = {name: code(path) for name, path in registered}
    rows = []
    for (name, family), path in queries.items():
        q = code(path)
        if kind == "pdq":
            dist = [(int(np.unpackbits(q ^ r).sum()), n) for n, r in reference.items()]
        else:
            dist = [(int(q - r), n) for n, r in reference.items()]
        d, nearest = min(dist)
        rows.append((name, family, nearest, d))
    return rows


def tally(rows, is_registered):  # type: ignore[no-untyped-def]
    """rows: (name, family, matched name or None). Recall and false matches per family."""
    out = {}
    for family in [*FAMILIES, "all"]:
        sel = [r for r in rows if family in ("all", r[1])]
        pos = [r for r in sel if is_registered(r[0])]
        hit = sum(1 for r in pos if r[2] == r[0])
        false = sum(1 for r in sel if r[2] is not None and r[2] != r[0])
        out[family] = (hit, len(pos), false)
    return out


def threshold_rows(rows, threshold):  # type: ignore[no-untyped-def]
    return [(n, f, m if d <= threshold else None) for n, f, m, d in rows]


def oracle(rows, is_registered):  # type: ignore[no-untyped-def]
    bad = [d for n, f, m, d in rows if (not is_registered(n)) or m != n]
    return min(bad) - 1 if bad else 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "nit-bench-wallpapers"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--prints", type=int, default=1_000_000, help="synthetic prints for timing")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--video-only", action="store_true", help="only the video figures")
    args = parser.parse_args()
    from bench.monitor_video import video_figures

    if args.video_only:
        video_figures(Path(tempfile.mkdtemp(prefix="nit-bench-video-")), args.workers)
        return

    from numbers_cli.monitor import fingerprint as fpr
    from numbers_cli.monitor.image import decode
    from numbers_cli.monitor.matcher import Matcher
    from numbers_cli.monitor.store import DirectoryIndexStore

    photos = corpus(fetch(args.cache))
    names = [n for n, _ in photos]
    order = names[:]
    random.Random(SEED).shuffle(order)
    registered_names = set(order[: len(order) // 2])
    registered = [(n, p) for n, p in photos if n in registered_names]

    def is_registered(name: str) -> bool:
        return name in registered_names

    work = Path(tempfile.mkdtemp(prefix="nit-bench-monitor-"))
    print(
        f"corpus: {len(photos)} photos ({len(registered)} registered, "
        f"{len(photos) - len(registered)} negatives), {len(FAMILIES)} families; work dir {work}"
    )
    queries = variants(photos, work)

    # -- indexing speed, next to its anchor: a plain Pillow decode of the same files
    datas = [(n, p.read_bytes()) for n, p in registered]

    def plain_decode(item):  # type: ignore[no-untyped-def]
        import io

        from PIL import Image

        Image.open(io.BytesIO(item[1])).convert("RGB")

    def index_one(item):  # type: ignore[no-untyped-def]
        return item[0], fpr.fingerprint(decode(item[1], item[0]))

    with ThreadPoolExecutor(args.workers) as pool:
        t = time.perf_counter()
        list(pool.map(plain_decode, datas))
        anchor_s = time.perf_counter() - t
        t = time.perf_counter()
        fingerprints = list(pool.map(index_one, datas))
        index_s = time.perf_counter() - t
    store = DirectoryIndexStore(work / "index")
    store.add(fingerprints)
    index = store.load()
    matcher = Matcher(store, index)
    nid_of = {n: n for n in registered_names}  # the bench names its assets by photo name

    # -- matching every variant
    def query(item):  # type: ignore[no-untyped-def]
        (name, family), path = item
        t0 = time.perf_counter()
        matches = matcher.match(decode(path.read_bytes(), str(path)))
        elapsed = time.perf_counter() - t0
        return name, family, matches, elapsed

    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(query, queries.items()))

    def ours(min_score: float):  # type: ignore[no-untyped-def]
        rows = []
        for name, family, matches, _ in results:
            top = [m for m in matches if m.score >= min_score]
            matched = top[0].nid if top else None
            rows.append((name, family, matched))
        return rows

    from numbers_cli.ops.monitor.scan import DEFAULT_MIN_SCORE

    ours_rows = ours(DEFAULT_MIN_SCORE)
    # the highest score any wrong match reached: the margin of the default threshold
    wrong = [m.score for name, _, ms, _ in results for m in ms if m.nid != nid_of.get(name)]
    transform_ok = sum(
        1
        for name, family, ms, _ in results
        if is_registered(name)
        and ms
        and ms[0].nid == name
        and ms[0].score >= DEFAULT_MIN_SCORE
        and EXPECTED[family] <= set(ms[0].transform)
    )
    pdq_rows = baseline("pdq", registered, queries, is_registered)
    ph_rows = baseline("phash", registered, queries, is_registered)
    pdq_oracle, ph_oracle = oracle(pdq_rows, is_registered), oracle(ph_rows, is_registered)
    table = {
        "nit monitor": tally(ours_rows, is_registered),
        f"PDQ only, oracle t={pdq_oracle}": tally(
            threshold_rows(pdq_rows, pdq_oracle), is_registered
        ),
        "PDQ only, t=31": tally(threshold_rows(pdq_rows, 31), is_registered),
        f"pHash only, oracle t={ph_oracle}": tally(
            threshold_rows(ph_rows, ph_oracle), is_registered
        ),
        "pHash only, t=10": tally(threshold_rows(ph_rows, 10), is_registered),
    }
    print()
    print("| family | " + " | ".join(table) + " |")
    print("| --- |" + " --- |" * len(table))
    for family in [*FAMILIES, "all"]:
        cells = []
        for figures in table.values():
            hit, total, false = figures[family]
            cells.append(f"{100 * hit / total:.0f}% ({hit}/{total}), {false} false")
        print(f"| {family} | " + " | ".join(cells) + " |")
    print()
    print(
        f"default threshold: score >= {DEFAULT_MIN_SCORE}; highest score of a wrong match: "
        f"{max(wrong, default=0):.3f}"
    )
    positives = sum(1 for r in ours_rows if is_registered(r[0]))
    print(
        f"transform guessed (expected family transform among those reported): "
        f"{transform_ok}/{positives}"
    )

    # -- speed
    per_query = [r[3] for r in results]
    n = len(datas)
    print()
    print(
        f"indexing: {n / index_s:.1f} images/s with {args.workers} threads "
        f"(anchor, Pillow decode of the same files: {n / anchor_s:.1f} images/s)"
    )
    print(
        f"query, whole (decode + prints + search + verification) on the real index: "
        f"median {1000 * statistics.median(per_query):.0f} ms"
    )
    timing = search_timing(index, store, list(queries.values())[::9], args.prints, decode)
    print(
        f"search of a query's 10 codes among {args.prints:,} prints (faiss, 1 thread): "
        f"median {timing['search_ms']:.1f} ms, p95 {timing['search_p95_ms']:.1f} ms "
        f"(anchor: one numpy popcount pass over the same prints, {timing['numpy_ms']:.0f} ms)"
    )
    print(
        f"query, whole, against {args.prints:,} prints: median {timing['whole_ms']:.0f} ms "
        f"(of which decode + query prints {timing['prints_ms']:.0f} ms)"
    )
    video = video_figures(work / "video", args.workers)
    if args.json:
        args.json.write_text(
            json.dumps({"table": table, "timing": timing, "video": video}, indent=1)
        )


def search_timing(index, store, paths, count, decode):  # type: ignore[no-untyped-def]
    """Query times against `count` prints: the real ones plus synthetic random codes.

    Synthetic prints are attributed to synthetic assets whose local features
    are those of a real asset, so verifying a synthetic candidate costs what
    verifying a real one does.
    """
    import numpy as np

    from numbers_cli.monitor import fingerprint as fpr
    from numbers_cli.monitor.matcher import Matcher
    from numbers_cli.monitor.search import PrintSearch
    from numbers_cli.monitor.store import MonitorIndex

    rng = np.random.default_rng(SEED)
    synthetic = rng.integers(0, 256, (count - len(index.prints), 32), dtype=np.uint8)
    prints = np.concatenate([index.prints, synthetic])
    real = list(index.assets.values())
    owners = index.owners + [f"synthetic-{i // 2}" for i in range(len(synthetic))]
    assets = _SyntheticAssets(index.assets, real, len(index.prints))
    big = MonitorIndex(assets, prints, owners)  # type: ignore[arg-type]
    search = PrintSearch(prints)
    matcher = Matcher(_SyntheticStore(store, real), big)
    search_ms, prints_ms, whole_ms = [], [], []
    for path in paths:
        t0 = time.perf_counter()
        pixels = decode(path.read_bytes(), str(path))
        query = fpr.query_prints(pixels)
        t1 = time.perf_counter()
        search.nearest(query.codes, 16)
        t2 = time.perf_counter()
        matcher.match(pixels)
        t3 = time.perf_counter()
        prints_ms.append(1000 * (t1 - t0))
        search_ms.append(1000 * (t2 - t1))
        whole_ms.append(1000 * (t3 - t2 + t1 - t0))
    t = time.perf_counter()
    codes = prints.view(np.uint64)
    np.bitwise_count(codes ^ codes[0]).sum(axis=1)
    numpy_ms = 1000 * (time.perf_counter() - t)
    return {
        "search_ms": statistics.median(search_ms),
        "search_p95_ms": sorted(search_ms)[int(0.95 * (len(search_ms) - 1))],
        "prints_ms": statistics.median(prints_ms),
        "whole_ms": statistics.median(whole_ms),
        "numpy_ms": numpy_ms,
    }


class _SyntheticAssets(dict):  # type: ignore[type-arg]
    """The real assets, and on demand an entry for each synthetic one (two prints each)."""

    def __init__(self, assets, real, offset):  # type: ignore[no-untyped-def]
        super().__init__(assets)
        self.real, self.offset = real, offset

    def __missing__(self, nid):  # type: ignore[no-untyped-def]
        import dataclasses

        i = int(nid.split("-")[1])
        model = self.real[i % len(self.real)]
        return dataclasses.replace(model, nid=nid, first=self.offset + 2 * i)


class _SyntheticStore:
    def __init__(self, store, real):  # type: ignore[no-untyped-def]
        self.store, self.real = store, real

    def features(self, asset):  # type: ignore[no-untyped-def]
        if asset.nid.startswith("synthetic-"):
            i = int(asset.nid.split("-")[1])
            return self.store.features(self.real[i % len(self.real)])
        return self.store.features(asset)


if __name__ == "__main__":
    main()
