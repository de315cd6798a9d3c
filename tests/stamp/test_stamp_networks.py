"""A batch stamped for one network and `nit push --network` another: the batch is
not registered there unless the push names it; named, it is registered there
too, and its artifacts are then stamped on both (`nit stamp` says so)."""

from __future__ import annotations

import dataclasses
import json

from tests.conftest import ok
from tests.stamp.test_stamp import nonce, stamp_json
from tests.support.chain_history import use_network

from numbers_cli.chain import ChainClient


def other_register(anvil, on_devnet):  # type: ignore[no-untyped-def]
    """A second register on the same anvil, configured as network `other`."""
    with ChainClient(dataclasses.replace(on_devnet, contract=None)) as deployer:
        address = deployer.deploy_integrity_register(anvil.keys[0])
    other = dataclasses.replace(on_devnet, name="other", contract=address)
    use_network(other, "other")
    return other


def test_push_to_another_network_holds_a_batch_back_unless_named(
    nit, repo, anvil, on_devnet, artifacts
) -> None:
    other = other_register(anvil, on_devnet)
    artifacts(2)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    sent = nonce(on_devnet)
    pushed = nit("push", "--network", "other", "--no-ipfs", "--json")
    report = json.loads(ok(pushed).stdout)
    assert report["commits"] == []
    assert any(f"stamp batch {batch['batch']} is stamped for devnet" in n for n in report["notes"])
    assert nonce(on_devnet) == sent
    with ChainClient(other) as client:
        assert client.commit_counts([batch["batch"]])[batch["batch"]] == 0
    # The plain text says it too, on stderr.
    assert (
        "is stamped for devnet: not registered on other"
        in ok(nit("push", "--network", "other", "--no-ipfs")).stderr
    )

    # Named, it goes there too: once, and its artifacts count as stamped on other.
    named = json.loads(
        ok(nit("push", "--network", "other", "--no-ipfs", "--json", batch["batch"])).stdout
    )
    assert [(c["asset"], c["state"]) for c in named["commits"]] == [(batch["batch"], "pushed")]
    with ChainClient(other) as client:
        assert len(client.history(batch["batch"])) == 1
    again = nit("stamp", "-r", "dist", "--no-ipfs", "--network", "other")
    assert again.exit_code == 24, again.output
    assert (
        json.loads(ok(nit("push", "--network", "other", "--no-ipfs", "--json")).stdout)["commits"]
        == []
    )
