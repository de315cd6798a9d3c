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

from numbers_cli.chain.client import ChainClient
from numbers_cli.chain.network import DEFAULT_NETWORK, PRESETS, Network, preset
from numbers_cli.chain.register import CommitRecord
from numbers_cli.chain.transactions import OnJournal, OnMined, OnSent, Receipt, format_amount

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
