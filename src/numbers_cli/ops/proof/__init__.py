"""`nit proof export` / `nit proof verify`: an asset's on-chain commits, provable offline.

bundle.py owns the file format, export.py gathers the evidence from a node,
verify.py checks it with nothing but the bundle and the trusted block hashes.
export.py (and with it the chain client, requests and the history reads) is
imported on first use: an offline `nit proof verify` needs none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from numbers_cli.errors import ProofError
from numbers_cli.ops.proof.bundle import Bundle, load_bundle
from numbers_cli.ops.proof.verify import BlockHashes, ProofCheck, ProofReport, verify_bundle

if TYPE_CHECKING:
    from numbers_cli.chain import ChainClient
    from numbers_cli.ops.proof.export import ExportReport, export_proof

__all__ = [
    "Bundle",
    "ExportReport",
    "ProofCheck",
    "ProofReport",
    "export_proof",
    "load_bundle",
    "network_block_hashes",
    "verify_bundle",
]

_LAZY = frozenset({"ExportReport", "export_proof"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from numbers_cli.ops.proof import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def network_block_hashes(client: ChainClient, bundle: Bundle) -> BlockHashes:
    """Block hashes from a node (one eth_getBlockByNumber per block, batched), after
    checking that the node serves the chain the bundle was made on."""
    chain_id = client.chain_id()
    if bundle.network.get("chainId") != chain_id:
        raise ProofError(
            f"the bundle was made on chain id {bundle.network.get('chainId')}, "
            f"network {client.network.name} is chain id {chain_id}"
        )

    def lookup(numbers: list[int]) -> Mapping[int, str]:
        blocks = client.blocks(numbers)
        return {n: str(b["hash"]).lower() for n, b in zip(numbers, blocks, strict=True)}

    return lookup
