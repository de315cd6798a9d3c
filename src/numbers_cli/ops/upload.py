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
name is pointed elsewhere, it starts empty. Those records are
`ops.upload_records`; the block walk and the CAR framing, which the stamp's
one-CAR upload shares, are `ops.upload_blocks`.

No repository lock is taken: nothing here changes objects, refs or the index,
and `nit push` may already hold the lock around its own writes.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from numbers_cli.errors import ConfigError, NetworkError
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model.nid import Nid, short
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.remotes import open_remote
from numbers_cli.ops.upload_blocks import (
    Block,
    car_segment,
    in_segments,
    object_size,
    walk_blocks,
)
from numbers_cli.ops.upload_records import RemoteState
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
# Uploading


def _send_segment(
    client: KuboRemote, store: ObjectStore, root: Nid, segment: list[Block], progress: Progress
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

        chunks, length = car_segment(store, root, segment, sent)
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
    blocks = walk_blocks(store, root)
    skipped = sum(block.content for block in itertools.islice(blocks, start))
    progress.advance(skipped)
    done, sent, segments = start, 0, 0
    for segment in in_segments(blocks, segment_bytes):
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
    label, size = f"uploading {short(cid)}", object_size(store, cid)
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
