"""Images of NFTs: `nft://NETWORK/CONTRACT/TOKENID` → tokenURI → metadata → image.

The chain is read through a `TokenReader` the operation hands in (the chain
adapter's ERC-721 reads over its JSON-RPC client, `chain.erc721`), and URIs
(ipfs://, http(s)://, data:) through a `UriReader` that routes them to the
IPFS and web sources: this module opens no connection of its own. The NFT's
owner is the place's owner, which a finding checks its licence against.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote_to_bytes

from numbers_cli.model import json_input
from numbers_cli.monitor.sources import FoundImage

#: Largest metadata document read.
MAX_METADATA_BYTES = 1024 * 1024

_URI_RE = re.compile(r"nft://([A-Za-z0-9][A-Za-z0-9_-]{0,63})/(0x[0-9a-fA-F]{40})/([0-9]{1,78})/?")


class NftReadError(Exception):
    """The token, its metadata or its image could not be read; the message says which."""


@dataclass(frozen=True)
class Token:
    network: str
    contract: str
    token_id: int

    @property
    def uri(self) -> str:
        return f"nft://{self.network}/{self.contract}/{self.token_id}"


class TokenReader(Protocol):
    def token_uri(self, contract: str, token_id: int) -> str: ...
    def owner_of(self, contract: str, token_id: int) -> str: ...


UriReader = Callable[[str, int], bytes]  # (uri, byte cap) -> body


def parse(text: str) -> Token:
    found = _URI_RE.fullmatch(text.strip())
    if not found:
        raise NftReadError("not nft://NETWORK/CONTRACT(0x + 40 hex)/TOKENID")
    return Token(found.group(1), found.group(2), int(found.group(3)))


def read_data_uri(uri: str) -> bytes:
    """The bytes of a `data:` URI (base64 or percent-encoded)."""
    header, sep, payload = uri.partition(",")
    if not sep or not header.startswith("data:"):
        raise NftReadError("malformed data: URI")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            raise NftReadError("data: URI is not valid base64") from None
    return unquote_to_bytes(payload)


def resolve(token: Token, chain: TokenReader, read_uri: UriReader, image_cap: int) -> FoundImage:
    """The token's image, with its owner as the place's owner."""
    uri = chain.token_uri(token.contract, token.token_id)
    owner = chain.owner_of(token.contract, token.token_id)
    if not uri:
        raise NftReadError("tokenURI is empty")
    try:
        raw = read_uri(uri, MAX_METADATA_BYTES)
    except NftReadError:
        raise
    except Exception as exc:
        raise NftReadError(f"tokenURI {uri[:100]!r}: {exc}") from None
    try:
        metadata = json_input.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise NftReadError(f"tokenURI {uri[:100]!r} is not JSON metadata") from None
    image = (
        metadata.get("image") or metadata.get("image_url") if isinstance(metadata, dict) else None
    )
    if not isinstance(image, str) or not image:
        raise NftReadError("the metadata has no image")
    try:
        data = read_uri(image, image_cap)
    except NftReadError:
        raise
    except Exception as exc:
        raise NftReadError(f"image {image[:100]!r}: {exc}") from None
    return FoundImage(token.uri, data, page=image, place_owner=owner)
