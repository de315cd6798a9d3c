"""`nit monitor index`: fingerprint committed image and video assets into
`.numbers/monitor/`.

Incremental: an asset already in the index is not read again (its Nid fixes
its pixels). The files come from this repository's object store, so an
asset whose file was never here (a history fetched without it) is skipped
with a reason. Fingerprinting runs on every core (threads: decoding, OpenCV
and numpy release the GIL), and the index is written every BATCH assets, so
an interrupted run keeps what it finished. A video asset is streamed from the
object store to a spool file, decoded frame by frame, and its kept frames
(`monitor.keyframes`) are written to the index as one unit when it is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from numbers_cli.errors import NotFound, UnreadableImage, UsageError
from numbers_cli.model.nid import Nid
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.trees import iter_file, load_tree, read_file
from numbers_cli.repo.repository import Repository

if TYPE_CHECKING:
    from numbers_cli.monitor.fingerprint import Fingerprint
    from numbers_cli.monitor.store import DirectoryIndexStore

BATCH = 64


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    frames: dict[str, int] = field(default_factory=dict)  # video Nid -> frames indexed
    already: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # {nid, reason}
    total: int = 0  # assets in the index afterwards
    notes: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "schemaVersion": 1,
            "indexed": self.indexed,
            "videoFrames": self.frames,
            "alreadyIndexed": self.already,
            "skipped": self.skipped,
            "total": self.total,
            "rebuilt": self.rebuilt,
            "notes": self.notes,
        }


def store_for(repo: Repository) -> DirectoryIndexStore:
    from numbers_cli.monitor.store import DirectoryIndexStore

    return DirectoryIndexStore(repo.monitor_dir, repo.lock_timeout)


def workers() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def _media(kind: str) -> bool:
    return kind.startswith(("image/", "video/"))


def _image_assets(repo: Repository) -> list[Nid]:
    """Committed assets whose tree says they are images or videos."""
    found = []
    for nid in repo.refs.assets():
        if _media(_media_type(repo, nid)):
            found.append(nid)
    return found


def _media_type(repo: Repository, nid: Nid) -> str:
    head = repo.refs.head(nid)
    if head is None:
        return ""
    try:
        tree = load_tree(repo, head)
    except NotFound:
        return ""
    return str(tree.as_dict().get("encodingFormat") or "")


def _targets(repo: Repository, targets: Sequence[str]) -> list[Nid]:
    chosen = []
    for text in targets:
        nid = repo.resolve_asset(text)
        if repo.refs.head(nid) is None:
            raise UsageError(f"{text} has no commits; `nit commit` it before indexing it")
        kind = _media_type(repo, nid)
        if not _media(kind):
            raise UnreadableImage(
                f"{text} is not an image or video asset ({kind or 'unknown type'})"
            )
        chosen.append(nid)
    return chosen


def index_assets(
    repo: Repository,
    targets: Sequence[str] = (),
    progress: Progress | None = None,
    jobs: int | None = None,
) -> IndexReport:
    """Fingerprint the named assets (default: every committed image and video asset) not
    yet indexed."""
    from numbers_cli.monitor.store import CorruptIndex

    progress = progress or NoProgress()
    report = IndexReport()
    store = store_for(repo)
    try:
        known = store.load().nids()
    except CorruptIndex as exc:
        report.notes.append(f"the monitor index was corrupt ({exc}); rebuilt it from scratch")
        report.rebuilt = True
        store.reset()
        known = set()
        targets = ()
    assets = _targets(repo, targets) if targets else _image_assets(repo)
    todo = [nid for nid in dict.fromkeys(assets) if str(nid) not in known]
    report.already = len(assets) - len(todo)
    videos = [nid for nid in todo if _media_type(repo, nid).startswith("video/")]
    images = [nid for nid in todo if nid not in set(videos)]
    explicit = bool(targets)

    def skip(nid: Nid, reason: str) -> None:
        if explicit:
            raise UnreadableImage(f"{nid}: {reason}")
        report.skipped.append({"nid": str(nid), "reason": reason})

    progress.start("indexing", len(todo), "assets")
    try:
        with ThreadPoolExecutor(jobs or workers()) as pool:
            batch: list[tuple[str, Fingerprint]] = []
            for nid, result in pool.map(lambda n: (n, fingerprint_asset(repo, n)), images):
                progress.advance(1)
                if isinstance(result, str):
                    skip(nid, result)
                    continue
                batch.append((str(nid), result))
                report.indexed.append(str(nid))
                if len(batch) >= BATCH:
                    store.add(batch)
                    batch = []
            if batch:
                store.add(batch)
            index_video = partial(_index_video, repo, store)
            for nid, (frames, note) in pool.map(lambda n: (n, index_video(n)), videos):
                progress.advance(1)
                if isinstance(frames, str):
                    skip(nid, frames)
                    continue
                report.indexed.append(str(nid))
                report.frames[str(nid)] = frames
                if note:
                    report.notes.append(f"{nid}: {note}")
    finally:
        progress.done()
    report.total = len(store.load())
    return report


def _index_video(
    repo: Repository, store: DirectoryIndexStore, nid: Nid
) -> tuple[int | str, str | None]:
    """Index a video asset's kept frames: (how many, a note) or (why not, None)."""
    from numbers_cli.monitor.keyframes import KeptFrames
    from numbers_cli.monitor.sources.spool import Spool

    spool = Spool(repo.monitor_dir)
    try:
        try:
            path = spool.collect(iter_file(repo, nid), "video/", video_cap=None)
        except NotFound:
            return "its file is not in this repository (fetched without its content)", None
        assert not isinstance(path, bytes)
        kept = KeptFrames(path, str(nid))
        try:
            frames = store.add_video(str(nid), kept)
        except UnreadableImage as exc:
            return exc.message.removeprefix(f"{nid}: "), None
        if not frames:
            return f"none of its {kept.sampled} sampled frames has a picture to index", None
        if kept.truncated:
            return frames, f"truncated video ({kept.truncated}); indexed what decodes"
        return frames, None
    finally:
        spool.close()


def fingerprint_asset(repo: Repository, nid: Nid) -> Fingerprint | str:
    """The asset's fingerprint from this repository's copy, or why it cannot have one."""
    from numbers_cli.monitor.fingerprint import fingerprint
    from numbers_cli.monitor.image import decode

    try:
        data = read_file(repo, nid)
    except NotFound:
        return "its file is not in this repository (fetched without its content)"
    try:
        return fingerprint(decode(data, str(nid)))
    except UnreadableImage as exc:
        return exc.message.removeprefix(f"{nid}: ")


def iter_unindexed(repo: Repository) -> Iterator[Nid]:
    """Committed image and video assets the index does not hold yet (for `watch`)."""
    known = store_for(repo).load().nids()
    for nid in _image_assets(repo):
        if str(nid) not in known:
            yield nid
