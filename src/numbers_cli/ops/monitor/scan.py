"""`nit monitor scan`: read places, match every image and video found against the index.

Sources are read one after another (they are I/O and each bounds its own
waits); the images they yield are decoded and matched on a pool of threads,
a bounded number at a time, so memory stays flat on a folder of thousands.
Videos are decoded frame by frame on the reading thread and their sampled
frames matched on the same pool (`scan_video`), one finding per asset seen.
An unreadable source or image goes to `errors` and the scan goes on; only a
missing index or a broken repository stops it.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import MonitorIndexMissing, NotFound, UnreadableImage
from numbers_cli.model.nid import Nid
from numbers_cli.monitor.sources import FoundImage, FoundVideo, SourceError
from numbers_cli.ops.monitor import licensing
from numbers_cli.ops.monitor.index import fingerprint_asset, index_assets, store_for, workers
from numbers_cli.ops.monitor.places import Places, expand
from numbers_cli.ops.monitor.scan_video import FrameItem, VideoEnd, frame_items, image_fields
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import load_tree
from numbers_cli.repo.repository import Repository

#: The operating point where bench/bench_monitor.py shows zero false matches
#: (a geometric match of 40 RANSAC inliers, or a print within 31 bits).
DEFAULT_MIN_SCORE = 0.5
#: Seconds a source may keep the scan waiting for one answer.
DEFAULT_TIMEOUT = 10.0


@dataclass
class ScanReport:
    scanned: int = 0  # images and videos read and matched
    videos: int = 0
    frames: int = 0  # video frames sampled and matched
    findings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": 1,
            "scanned": self.scanned,
            "videos": self.videos,
            "videoFrames": self.frames,
            "findings": self.findings,
            "errors": self.errors,
            "notes": self.notes,
        }


class AssetFacts:
    """Name, licence and owner of indexed assets, read once per scan."""

    def __init__(self, repo: Repository, config: Config, market: licensing.Licensing) -> None:
        self.repo = repo
        self.config = config
        self.market = market
        self._cache: dict[str, dict[str, Any]] = {}
        self._paths: dict[str, str] | None = None

    def __call__(self, nid: str) -> dict[str, Any]:
        if nid not in self._cache:
            self._cache[nid] = self._read(nid)
        return self._cache[nid]

    def _read(self, nid: str) -> dict[str, Any]:
        if self._paths is None:
            self._paths = {t.nid: path for path, t in self.repo.index().tracked.items()}
        tree: dict[str, Any] = {}
        head = self.repo.refs.head(Nid(nid))
        if head is not None:
            try:
                tree = load_tree(self.repo, head).as_dict()
            except NotFound:
                tree = {}
        licence = tree.get("license")
        if isinstance(licence, dict):
            licence = licence.get("name") or licence.get("document")
        wallet = tree.get("creatorWallet")
        owner = self.market.ownership(
            nid, wallet if isinstance(wallet, str) else None, _nft_networks(tree)
        )
        return {
            "name": self._paths.get(nid),
            "license": licence if isinstance(licence, str) else None,
            "owner": owner.owner,
            "custody": owner.custody,
            "network": owner.network,
        }


def _nft_networks(tree: dict[str, Any]) -> list[str]:
    """The networks the tree's nftRecord entries name, in record order (where the
    asset's custody NFT may be; ops.monitor.licensing asks them)."""
    records = tree.get("nftRecord")
    if not isinstance(records, list):
        return []
    return [
        str(r["network"])
        for r in records
        if isinstance(r, dict) and isinstance(r.get("network"), str) and r["network"]
    ]


def scan(
    repo: Repository,
    config: Config,
    sources: Iterable[str],
    *,
    cwd: Path,
    min_score: float = DEFAULT_MIN_SCORE,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    jobs: int | None = None,
    on_finding: Callable[[dict[str, Any]], None] | None = None,
) -> ScanReport:
    """Scan `sources` for re-uses of indexed assets; findings at or above `min_score`."""
    from numbers_cli.monitor.matcher import Matcher
    from numbers_cli.monitor.store import CorruptIndex

    progress = progress or NoProgress()
    report = ScanReport()
    store = store_for(repo)
    try:
        index = store.load()
    except CorruptIndex as exc:
        report.notes.append(f"the monitor index was corrupt ({exc}); rebuilt it")
        rebuilt = index_assets(repo, progress=progress, jobs=jobs)
        report.notes += [n for n in rebuilt.notes if "corrupt" not in n]
        index = store.load()
    if not len(index):
        raise MonitorIndexMissing(
            "the monitor index is empty", hint="run `nit monitor index` first"
        )

    def repair(key: str) -> tuple[Any, Any]:
        nid = key.partition("@")[0]
        if key != nid:  # a video frame: the video is indexed again by `nit monitor index`
            store.forget(nid)
            raise CorruptIndex(
                f"features of the frame {key} are damaged; the video was taken out of "
                "the index (`nit monitor index` indexes it again)"
            )
        fp = fingerprint_asset(repo, Nid(nid))
        if isinstance(fp, str):
            raise CorruptIndex(f"features of {nid} are damaged and cannot be rebuilt: {fp}")
        store.repair(nid, fp)
        report.notes.append(f"the monitor index's features of {nid} were corrupt; rebuilt them")
        return fp.features, fp.thumb

    matcher = Matcher(store, index, repair)
    market = licensing.Licensing(config, timeout)
    facts = AssetFacts(repo, config, market)

    def match(found: FoundImage | FrameItem | VideoEnd) -> list[Any] | str | None:
        from numbers_cli.monitor.image import decode

        try:
            if isinstance(found, VideoEnd):
                return None
            if isinstance(found, FrameItem):
                return matcher.match(found.frame.pixels)
            return matcher.match(decode(found.data, found.source))
        except UnreadableImage as exc:
            return exc.message.removeprefix(f"{found.source}: ")
        except CorruptIndex as exc:
            return f"monitor index damaged while scanning ({exc}); run `nit monitor index`"

    expanded = list(expand(list(sources), cwd))

    def found(finding: dict[str, Any]) -> None:
        report.findings.append(finding)
        if on_finding is not None:
            on_finding(finding)

    progress.start("scanning", sum(_expected_images(s, cwd) for s in expanded), "files")
    try:
        with (
            Places(repo, config, cwd, timeout) as places,
            ThreadPoolExecutor(jobs or workers()) as pool,
        ):
            for item, result in _bounded(
                pool, match, _found(places, expanded, report), 2 * (jobs or workers())
            ):
                if isinstance(item, FrameItem):
                    if isinstance(result, str):
                        item.scan.error = item.scan.error or result
                    else:
                        item.scan.add(item.frame.time, result, min_score)
                    continue
                progress.advance(1)
                if isinstance(item, VideoEnd):
                    video = item.scan
                    if video.error:
                        report.errors.append({"source": item.source, "error": video.error})
                    if video.frames:
                        report.scanned += 1
                        report.videos += 1
                        report.frames += video.frames
                    for m, extra in video.best():
                        found({**_finding(video.found, m, facts(m.nid), market), **extra})
                    continue
                if isinstance(result, str):
                    report.errors.append({"source": item.source, "error": result})
                    continue
                report.scanned += 1
                for m in result:
                    if m.score >= min_score:
                        found({**_finding(item, m, facts(m.nid), market), **image_fields(m)})
    finally:
        progress.done()
        market.close()
    report.notes += market.notes
    return report


def _expected_images(source: str | SourceError, cwd: Path) -> int:
    """For the progress bar: the images in a directory, else one per source."""
    from numbers_cli.monitor.sources.file import image_files

    if isinstance(source, str) and (cwd / source).is_dir():
        return sum(1 for _ in image_files(cwd / source))
    return 1


def _found(
    places: Places, sources: list[str | SourceError], report: ScanReport
) -> Iterator[FoundImage | FrameItem | VideoEnd]:
    """Every image, and every video's sampled frames then its end marker."""
    for source in sources:
        if isinstance(source, SourceError):
            report.errors.append(source.to_json())
            continue
        for item in places.read(source):
            if isinstance(item, SourceError):
                report.errors.append(item.to_json())
            elif isinstance(item, FoundVideo):
                yield from frame_items(item)
            else:
                yield item


def _bounded(
    pool: ThreadPoolExecutor,
    fn: Callable[[Any], Any],
    items: Iterator[Any],
    window: int,
) -> Iterator[tuple[Any, Any]]:
    """pool.map in order, with at most `window` images in flight (memory stays flat)."""
    pending: collections.deque[tuple[Any, Future[Any]]] = collections.deque()
    for item in items:
        pending.append((item, pool.submit(fn, item)))
        if len(pending) >= window:
            found, future = pending.popleft()
            yield found, future.result()
    while pending:
        found, future = pending.popleft()
        yield found, future.result()


def _finding(
    found: FoundImage | FoundVideo, match: Any, facts: dict[str, Any], market: licensing.Licensing
) -> dict[str, Any]:
    return {
        "source": found.source,
        "page": found.page,
        "nid": match.nid,
        "name": facts["name"],
        "score": match.score,
        "transform": match.transform,
        "method": match.method,
        "inliers": match.inliers,
        "distance": match.distance,
        "license": facts["license"],
        "owner": facts["owner"],
        "ownerIsCustodian": facts["custody"],
        "network": facts["network"],
        "placeOwner": found.place_owner,
        "licensed": market.licensed(match.nid, found.place_owner, facts["owner"], facts["network"]),
    }
