"""Upload objects to an IPFS remote as their own blocks, resumably, then pin them.

`nit push` calls `upload_objects` for every commit it registers, with the
file's Nid, its AssetTree's CID and the commit's CID. Each object goes up as
the blocks we hold (CARs through `dag/import`), so the node stores exactly our
CIDs and never re-chunks a file into different ones.

A large object is sent in segments of `SEGMENT_BYTES` (each one CAR, one
request). After the node acknowledges a segment, the number of blocks sent so
far is written to `.numbers/remotes/NAME/uploads/<cid>`; an upload cut short
(Ctrl-C, killed, node gone) starts again from there on the next call. When
every block is there the root is pinned recursively, which also proves the
node holds the whole DAG: if that pin times out after a *resumed* upload (the
node lost blocks in between, e.g. a garbage collection), the object is sent
again from the start, once.

What a remote has pinned is appended to `.numbers/remotes/NAME/pinned` (one
CID per line, fsync'ed; a torn last line is ignored), so the next push skips
it without asking the node. The record belongs to the remote's URL: if the
name is pointed elsewhere, it starts empty.

No repository lock is taken: nothing here changes objects, refs or the index,
and `nit push` may already hold the lock around its own writes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from numbers_cli.errors import ConfigError, IntegrityError, NetworkError
from numbers_cli.fsio import atomic_write, fsync_dir, make_dirs
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model import car
from numbers_cli.model.nid import RAW, Nid, short
from numbers_cli.model.unixfs import LinkWalk, decode_file_node
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.remotes import open_remote, remote_state_dir
from numbers_cli.repo.objects import ObjectStore
from numbers_cli.repo.repository import Repository

if TYPE_CHECKING:
    from numbers_cli.ipfs import Adapter, KuboRemote, NumbersRemote

__all__ = ["SEGMENT_BYTES", "RemoteState", "UploadResult", "upload_objects"]

#: Bytes of blocks per CAR sent in one request: big enough that a request's
#: overhead does not show, small enough that an interruption loses little.
SEGMENT_BYTES = 16 * 1024 * 1024

#: Tries per segment for failures another try can fix (connection lost, 502/503).
SEGMENT_ATTEMPTS = 3
_BACKOFF = 0.5

Status = Literal["uploaded", "skipped", "present"]


@dataclass(frozen=True)
class UploadResult:
    """What happened to one object.

    `skipped`: the local record says the remote pinned it, nothing was asked;
    `present`: the node already had it pinned, nothing was sent;
    `uploaded`: blocks were sent (`bytes_sent`, in `segments_sent` CARs, after
    `resumed_blocks` blocks acknowledged by an earlier call) and it was pinned.
    """

    cid: Nid
    status: Status
    bytes_sent: int = 0
    segments_sent: int = 0
    resumed_blocks: int = 0
    restarted: bool = False

    @property
    def uploaded(self) -> bool:
        """True when blocks were sent by this call (False: it was there already)."""
        return self.status == "uploaded"


# --------------------------------------------------------------------------
# What we remember about a remote


class RemoteState:
    """`.numbers/remotes/NAME/`: CIDs the remote pinned, uploads under way, its URL."""

    def __init__(self, repo: Repository, remote: Remote) -> None:
        self.dir = remote_state_dir(repo.workdir, remote.name)
        self.url = remote.url
        self.pinned_path = self.dir / "pinned"
        self.uploads_dir = self.dir / "uploads"
        stamp = self._read(self.dir / "url")
        if stamp is not None and stamp.strip() != self.url:
            # The name now points at another node: what the old one held says nothing.
            self.pinned_path.unlink(missing_ok=True)
            shutil.rmtree(self.uploads_dir, ignore_errors=True)
            (self.dir / "url").unlink(missing_ok=True)
        self._pinned = self._load_pinned()

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None

    def _load_pinned(self) -> set[str]:
        text = self._read(self.pinned_path)
        if text is None:
            return set()
        # The piece after the last newline is "" or a line torn by a crash: ignored.
        return {line.strip() for line in text.split("\n")[:-1] if line.strip()}

    def _stamp(self) -> None:
        """Write down which URL these records are about (before the first record)."""
        url_file = self.dir / "url"
        if not url_file.exists():
            make_dirs(self.dir)
            atomic_write(url_file, f"{self.url}\n".encode())

    def is_pinned(self, cid: Nid) -> bool:
        return str(cid) in self._pinned

    def record_pinned(self, cid: Nid) -> None:
        """Append `cid` durably; a torn last line left by a crash is closed first."""
        self.record_pinned_many([cid])

    def record_pinned_many(self, cids: Sequence[Nid]) -> None:
        """Append every CID in one write and one fsync (a stamp batch's objects)."""
        self._stamp()
        created = not self.pinned_path.exists()
        fd = os.open(self.pinned_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            text = "".join(f"{cid}\n" for cid in cids)
            os.write(fd, (b"\n" if torn else b"") + text.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.dir)
        self._pinned.update(str(cid) for cid in cids)

    def blocks_done(self, cid: Nid) -> int:
        """How many blocks of `cid` (in walk order) the remote acknowledged so far."""
        text = self._read(self.uploads_dir / str(cid))
        try:
            return max(0, int((text or "0").strip()))
        except ValueError:
            return 0

    def save_blocks_done(self, cid: Nid, count: int) -> None:
        self._stamp()
        make_dirs(self.uploads_dir)
        atomic_write(self.uploads_dir / str(cid), f"{count}\n".encode())

    def clear_upload(self, cid: Nid) -> None:
        (self.uploads_dir / str(cid)).unlink(missing_ok=True)


# --------------------------------------------------------------------------
# The blocks of an object


@dataclass(frozen=True)
class _Block:
    cid: bytes  # binary CID
    length: int  # bytes of the block
    content: int  # file bytes it carries (for progress): a raw leaf's length, else inline data


def _is_raw(cid: bytes) -> bool:
    return len(cid) > 1 and cid[0] == 1 and cid[1] == RAW


def _walk(store: ObjectStore, root: Nid) -> Iterator[_Block]:
    """Every block of the object, root first, depth first: a fixed order to resume in.

    Only interior nodes are read here (about one block in 175); leaves are
    read when they are sent. Memory is one node's links per level of the DAG.
    """
    data = store.get(root)
    if root.is_raw:
        yield _Block(root.to_bytes(), len(data), len(data))
        return
    node = decode_file_node(data)
    yield _Block(root.to_bytes(), len(data), len(node.data))
    walk = LinkWalk(node.links)
    for link in walk:
        if _is_raw(link.cid):
            yield _Block(link.cid, link.filesize, link.filesize)
            continue
        block = store.get(Nid.from_bytes(link.cid))
        child = decode_file_node(block)
        yield _Block(link.cid, len(block), len(child.data))
        walk.descend(child.links)


def _object_size(store: ObjectStore, root: Nid) -> int:
    data = store.get(root)
    return len(data) if root.is_raw else decode_file_node(data).filesize


def _read_block(store: ObjectStore, block: _Block) -> bytes:
    """A block's bytes from the store, checked before they leave the machine.

    `get` re-hashes them and names what is wrong: a damaged pack, or a file
    added by reference (`--no-copy`) that changed or is gone since.
    """
    nid = Nid.from_bytes(block.cid)
    data = store.get(nid)
    if len(data) != block.length:
        raise IntegrityError(
            f"object {nid} in this repository is corrupt; nothing more was sent",
            hint="run `nit fsck`",
        )
    return data


def _segments(blocks: Iterable[_Block], limit: int) -> Iterator[list[_Block]]:
    segment: list[_Block] = []
    size = 0
    for block in blocks:
        segment.append(block)
        size += block.length
        if size >= limit:
            yield segment
            segment, size = [], 0
    if segment:
        yield segment


def _car(
    store: ObjectStore, root: Nid, segment: list[_Block], sent: Callable[[int], None]
) -> tuple[Iterator[bytes], int]:
    """One segment as CAR chunks, and their exact length; a block repeated in it goes once.

    `sent(n)` is called as each block is handed to the connection, with the
    file bytes it carries, so progress moves while a segment is on its way.
    """
    header = car.encode_header(root.to_bytes())
    unique = {block.cid: block for block in segment}
    length = len(header) + sum(
        len(car.block_frame(b.cid, b.length)) + b.length for b in unique.values()
    )

    def chunks() -> Iterator[bytes]:
        yield header
        seen: set[bytes] = set()
        for block in segment:
            if block.cid not in seen:
                seen.add(block.cid)
                data = _read_block(store, block)
                yield car.block_frame(block.cid, block.length)
                yield data
            sent(block.content)

    return chunks(), length


# --------------------------------------------------------------------------
# Uploading


def _send_segment(
    client: KuboRemote, store: ObjectStore, root: Nid, segment: list[_Block], progress: Progress
) -> int:
    """Import one segment, retrying what can be retried; returns the bytes sent."""
    from numbers_cli.ipfs.http import is_transient

    shown = 0  # progress already reported for this segment (a retry must not count twice)
    for attempt in range(1, SEGMENT_ATTEMPTS + 1):
        total = 0

        def sent(amount: int) -> None:
            nonlocal total, shown
            total += amount
            if total > shown:
                progress.advance(total - shown)
                shown = total

        chunks, length = _car(store, root, segment, sent)
        try:
            client.import_car(chunks, pin_roots=False, length=length)
            return length
        except NetworkError as exc:
            if attempt == SEGMENT_ATTEMPTS or not is_transient(exc):
                raise
        time.sleep(_BACKOFF * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _send_blocks(
    client: KuboRemote,
    store: ObjectStore,
    state: RemoteState,
    root: Nid,
    start: int,
    progress: Progress,
    segment_bytes: int,
) -> tuple[int, int]:
    """Send the object's blocks after the first `start`; returns (bytes, segments) sent."""
    blocks = _walk(store, root)
    skipped = sum(block.content for block in itertools.islice(blocks, start))
    progress.advance(skipped)
    done, sent, segments = start, 0, 0
    for segment in _segments(blocks, segment_bytes):
        sent += _send_segment(client, store, root, segment, progress)
        segments += 1
        done += len(segment)
        state.save_blocks_done(root, done)
    return sent, segments


def _upload_kubo(
    client: KuboRemote,
    store: ObjectStore,
    state: RemoteState,
    cid: Nid,
    progress: Progress,
    segment_bytes: int,
) -> UploadResult:
    from numbers_cli.ipfs.kubo import BlocksMissing

    if client.is_pinned(cid):
        state.clear_upload(cid)
        return UploadResult(cid, "present")
    resumed = state.blocks_done(cid)
    start, restarted = resumed, False
    sent = segments = 0
    label, size = f"uploading {short(cid)}", _object_size(store, cid)
    while True:
        progress.start(label, size)
        try:
            got = _send_blocks(client, store, state, cid, start, progress, segment_bytes)
            sent, segments = sent + got[0], segments + got[1]
            client.pin(cid)
            break
        except BlocksMissing:
            if start == 0:
                raise
            # Blocks acknowledged by an earlier call are gone: send it all again, once.
            state.clear_upload(cid)
            start, restarted = 0, True
        finally:
            progress.done()
    state.clear_upload(cid)
    return UploadResult(cid, "uploaded", sent, segments, resumed, restarted)


def _upload_numbers(client: NumbersRemote, store: ObjectStore, cid: Nid) -> UploadResult:
    if not cid.is_raw:
        raise ConfigError(
            f"{client.label} takes whole files and re-chunks them, so {cid} (several blocks) "
            "could get another CID there",
            hint="push large files to a `kubo` remote, which takes their exact blocks",
        )
    data = store.get(cid)
    client.add_file(data)
    return UploadResult(cid, "uploaded", len(data), 1)


def upload_objects(
    repo: Repository,
    remote: Remote,
    cids: Sequence[Nid],
    progress: Progress | None = None,
    *,
    segment_bytes: int = SEGMENT_BYTES,
    client: Adapter | None = None,
) -> list[UploadResult]:
    """Put every object of `cids` (with all its blocks) on `remote` and pin it there.

    Objects already recorded as pinned on that remote are skipped without a
    request. `progress` sees one start/done per object sent, in file bytes.
    `client` lets a caller reuse an open adapter (it is then not closed).
    Raises NetworkError (nothing of the failed object recorded), NotFound for
    an object not in this repository, IntegrityError for a corrupt one.
    """
    if remote.kind == "gateway":
        raise ConfigError(
            f"{remote.label} is a read-only gateway; uploads need a kubo or numbers remote"
        )
    progress = progress or NoProgress()
    state = RemoteState(repo, remote)
    own = client is None
    adapter = open_remote(remote) if client is None else client
    results: list[UploadResult] = []
    try:
        for cid in dict.fromkeys(cids):
            if state.is_pinned(cid):
                results.append(UploadResult(cid, "skipped"))
                continue
            if adapter.kind == "kubo":
                result = _upload_kubo(
                    adapter,  # type: ignore[arg-type]
                    repo.objects,
                    state,
                    cid,
                    progress,
                    segment_bytes,
                )
            else:
                result = _upload_numbers(adapter, repo.objects, cid)  # type: ignore[arg-type]
            state.record_pinned(cid)
            results.append(result)
    finally:
        if own:
            with contextlib.suppress(Exception):
                adapter.close()
    return results
