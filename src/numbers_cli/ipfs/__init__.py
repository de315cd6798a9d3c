"""The only package that talks to IPFS: Kubo RPC nodes, gateways, the Numbers service.

Every block that comes back from any of them is re-hashed against the CID it
was asked for before anyone sees it; uploads send our exact blocks (CARs
through `dag/import`), so a node holds our CIDs and never re-chunks a file.
`connect(remote)` turns a configured `Remote` into the adapter for its kind.

The adapters (and requests, ~90 ms to import) load on first use, so commands
that never touch a remote start as fast as before: `numbers_cli.ipfs.remote`
is plain data.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import ConfigError
from numbers_cli.ipfs.remote import (
    KINDS,
    SCHEMES,
    Auth,
    BlockSource,
    Kind,
    Remote,
    check_remote_name,
    normalize_url,
    redact_url,
)

if TYPE_CHECKING:
    from numbers_cli.ipfs.gateway import GatewaySource
    from numbers_cli.ipfs.http import RemoteHttpError, RemoteTimeout, RemoteUnreachable
    from numbers_cli.ipfs.kubo import BlocksMissing, KuboRemote
    from numbers_cli.ipfs.numbers import NUMBERS_ADD_URL, NumbersRemote

    Adapter = KuboRemote | GatewaySource | NumbersRemote

__all__ = [
    "KINDS",
    "NUMBERS_ADD_URL",
    "SCHEMES",
    "Adapter",
    "Auth",
    "BlockSource",
    "BlocksMissing",
    "GatewaySource",
    "Kind",
    "KuboRemote",
    "NumbersRemote",
    "Remote",
    "RemoteHttpError",
    "RemoteTimeout",
    "RemoteUnreachable",
    "check_remote_name",
    "connect",
    "normalize_url",
    "redact_url",
]

_LAZY = {
    "GatewaySource": "gateway",
    "RemoteHttpError": "http",
    "RemoteTimeout": "http",
    "RemoteUnreachable": "http",
    "BlocksMissing": "kubo",
    "KuboRemote": "kubo",
    "NUMBERS_ADD_URL": "numbers",
    "NumbersRemote": "numbers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def connect(remote: Remote) -> Adapter:
    """The adapter for a configured remote (no request is sent yet)."""
    if remote.kind == "kubo":
        from numbers_cli.ipfs.kubo import KuboRemote

        return KuboRemote(remote.url, remote.auth, remote.timeout, name=remote.name)
    if remote.kind == "gateway":
        from numbers_cli.ipfs.gateway import GatewaySource

        return GatewaySource(remote.url, remote.timeout, name=remote.name, auth=remote.auth)
    if remote.kind == "numbers":
        from numbers_cli.ipfs.numbers import NumbersRemote

        if remote.auth is None or remote.auth.scheme == "basic":
            raise ConfigError(
                f"{remote.label} needs a Capture token",
                hint=f"nit remote add {remote.name} --kind numbers --auth token:TOKEN, "
                "or NIT_REMOTE_TOKEN",
            )
        return NumbersRemote(remote.auth.secret, remote.url, remote.timeout, name=remote.name)
    raise ConfigError(f"{remote.label}: unknown kind {remote.kind!r} (known: {', '.join(KINDS)})")
