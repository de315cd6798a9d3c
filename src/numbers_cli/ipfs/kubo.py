"""A node that speaks the Kubo RPC API (`POST /api/v0/...`).

That is a local IPFS daemon (Kubo, or js-ipfs whose daemon answers the same
API) and most hosted pinning services (Infura, Filebase, ...). We only use
calls that put or get exact blocks, so the node holds our CIDs and never
re-chunks a file into different ones:

* `dag/import` takes a CAR of our blocks (the upload path);
* `block/put?format=raw` stores one raw block; `block/get` and `block/stat` read;
* `pin/add`, `pin/ls` keep what we uploaded.

Quirks this code works around (tests/compat/test_ipfs_node_rpc.py shows them):
CIDs come back in base58btc unless `cid-base=base32` is asked for, so every
CID is compared as a parsed `Nid`; and a call about a block the node does not
have waits forever unless the query carries `timeout=`, so every such call has
one, and the client-side read timeout is a little longer than it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from numbers_cli.errors import IntegrityError, InvalidFormat, NetworkError, NotFound
from numbers_cli.ipfs.http import (
    MAX_BLOCK_BYTES,
    HttpAdapter,
    HttpClient,
    MultipartBody,
    RemoteHttpError,
    json_lines,
    read_limited,
)
from numbers_cli.ipfs.remote import DEFAULT_TIMEOUT, Auth, normalize_url, redact_url
from numbers_cli.model.nid import Nid, raw_cid_bytes

#: Extra seconds the client waits beyond a server-side `timeout=`, so the
#: server's clear "timed out" answer arrives before our own read timeout.
_MARGIN = 5.0

HAS_BLOCK_TIMEOUT = 2.0


class BlocksMissing(NetworkError):
    """The node could not pin a DAG in time: some of its blocks are not there."""


def _absent(exc: RemoteHttpError) -> bool:
    """Does this error mean "the node does not have that block"?"""
    detail = exc.detail.lower()
    return "timed out" in detail or "not found" in detail or "no link named" in detail


def _cid_of(value: Any) -> Nid:
    """A CID from an answer: a string, or IPLD's `{"/": "..."}`; any base."""
    if isinstance(value, dict):
        value = value.get("/")
    if not isinstance(value, str):
        raise InvalidFormat(f"expected a CID, got {value!r}")
    return Nid.parse(value)


class KuboRemote(HttpAdapter):
    """The Kubo RPC API of one node; thread-unsafe, like the requests session it holds."""

    kind = "kubo"

    def __init__(
        self,
        url: str,
        auth: Auth | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        name: str | None = None,
    ) -> None:
        self.url, url_auth = normalize_url(url)
        self.url = self.url.removesuffix("/api/v0")
        self.label = (
            f"IPFS remote '{name}' ({redact_url(self.url)})"
            if name
            else f"IPFS node at {redact_url(self.url)}"
        )
        self.timeout = timeout
        self.http = HttpClient(self.url + "/api/v0", self.label, auth or url_auth, timeout)

    # -- calls -------------------------------------------------------------------

    def _post(self, command: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        response = self.http.request("POST", command, params=params, **kwargs)
        values = json_lines(response, self.label)
        if not values:
            raise NetworkError(f"{self.label} gave an empty answer to {command}")
        return values[-1]

    def version(self) -> str:
        """The node's version string; a cheap "is it there and do we get in" check."""
        answer = self._post("version")
        version = answer.get("Version") if isinstance(answer, dict) else None
        if not isinstance(version, str):
            raise NetworkError(f"{self.label} does not look like a Kubo RPC API (no Version)")
        return version

    def import_car(
        self,
        chunks: Iterable[bytes],
        pin_roots: bool,
        *,
        length: int | None = None,
        timeout: float | None = None,
    ) -> list[Nid]:
        """Stream one CAR (header and blocks, as chunks) into `dag/import`.

        Returns the roots the node reports (js-ipfs reports none without
        `pin_roots`). With `pin_roots`, the node pins the header's roots and
        would wait forever for a missing block, so the request carries the
        server-side `timeout=` too, which then also bounds the transfer: keep
        CARs imported with pinning small. Not retried: the chunks are consumed.
        """
        body = MultipartBody(chunks, length, content_type="application/vnd.ipld.car")
        params: dict[str, Any] = {"pin-roots": "true" if pin_roots else "false"}
        limit = self.timeout if timeout is None else timeout
        if pin_roots:
            params["timeout"] = f"{limit:g}s"
        response = self.http.request(
            "POST",
            "dag/import",
            params=params,
            data=body,
            headers={"Content-Type": body.content_type},
            timeout=limit + _MARGIN,
            retry=False,
        )
        roots: list[Nid] = []
        for answer in json_lines(response, self.label):
            root = answer.get("Root") if isinstance(answer, dict) else None
            if not isinstance(root, dict):
                continue  # e.g. Kubo's {"Stats": ...}
            try:
                cid = _cid_of(root.get("Cid"))
            except InvalidFormat:
                raise NetworkError(f"{self.label} reported an unreadable root: {root!r}") from None
            error = root.get("PinErrorMsg")
            if error:
                raise BlocksMissing(f"{self.label} imported {cid} but could not pin it: {error}")
            roots.append(cid)
        return roots

    def put_block(self, data: bytes) -> Nid:
        """Store one raw block (`block/put?format=raw`); returns its CID, checked."""
        expected = Nid.from_bytes(raw_cid_bytes(data))
        body = MultipartBody([data], len(data))
        answer = self._post(
            "block/put",
            {"format": "raw", "mhtype": "sha2-256", "cid-base": "base32"},
            data=body,
            headers={"Content-Type": body.content_type},
        )
        got = _cid_of(answer.get("Key") if isinstance(answer, dict) else None)
        if got != expected:
            raise IntegrityError(f"{self.label} stored a raw block as {got}, not as {expected}")
        return got

    def has_block(self, cid: Nid, timeout: float = HAS_BLOCK_TIMEOUT) -> bool:
        """Does the node hold this block? Answers within about `timeout` seconds."""
        try:
            self._post(
                "block/stat",
                {"arg": str(cid), "cid-base": "base32", "timeout": f"{timeout:g}s"},
                timeout=timeout + _MARGIN,
            )
        except RemoteHttpError as exc:
            if _absent(exc):
                return False
            raise
        return True

    def get_block(self, cid: Nid) -> bytes:
        """The block's bytes, re-hashed here: a node's answer is never trusted as is."""
        try:
            response = self.http.request(
                "POST",
                "block/get",
                params={"arg": str(cid), "timeout": f"{self.timeout:g}s"},
                timeout=self.timeout + _MARGIN,
                stream=True,
            )
        except RemoteHttpError as exc:
            if _absent(exc):
                raise NotFound(
                    f"block {cid} is not on {self.label} (no answer within {self.timeout:g} s)"
                ) from None
            raise
        data = read_limited(response, MAX_BLOCK_BYTES, self.label, self.timeout + _MARGIN)
        if not cid.verify_block(data):
            raise IntegrityError(
                f"{self.label} answered block {cid} with bytes that do not hash to it; "
                "nothing was stored"
            )
        return data

    def pin(self, cid: Nid, timeout: float | None = None) -> None:
        """Pin the DAG under `cid` recursively; BlocksMissing if the node lacks blocks.

        The node walks the whole DAG, so it waits for any block it does not
        have: the server-side timeout turns that into a clear failure.
        """
        limit = self.timeout if timeout is None else timeout
        pinned = self._pin_add(str(cid), limit, f"{cid}", "it")
        if cid not in pinned:
            raise NetworkError(f"{self.label} answered pin/add of {cid} with {sorted(pinned)}")

    #: CIDs per `pin/add` of `pin_all`: each is an `arg` of the URL (~65 bytes),
    #: kept well under the 8-16 KiB request lines servers accept.
    PIN_BATCH = 64

    def pin_all(self, cids: Sequence[Nid], timeout: float | None = None) -> None:
        """Pin many DAGs recursively, `PIN_BATCH` per request (a stamp batch's
        trees and commits: thousands of small objects, not thousands of requests).
        BlocksMissing if the node lacks blocks of one."""
        limit = self.timeout if timeout is None else timeout
        for start in range(0, len(cids), self.PIN_BATCH):
            chunk = [str(cid) for cid in cids[start : start + self.PIN_BATCH]]
            pinned = self._pin_add(chunk, limit, f"{len(chunk)} objects", "them")
            missing = [cid for cid in chunk if cid not in pinned]
            if missing:
                raise NetworkError(
                    f"{self.label} answered pin/add without {len(missing)} of the objects "
                    f"asked (first: {missing[0]})"
                )

    def _pin_add(self, arg: str | list[str], limit: float, what: str, them: str) -> set[Nid]:
        """One recursive `pin/add` (of one CID or many), with the node's own timeout.

        Returns the CIDs the node says it pinned; BlocksMissing when it timed
        out walking a DAG it does not hold whole (`what` and `them` name the
        objects in that message).
        """
        try:
            answer = self._post(
                "pin/add",
                {
                    "arg": arg,
                    "recursive": "true",
                    "cid-base": "base32",
                    "timeout": f"{limit:g}s",
                },
                timeout=limit + _MARGIN,
            )
        except RemoteHttpError as exc:
            if _absent(exc):
                raise BlocksMissing(
                    f"{self.label} could not pin {what} within {limit:g} s: "
                    f"blocks of {them} are missing on the node"
                ) from None
            raise
        pins = answer.get("Pins") if isinstance(answer, dict) else None
        try:
            return {_cid_of(p) for p in pins or []}
        except InvalidFormat:
            raise NetworkError(f"{self.label} gave an unreadable pin answer: {answer!r}") from None

    def is_pinned(self, cid: Nid) -> bool:
        """Is `cid` pinned recursively (its whole DAG kept) on the node?"""
        try:
            answer = self._post(
                "pin/ls",
                {"arg": str(cid), "type": "recursive", "cid-base": "base32", "timeout": "10s"},
                timeout=10 + _MARGIN,
            )
        except RemoteHttpError as exc:
            if "not pinned" in exc.detail.lower() or _absent(exc):
                return False
            raise
        keys = answer.get("Keys") if isinstance(answer, dict) else None
        if not isinstance(keys, dict):
            return False
        try:
            return cid in {Nid.parse(k) for k in keys}
        except InvalidFormat:
            return False
