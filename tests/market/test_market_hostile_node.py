"""A node that turns hostile after nit signed: `nit mint` as a real process, one line.

`nit mint` signs the custody authorisation (EIP-712) with eth-account, whose
import pulls in py_ecc, which raised Python's recursion limit to 100,000 for
the rest of the process. A node that then answered with JSON nested 100,000
deep made the json parser overflow the C stack: the process died of SIGSEGV
(exit -11) with no message. The front here forwards everything to the real
anvil until the mint's transaction is being prepared, then sends that reply.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.market.conftest import Asset
from tests.support.anvil import Anvil
from tests.support.hostile_node import DEEP_JSON, rpc_front
from tests.support.shells import installed_nit

# Sent only once the authorisation is signed (estimate, fees, nonce, broadcast).
AFTER_SIGNING = {
    "eth_estimateGas",
    "eth_getTransactionCount",
    "eth_maxPriorityFeePerGas",
    "eth_gasPrice",
    "eth_sendRawTransaction",
}


def point_network_at(asset: Asset, url: str) -> None:
    """Every config file naming the devnet's RPC URL names `url` instead."""
    home_config = Path(os.environ["NIT_CONFIG_DIR"]) / "config.toml"
    for path in (home_config, asset.workdir / ".numbers" / "config.toml"):
        if path.exists():
            text = path.read_text("utf-8")
            path.write_text(text.replace(asset.network.rpc_url, url), "utf-8")


def test_mint_against_a_node_that_replies_deeply_nested_json_fails_in_one_line(
    asset: Asset, anvil: Anvil
) -> None:
    asked: list[str] = []

    def hostile(methods: list[str]) -> bytes | None:
        asked.extend(methods)
        return DEEP_JSON if AFTER_SIGNING.intersection(methods) else None

    with rpc_front(asset.network.rpc_url, hostile) as front:
        point_network_at(asset, front)
        run = subprocess.run(
            [str(installed_nit()), "mint", str(asset.photo), "--no-push"],
            cwd=asset.workdir,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert AFTER_SIGNING.intersection(asked), asked  # the hostile reply was sent
    assert run.returncode == 9, (run.returncode, run.stderr[-2000:])
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        f"nit: error: RPC node at {front} sent a reply that is not JSON-RPC"
    ], run.stderr[-2000:]
