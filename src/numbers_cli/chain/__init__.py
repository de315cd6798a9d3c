"""The EVM chain adapter: the only place in nit that talks to an EVM node.

Importing this package is cheap, and so is using it: JSON-RPC goes over
`requests` (loaded on the first call), calls and events are encoded by
`chain.abi`, transactions signed by `model.transaction` over coincurve. web3,
eth-abi and eth-account (about a second of imports) are not used at all.

    from numbers_cli.chain import ChainClient, preset
    with ChainClient(preset("jade")) as chain:
        chain.check()
        for record in chain.history(nid):
            ...
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numbers_cli.chain.client import ChainClient
    from numbers_cli.chain.network import DEFAULT_NETWORK, PRESETS, Network, preset
    from numbers_cli.chain.register import CommitRecord
    from numbers_cli.chain.transactions import (
        OnJournal,
        OnMined,
        OnSent,
        Receipt,
        format_amount,
    )

__all__ = [
    "DEFAULT_NETWORK",
    "PRESETS",
    "ChainClient",
    "CommitRecord",
    "Network",
    "OnJournal",
    "OnMined",
    "OnSent",
    "Receipt",
    "format_amount",
    "preset",
]

# Where each name lives, loaded on first use (PEP 562): importing one module of
# the package (chain.proofs for an offline `nit proof verify`, chain.abi_codec)
# must not load the client, its pipeline and receipts.
_HOMES = {
    "ChainClient": "client",
    "DEFAULT_NETWORK": "network",
    "PRESETS": "network",
    "Network": "network",
    "preset": "network",
    "CommitRecord": "register",
    "OnJournal": "transactions",
    "OnMined": "transactions",
    "OnSent": "transactions",
    "Receipt": "transactions",
    "format_amount": "transactions",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
