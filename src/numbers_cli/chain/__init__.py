"""The EVM chain adapter: the only place in nit that talks to web3.

Importing this package is cheap: web3, eth_abi and eth_account are imported
inside the functions that use them, so `nit --help` never loads them.

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
