"""Fetch by CID, trusted only after hashing: the local store first, then remotes.

`RemoteObjects` is the block source chain: a block is read from the local
store if it is there, else asked of each remote source in turn (a Kubo node's
`block/get`, a trustless gateway's `/ipfs/<cid>?format=raw`, the Numbers
gateway). The adapters re-hash every answer against its CID, so a wrong byte
is an IntegrityError and is never stored; a source that does not have the
block is skipped for the next one.

What is fetched is kept: a single block as a loose object, a file's whole
DAG as one pack written in a single pass (`PackWriter`), so a large file
streams to disk with memory bounded by the DAG's depth. Storing takes the
repository's write lock, like any other writer.

`RemoteObjects` is also what `ops.trees` accepts as its optional `source`:
commits and trees missing locally are then fetched on the way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from numbers_cli.config import Config
from numbers_cli.errors import NotFound
from numbers_cli.model.dag_budget import DagBudget, DagTooLarge
from numbers_cli.model.nid import RAW, Nid
from numbers_cli.model.unixfs import LinkWalk, decode_file_node
from numbers_cli.ops.progress import NoProgress, Progress
from numbers_cli.ops.remotes import REMOTES_TABLE, open_remote, resolve_remote
from numbers_cli.repo.repository import Repository

if TYPE_CHECKING:
    from numbers_cli.ipfs.remote import BlockSource

__all__ = ["FetchedObject", "RemoteObjects", "fetch_object", "source_for"]


@dataclass(frozen=True)
class FetchedObject:
    cid: Nid
    blocks_fetched: int  # blocks that came from a remote
    bytes_fetched: int
    already_local: bool


class RemoteObjects:
    """Blocks from the local store, else from `sources` in order; fetched ones are stored."""

    def __init__(
        self,
        repo: Repository,
        sources: Sequence[BlockSource] | Callable[[], Sequence[BlockSource]],
        progress: Progress | None = None,
    ) -> None:
        self.repo = repo
        # A callable is resolved on the first block that is not local: a read
        # that never leaves the store never reads the remote's config.
        self._sources = sources if callable(sources) else list(sources)
        self.progress = progress or NoProgress()
        self.blocks_fetched = 0
        self.bytes_fetched = 0

    @property
    def sources(self) -> list[BlockSource]:
        if callable(self._sources):
            self._sources = list(self._sources())
        return self._sources

    def close(self) -> None:
        if callable(self._sources):
            return
        for source in self._sources:
            with contextlib.suppress(Exception):
                source.close()

    def __enter__(self) -> RemoteObjects:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one block ---------------------------------------------------------------

    def _remote_block(self, cid: Nid) -> bytes:
        missing: NotFound | None = None
        for source in self.sources:
            try:
                data = source.get_block(cid)  # verified by the adapter
            except NotFound as exc:
                missing = exc
                continue
            self.blocks_fetched += 1
            self.bytes_fetched += len(data)
            return data
        if missing is not None and len(self.sources) == 1:
            raise missing
        raise NotFound(f"object {cid} is neither in this repository nor on any remote asked")

    def block(self, cid: Nid) -> bytes:
        """The verified block, from the store or a remote (not stored: see `fetch`)."""
        try:
            return self.repo.objects.get(cid)
        except NotFound:
            if not self.sources:
                raise
        return self._remote_block(cid)

    # -- whole objects -------------------------------------------------------------

    def fetch(self, cid: Nid, *, whole: bool = True, max_size: int | None = None) -> FetchedObject:
        """Make `cid` local: with `whole`, its entire file DAG; else that one block.

        A DAG is read no further than its root's declared size (plus the nodes'
        overhead), and not at all when that declares more than `max_size`.
        """
        store = self.repo.objects
        before = (self.blocks_fetched, self.bytes_fetched)
        if store.has(cid) and (cid.is_raw or not whole or self._packed(cid)):
            return FetchedObject(cid, 0, 0, True)
        with self.repo.transaction():  # the write lock; settles an interrupted write first
            data = self.block(cid)
            if cid.is_raw or not whole:
                self._store_loose(cid, data)
            else:
                self._fetch_dag(cid, data, max_size)
        return FetchedObject(
            cid, self.blocks_fetched - before[0], self.bytes_fetched - before[1], False
        )

    def _packed(self, cid: Nid) -> bool:
        return self.repo.objects.has_pack(cid)

    def _store_loose(self, cid: Nid, data: bytes) -> None:
        # put_block, not put: a block from another chunker can exceed our chunk
        # size, and `put` would re-chunk it as a file under another CID.
        self.repo.objects.put_block(cid, data)

    def _fetch_dag(self, root: Nid, data: bytes, max_size: int | None = None) -> None:
        """Walk the file DAG depth first, every block into one pack (leaves in file order).

        The walk is bounded by the size the root declares (`model.dag_budget`),
        and refused at once when that is over `max_size`; the pack is dropped
        whole when either stops it.
        """
        node = decode_file_node(data)
        if max_size is not None and node.filesize > max_size:
            raise DagTooLarge(
                f"{root} declares {node.filesize:,} bytes, more than the {max_size:,} "
                "expected here; nothing was fetched"
            )
        budget = DagBudget(root, node.filesize)
        budget.charge(len(data), len(node.data))
        self.progress.start(f"fetching {root}", node.filesize)
        writer = self.repo.objects.pack_writer()
        try:
            writer(root.to_bytes(), data)
            self.progress.advance(len(node.data))
            walk = LinkWalk(node.links)
            for link in walk:
                child = Nid.from_bytes(link.cid)
                block = self.block(child)
                if link.cid[1] == RAW:
                    budget.charge(len(block), len(block))
                    writer(link.cid, block)
                    self.progress.advance(len(block))
                else:
                    inner = decode_file_node(block)
                    budget.charge(len(block), len(inner.data))
                    writer(link.cid, block)
                    self.progress.advance(len(inner.data))
                    walk.descend(inner.links)
            writer.commit(root)
        except BaseException:
            writer.abort()
            raise
        finally:
            self.progress.done()


def _sources(
    config: Config,
    remote: str | None,
    gateway: str | None,
    timeout: float | None,
    env: Mapping[str, str] | None,
) -> list[BlockSource]:
    if gateway:
        from numbers_cli.ipfs.gateway import DEFAULT_GATEWAY_TIMEOUT, GatewaySource

        return [GatewaySource(gateway, timeout or DEFAULT_GATEWAY_TIMEOUT)]
    configured = resolve_remote(config, remote, env)
    if configured is None:
        return []
    if timeout is not None:
        from dataclasses import replace

        configured = replace(configured, timeout=timeout)
    return [open_remote(configured)]


def source_for(
    repo: Repository,
    config: Config,
    *,
    remote: str | None = None,
    gateway: str | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> RemoteObjects | None:
    """The chain for reads: local store, then `gateway`, or `remote` (default: the
    default remote). None when no remote is configured: reads stay local.

    A named remote or gateway is checked now; the default remote only when a
    block is actually missing, so a purely local read never fails on remote config.
    """
    if remote is not None or gateway is not None:
        return RemoteObjects(repo, _sources(config, remote, gateway, timeout, env), progress)
    if not config.table(REMOTES_TABLE):
        return None
    return RemoteObjects(repo, lambda: _sources(config, None, None, timeout, env), progress)


def fetch_object(
    repo: Repository,
    config: Config,
    cid: Nid,
    progress: Progress | None = None,
    *,
    remote: str | None = None,
    gateway: str | None = None,
    timeout: float | None = None,
) -> FetchedObject:
    """Bring the object `cid` (a whole file DAG) into this repository, verified block by block."""
    source = source_for(
        repo, config, remote=remote, gateway=gateway, timeout=timeout, progress=progress
    )
    if source is None:
        if repo.objects.has(cid):
            return FetchedObject(cid, 0, 0, True)
        raise NotFound(
            f"object {cid} is not in this repository and no remote is configured",
            hint="`nit remote add`, or pass --gateway URL",
        )
    with source:
        return source.fetch(cid)
