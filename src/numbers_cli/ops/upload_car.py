"""Upload many small objects to an IPFS remote as one CAR: a `nit stamp` batch.

`ops.upload.upload_objects` sends each object on its own (asks whether it is
pinned, imports its CAR, pins it, records it: three requests and an fsync per
object), which suits a push's few large files and resumes inside a large one.
A stamp batch is the other shape: thousands of trees and commits of a few
hundred bytes each. Here they go up together:

- every block of every object not yet recorded as pinned on the remote, in one
  `dag/import` (one CAR whose header root is the first object; a block shared
  by two objects is sent once);
- then `pin/add` of them all, `KuboRemote.PIN_BATCH` CIDs per request, which
  also proves the node holds every DAG;
- then one append (one fsync) to `.numbers/remotes/NAME/pinned`.

Killed half-way, nothing is recorded and the next run sends the batch again
(the node keeps what it had; small objects cost little to send twice). Past
`MAX_CAR_BYTES` of blocks (a stamp that kept large artifacts) the objects go
through `upload_objects`, whose segments resume. A `numbers` remote takes
single files only, so it goes through `upload_objects` too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from numbers_cli.ipfs.remote import Remote
from numbers_cli.model import car
from numbers_cli.model.nid import Nid
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.remotes import open_remote
from numbers_cli.ops.upload import UploadResult, upload_objects
from numbers_cli.ops.upload_blocks import Block, read_block, walk_blocks
from numbers_cli.ops.upload_records import RemoteState
from numbers_cli.repo.repository import Repository

__all__ = ["MAX_CAR_BYTES", "upload_as_one_car"]

#: The most block bytes sent as one CAR; more goes object by object, resumably.
MAX_CAR_BYTES = 64 * 1024 * 1024


def upload_as_one_car(
    repo: Repository,
    remote: Remote,
    cids: Sequence[Nid],
    progress: Progress | None = None,
) -> list[UploadResult]:
    """Put every object of `cids` (all its blocks) on `remote`, pinned; one CAR."""
    progress = progress or NoProgress()
    objects = list(dict.fromkeys(cids))
    if remote.kind != "kubo":
        return upload_objects(repo, remote, objects, progress)
    state = RemoteState(repo, remote)
    todo = [cid for cid in objects if not state.is_pinned(cid)]
    results = {cid: UploadResult(cid, "skipped") for cid in objects if cid not in todo}
    if not todo:
        return [results[cid] for cid in objects]
    blocks: dict[bytes, int] = {}  # binary CID → length, in walk order, each once
    for cid in todo:
        for block in walk_blocks(repo.objects, cid):
            blocks.setdefault(block.cid, block.length)
    header = car.encode_header(todo[0].to_bytes())
    length = len(header) + sum(
        len(car.block_frame(cid, size)) + size for cid, size in blocks.items()
    )
    if length > MAX_CAR_BYTES:
        return upload_objects(repo, remote, objects, progress)

    def chunks() -> Iterator[bytes]:
        yield header
        for cid, size in blocks.items():
            data = read_block(repo.objects, Block(cid, size, size))
            yield car.block_frame(cid, size)
            yield data
            progress.advance(size)

    adapter = open_remote(remote)
    try:
        progress.start(f"uploading {len(todo)} objects as one CAR", length)
        try:
            adapter.import_car(chunks(), pin_roots=False, length=length)  # type: ignore[attr-defined]
            adapter.pin_all(todo)  # type: ignore[attr-defined]
        finally:
            progress.done()
    finally:
        adapter.close()
    state.record_pinned_many(todo)
    sent = UploadResult  # every object shares the one request: bytes are the CAR's
    for cid in todo:
        results[cid] = sent(cid, "uploaded", segments_sent=1)
    results[todo[0]] = sent(todo[0], "uploaded", bytes_sent=length, segments_sent=1)
    return [results[cid] for cid in objects]
