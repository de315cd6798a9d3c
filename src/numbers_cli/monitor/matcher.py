"""Matching one image against the index: prints propose, local features confirm.

1. The query's 16 codes (two windows x eight dihedral variants) are searched
   for their nearest prints; the assets they belong to, best first, are the
   candidates (at most CANDIDATES).
2. Each candidate is verified with local features (the query as it is, then
   mirrored), giving a geometric score from the RANSAC inliers; a close print
   gives a print score when both images' PDQ quality is trustworthy.
3. The score is the larger of the two; the transform is read from the
   alignment when there is one, else from the print variant that matched.

A video asset is indexed as several entries, one per kept frame (each with
its time); candidates are entries, and the result keeps the best match per
asset, with the time of the registered frame it matched. Once an asset is
confirmed outright its other frames are not verified.

Thread-safe: a scan matches several images at once on the same Matcher.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from numbers_cli.monitor import fingerprint as fpr
from numbers_cli.monitor import transforms
from numbers_cli.monitor.search import PrintSearch

if TYPE_CHECKING:
    import numpy as np

    from numbers_cli.monitor.image import Pixels
    from numbers_cli.monitor.store import IndexStore, MonitorIndex

#: Assets verified per query, nearest prints first.
CANDIDATES = 8
#: Prints fetched per query code (each asset has two).
NEIGHBOURS = 2 * CANDIDATES
#: Frames of one video verified per query at most (so one video's many frames
#: cannot crowd every other asset out of the candidates).
FRAMES_PER_ASSET = 3
#: Print distance beyond which an asset is not worth verifying (random codes sit at ~128).
MAX_CANDIDATE_DISTANCE = 115
#: Once an asset is confirmed outright, candidates farther than this are not verified
#: (a second registered picture in the same image would be this close or confirmed first).
NEAR_DUPLICATE_DISTANCE = 64


@dataclass(frozen=True)
class Match:
    nid: str
    score: float
    transform: list[str]
    method: str  # "features" or "print"
    inliers: int
    distance: int  # Hamming distance of the closest print
    time: float | None = None  # the registered video's frame that matched (seconds)


@dataclass
class _Candidate:
    key: str  # index entry: an image asset's Nid, or a video frame's key
    distance: int
    code: int
    row: int
    order: int = field(default=0)


class Matcher:
    def __init__(
        self,
        store: IndexStore,
        index: MonitorIndex,
        repair: Callable[[str], tuple[fpr.Features, np.ndarray]] | None = None,
    ) -> None:
        """`repair(key)`, when given, re-fingerprints an entry whose stored features
        turn out damaged; without it the CorruptIndex goes to the caller."""
        self.store = store
        self.repair = repair
        self.index = index
        self.search = PrintSearch(index.prints)
        # Flat, dark or foggy pictures have low-quality PDQ prints that are close to
        # random, so a re-use of one can sit beyond MAX_CANDIDATE_DISTANCE. They get
        # a search of their own, without the cutoff, used for low-quality queries.
        import numpy as np

        weak = [
            row
            for asset in index.assets.values()
            if asset.quality < fpr.MIN_QUALITY
            for row in range(asset.first, asset.first + asset.count)
        ]
        self._weak_rows = np.array(weak, dtype=np.int64)
        self.weak_search = PrintSearch(index.prints[self._weak_rows]) if weak else None
        self._features: dict[str, tuple[fpr.Features, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _registered(self, key: str) -> tuple[fpr.Features, np.ndarray]:
        with self._lock:
            cached = self._features.get(key)
        if cached is None:
            from numbers_cli.monitor.store import CorruptIndex

            try:
                cached = self.store.features(self.index.assets[key])
            except CorruptIndex:
                if self.repair is None:
                    raise
                cached = self.repair(key)
            with self._lock:
                if len(self._features) > 4096:
                    self._features.clear()
                self._features[key] = cached
        return cached

    def candidates(self, query: fpr.QueryPrints) -> list[_Candidate]:
        best: dict[str, _Candidate] = {}
        per_asset: collections.Counter[str] = collections.Counter()
        for hit in self.search.nearest(query.codes, NEIGHBOURS):
            if hit.distance > MAX_CANDIDATE_DISTANCE:
                break
            key = self.index.owners[hit.row]
            nid = self.index.assets[key].nid
            if key not in best and per_asset[nid] < FRAMES_PER_ASSET:
                per_asset[nid] += 1
                best[key] = _Candidate(key, hit.distance, hit.code, hit.row, len(best))
                if len(best) == CANDIDATES:
                    break
        if query.quality < fpr.MIN_QUALITY and self.weak_search is not None:
            extra = 0
            for hit in self.weak_search.nearest(query.codes, NEIGHBOURS):
                row = int(self._weak_rows[hit.row])
                key = self.index.owners[row]
                if key not in best:
                    best[key] = _Candidate(key, hit.distance, hit.code, row, len(best))
                    extra += 1
                    if extra == CANDIDATES:
                        break
        return list(best.values())

    def match(self, pixels: Pixels) -> list[Match]:
        """Each candidate asset's best match, best score first (callers apply the threshold)."""
        query = fpr.query_prints(pixels)
        found = self.candidates(query)
        if not found:
            return []
        plain: fpr.Features | None = None
        mirror: fpr.Features | None = None
        matches: list[Match] = []
        confirmed: set[str] = set()
        for candidate in found:
            if matches and matches[0].score >= 1.0 and candidate.distance > NEAR_DUPLICATE_DISTANCE:
                break  # confirmed; what is left is not a near-duplicate worth verifying
            asset = self.index.assets[candidate.key]
            if asset.nid in confirmed:
                continue  # another frame of a video already confirmed
            registered, thumb = self._registered(candidate.key)
            if plain is None:
                plain = fpr.features(pixels)
            geometry = fpr.verify(plain, registered, mirrored=False)
            if geometry is None or geometry.inliers < fpr.INLIERS_AT_HALF:
                if mirror is None:
                    mirror = fpr.features(pixels, mirrored=True)
                flipped = fpr.verify(mirror, registered, mirrored=True)
                if flipped is not None and (geometry is None or flipped.inliers > geometry.inliers):
                    geometry = flipped
            inliers = geometry.inliers if geometry else 0
            geo_score = fpr.geometric_score(inliers)
            trusted = min(query.quality, asset.quality) >= fpr.MIN_QUALITY
            print_score = fpr.print_score(candidate.distance) if trusted else 0.0
            if geometry is not None and geo_score >= 0.5 * max(print_score, 0.5):
                transform = transforms.geometry_transforms(geometry, pixels, thumb, registered)
                method = "features"
            else:
                window_registered = candidate.row - asset.first
                transform = transforms.print_transforms(
                    query.windows[candidate.code],
                    window_registered,
                    query.variants[candidate.code],
                    query.trimmed,
                )
                method = "print"
            score = round(max(geo_score, print_score), 3)
            if score >= 1.0:
                confirmed.add(asset.nid)
            matches.append(
                Match(asset.nid, score, transform, method, inliers, candidate.distance, asset.time)
            )
            matches.sort(key=lambda m: (-m.score, -m.inliers))
        return _best_per_asset(matches)


def _best_per_asset(matches: list[Match]) -> list[Match]:
    """The first (best) match of each asset; `matches` is sorted best first (by score,
    then inliers: of a video's frames, the one most like the query)."""
    seen: set[str] = set()
    kept = []
    for m in matches:
        if m.nid not in seen:
            seen.add(m.nid)
            kept.append(m)
    return kept
