"""Which source module reads a SOURCE argument, and the readers each one needs.

A SOURCE is an existing path (file or directory), an http(s) URL (an image,
a video or a page), `ipfs://CID`
or a bare CID, `nft://NETWORK/CONTRACT/TOKENID`, or `@FILE` (a list of
sources, one per line; blank lines and `#` comments ignored). IPFS is read
through the repository's store and configured remote (`ops.blocks`), NFTs
through the chain adapter's ERC-721 reads on a configured network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import NitError
from numbers_cli.monitor.sources import MAX_IMAGE_BYTES, FoundImage, FoundVideo, SourceError
from numbers_cli.repo.repository import Repository

MAX_LIST_BYTES = 16 * 1024 * 1024


def expand(sources: Sequence[str], cwd: Path) -> Iterator[str | SourceError]:
    """The sources with every @FILE replaced by its lines (one level: no @ inside)."""
    for source in sources:
        if not source.startswith("@"):
            yield source
            continue
        path = cwd / source[1:]
        try:
            if path.stat().st_size > MAX_LIST_BYTES:
                yield SourceError(source, f"list larger than {MAX_LIST_BYTES // 2**20} MiB")
                continue
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield SourceError(source, getattr(exc, "strerror", None) or str(exc))
            continue
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                yield SourceError(line, "lists inside lists are not read")
            else:
                yield line


class Places:
    """Opens each kind of place once per scan and reads sources from them; downloaded
    videos are spooled under `.numbers/monitor/` until decoded (`sources.spool`)."""

    def __init__(self, repo: Repository, config: Config, cwd: Path, timeout: float) -> None:
        from numbers_cli.monitor.sources.spool import Spool

        self.repo = repo
        self.config = config
        self.cwd = cwd
        self.timeout = timeout
        self._web: Any = None
        self._blocks: Any = None
        self._chains: dict[str, Any] = {}
        self._stack = contextlib.ExitStack()
        self.spool = Spool(repo.monitor_dir)
        self._stack.callback(self.spool.close)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Places:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- readers ---------------------------------------------------------------

    def web(self) -> Any:
        if self._web is None:
            from numbers_cli.monitor.sources.http import WebSource

            self._web = self._stack.enter_context(WebSource(timeout=self.timeout, spool=self.spool))
        return self._web

    def block(self, cid: Any) -> bytes:
        from numbers_cli.errors import NotFound
        from numbers_cli.ops.blocks import source_for

        if self._blocks is None:
            source = source_for(self.repo, self.config, timeout=self.timeout)
            self._blocks = self._stack.enter_context(source) if source else False
        if self._blocks is False:
            try:
                return self.repo.objects.get(cid)
            except NotFound:
                raise NotFound(
                    f"{cid} is not in this repository and no IPFS remote is configured"
                ) from None
        return bytes(self._blocks.block(cid))

    def chain(self, network: str) -> Any:
        if network not in self._chains:
            from numbers_cli.chain.erc721 import Erc721Reader
            from numbers_cli.ops.networks import resolve_network

            reader = Erc721Reader(resolve_network(self.config, network), timeout=self.timeout)
            self._chains[network] = self._stack.enter_context(reader)
        return self._chains[network]

    def read_uri(self, uri: str, cap: int) -> bytes:
        """Bytes behind an ipfs://, http(s):// or data: URI (NFT metadata and images)."""
        from numbers_cli.monitor.sources import ipfs, nft
        from numbers_cli.monitor.sources.http import FetchError

        if uri.startswith("data:"):
            return nft.read_data_uri(uri)
        if uri.startswith("ipfs://"):
            return ipfs.read_file(ipfs.parse_cid(uri), self.block, cap)
        if uri.startswith(("http://", "https://")):
            try:
                return self.web().fetch(uri, cap)[0]
            except FetchError as exc:
                raise nft.NftReadError(f"{uri[:100]}: {exc}") from None
        raise nft.NftReadError(f"unsupported URI {uri[:100]!r} (ipfs://, http(s):// or data:)")

    # -- sources -----------------------------------------------------------------

    def read(self, source: str) -> Iterator[FoundImage | FoundVideo | SourceError]:
        """Every image and video of one source, or why it could not be read."""
        from numbers_cli.monitor.sources import file, ipfs, nft
        from numbers_cli.monitor.sources.spool import SpoolError

        path = self.cwd / source
        try:
            if source.startswith(("http://", "https://")):
                yield from self.web().read(source)
            elif source.startswith("nft://"):
                token = nft.parse(source)
                yield nft.resolve(token, self.chain(token.network), self.read_uri, MAX_IMAGE_BYTES)
            elif source.startswith("ipfs://") or (
                not path.exists() and ipfs.looks_like_cid(source)
            ):
                body = self.spool.collect(ipfs.iter_file(ipfs.parse_cid(source), self.block))
                shown = source if source.startswith("ipfs://") else f"ipfs://{source}"
                if isinstance(body, bytes):
                    yield FoundImage(shown, body)
                else:
                    yield FoundVideo(shown, body, temporary=True)
            elif path.exists():
                yield from file.read_path(path, source)
            else:
                yield SourceError(
                    source, "no such file, and not an http(s) URL, CID, ipfs:// or nft:// URI"
                )
        except (ipfs.IpfsReadError, nft.NftReadError, SpoolError) as exc:
            yield SourceError(source, str(exc))
        except NitError as exc:  # network, config, not found: this source only
            yield SourceError(source, exc.message)
