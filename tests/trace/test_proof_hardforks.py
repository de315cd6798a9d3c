"""Headers of every hardfork anvil 1.7.1 offers from London on hash correctly.

Each fork changes the header (London baseFeePerGas, Shanghai withdrawalsRoot,
Cancun blob gas and beacon root, Prague requestsHash; the later forks and
blob-parameter-only forks keep Prague's layout): for each, a real anvil runs
with `--hardfork X`, a commit is registered, and its bundle must export (the
header re-encoded from JSON-RPC hashes to the block hash) and verify against
the node. The names are those anvil 1.7.1 accepts (`anvil --hardfork`); bpo3-5
and amsterdam are listed by it but abort at start-up, so they are not forks it
offers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from tests.conftest import Nit, ok
from tests.support.anvil import TEST_CHAIN_ID, anvil_or_skip
from tests.support.chain_history import register_local, use_network

from numbers_cli.chain import ChainClient, Network

HARDFORKS = [
    "london",
    "arrowglacier",
    "grayglacier",
    "paris",
    "shanghai",
    "cancun",
    "prague",
    "osaka",
    "bpo1",
    "bpo2",
]

# Header fields each fork's blocks must carry (what makes the test meaningful).
NEWEST_FIELD = {
    "london": "baseFeePerGas",
    "shanghai": "withdrawalsRoot",
    "cancun": "parentBeaconBlockRoot",
    "prague": "requestsHash",
    "osaka": "requestsHash",
    "bpo2": "requestsHash",
}


@pytest.mark.parametrize("fork", HARDFORKS)
def test_bundle_of_each_hardfork_verifies(
    nit: Nit, repo: Path, media, signing_key: str, monkeypatch: pytest.MonkeyPatch, fork: str
) -> None:  # type: ignore[no-untyped-def]
    node = anvil_or_skip(extra_args=("--hardfork", fork))
    try:
        bare = Network(name="forknet", chain_id=TEST_CHAIN_ID, rpc_url=node.rpc_url, contract=None)
        with ChainClient(bare) as client:
            network = dataclasses.replace(
                bare, contract=client.deploy_integrity_register(node.keys[0])
            )
        use_network(network, "forknet")
        media("Canon_40D.jpg")
        ok(nit("add", "Canon_40D.jpg", "-m", f"on {fork}"))
        ok(nit("commit", "-m", "registration"))
        asset = json.loads(nit("log", "--json").stdout)[0]["asset"]
        with ChainClient(network) as client:
            (receipt,) = register_local(client, repo, asset, node.keys[1])
            (block,) = client.blocks([receipt.block_number])
        if fork in NEWEST_FIELD:
            assert block.get(NEWEST_FIELD[fork]) is not None
        if fork in ("london", "arrowglacier", "grayglacier", "paris"):
            assert block.get("withdrawalsRoot") is None
        ok(nit("proof", "export", asset, "--network", "forknet", "-o", "proof.json"))
        bundle = json.loads((repo / "proof.json").read_text())
        assert list(bundle["headers"]) == [block["hash"].lower()]
        result = ok(nit("proof", "verify", "proof.json", "Canon_40D.jpg", "--network", "forknet"))
        assert "VERIFIED" in result.stdout
    finally:
        node.stop()
