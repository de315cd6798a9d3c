"""The Numbers Protocol IPFS service, reached with a Capture token.

Built exactly as the reference tool (numbersprotocol/nit, `src/ipfs.ts`,
`numbersProtocolIpfsAddBytes` / `numbersProtocolIpfsCat`) does it:

* add: `POST https://mjacdgxzla.execute-api.us-east-1.amazonaws.com/default/ipfs-add-with-payment`
  with header `Authorization: token <Capture token>` and the bytes as the
  multipart field `file`; the answer's JSON field `cid` is the CID;
* read: `GET https://ipfs-pin.numbersprotocol.io/ipfs/<cid>` with the same header.

The service cannot be reached from the test machines, so this adapter stays
thin and its tests check only the request it builds (`add_request`).

It adds whole *files*, which the service chunks itself; how it chunks is not
documented. A file of one block (at most 256 KiB, a raw leaf) has the same
CID whatever the chunker, as long as the service uses CIDv1 raw leaves, and
we check the CID it answers. A larger file could come back under another CID
than its Nid, so `add_file` refuses it: upload large files to a `kubo` remote,
which takes our exact blocks.
"""

from __future__ import annotations

import requests

from numbers_cli.errors import ConfigError, IntegrityError, InvalidFormat, NetworkError
from numbers_cli.ipfs.gateway import GatewaySource
from numbers_cli.ipfs.http import HttpAdapter, HttpClient
from numbers_cli.ipfs.remote import DEFAULT_TIMEOUT, Auth, normalize_url, redact_url
from numbers_cli.model import json_input
from numbers_cli.model.nid import Nid
from numbers_cli.model.unixfs import CHUNK_SIZE, nid_of_bytes

NUMBERS_ADD_URL = (
    "https://mjacdgxzla.execute-api.us-east-1.amazonaws.com/default/ipfs-add-with-payment"
)
NUMBERS_GATEWAY_URL = "https://ipfs-pin.numbersprotocol.io"


class NumbersRemote(HttpAdapter):
    """Adds single-block files to the Numbers IPFS service; reads through its gateway."""

    kind = "numbers"

    def __init__(
        self,
        token: str,
        url: str = NUMBERS_ADD_URL,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        name: str | None = None,
        gateway_url: str = NUMBERS_GATEWAY_URL,
    ) -> None:
        if not token:
            raise ConfigError(
                "the Numbers IPFS service needs a Capture token",
                hint="nit remote add NAME --kind numbers --auth token:TOKEN, or NIT_REMOTE_TOKEN",
            )
        self.url, _ = normalize_url(url)
        self.label = (
            f"IPFS remote '{name}' ({redact_url(self.url)})"
            if name
            else f"Numbers IPFS service ({redact_url(self.url)})"
        )
        self._auth = Auth("token", "", token)
        self.timeout = timeout
        self.http = HttpClient(self.url, self.label, self._auth, timeout)
        self.gateway = GatewaySource(gateway_url, timeout, name=name, auth=self._auth)
        self.gateway.label = f"{self.label} gateway ({redact_url(self.gateway.url)})"

    def close(self) -> None:
        super().close()
        self.gateway.close()

    def add_request(self, data: bytes) -> requests.Request:
        """The add request, as the reference tool sends it (not yet sent)."""
        return requests.Request(
            "POST",
            self.url,
            headers={"Authorization": self._auth.header()},
            files={"file": ("file", data, "application/octet-stream")},
        )

    def add_file(self, data: bytes) -> Nid:
        """Add a single-block file; returns its CID, which must be its Nid."""
        if len(data) > CHUNK_SIZE:
            raise ConfigError(
                f"{self.label} re-chunks whole files, which may change the CID of a file "
                f"over {CHUNK_SIZE // 1024} KiB",
                hint="push large files to a `kubo` remote, which takes their exact blocks",
            )
        expected = nid_of_bytes(data)
        response = self.http.send(self.add_request(data), retry=False)
        try:
            got = Nid.parse(str(json_input.loads(response.content)["cid"]))
        except (ValueError, KeyError, TypeError, InvalidFormat):
            raise NetworkError(f"{self.label} answered without a valid `cid`") from None
        if got != expected:
            raise IntegrityError(f"{self.label} stored {expected} under another CID, {got}")
        return got

    def get_block(self, cid: Nid) -> bytes:
        """A block through the service's gateway, verified like any gateway answer."""
        return self.gateway.get_block(cid)

    def is_pinned(self, cid: Nid) -> bool:
        """Unknown: the service has no pin listing we know of, so we always upload."""
        return False
