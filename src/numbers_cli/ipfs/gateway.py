"""Read-only block source: an HTTP gateway asked for trustless raw blocks.

`GET <gateway>/ipfs/<cid>?format=raw` with `Accept: application/vnd.ipld.raw`
is the trustless-gateway request for the block itself (IPIP-402), which we can
check by hashing. A gateway that does not implement it answers with the
*file's content* instead; for a single-block file that is the block (and
checks out), for a larger file it is not, and the hash check says so. We never
accept bytes we could not hash to the CID we asked for.
"""

from __future__ import annotations

from numbers_cli.errors import IntegrityError, NotFound
from numbers_cli.ipfs.http import (
    MAX_BLOCK_BYTES,
    HttpAdapter,
    HttpClient,
    RemoteHttpError,
    read_limited,
)
from numbers_cli.ipfs.remote import Auth, normalize_url, redact_url
from numbers_cli.model.nid import Nid

DEFAULT_GATEWAY_TIMEOUT = 30.0

RAW_BLOCK_TYPE = "application/vnd.ipld.raw"


class GatewaySource(HttpAdapter):
    """Blocks from `<url>/ipfs/<cid>?format=raw`, each verified against its CID."""

    kind = "gateway"

    def __init__(
        self,
        url: str,
        timeout: float = DEFAULT_GATEWAY_TIMEOUT,
        *,
        name: str | None = None,
        auth: Auth | None = None,
    ) -> None:
        base, url_auth = normalize_url(url)
        # Accept both "https://host" and "https://host/ipfs" (how gateways are often written).
        self.url = base.removesuffix("/ipfs")
        shown = redact_url(self.url)
        self.label = f"gateway '{name}' ({shown})" if name else f"gateway {shown}"
        self.timeout = timeout
        self.http = HttpClient(self.url, self.label, auth or url_auth, timeout)

    def get_block(self, cid: Nid) -> bytes:
        """The raw block named `cid`; IntegrityError when the answer does not hash to it."""
        try:
            response = self.http.request(
                "GET",
                f"ipfs/{cid}",
                params={"format": "raw"},
                headers={"Accept": RAW_BLOCK_TYPE},
                stream=True,
            )
        except RemoteHttpError as exc:
            if exc.status in (404, 410, 504):  # 504: the gateway gave up looking for it
                raise NotFound(f"block {cid} is not available from {self.label}") from None
            raise
        data = read_limited(response, MAX_BLOCK_BYTES, self.label, self.timeout)
        if not cid.verify_block(data):
            raise IntegrityError(
                f"{self.label} answered {cid} with bytes that do not hash to it "
                "(does it not serve trustless raw blocks, ?format=raw?); nothing was stored"
            )
        return data
