"""What a demanding user tries on the market commands, on a real anvil: governors
that could never hand control back, a governor appointed twice, offer ids no
uint256 holds, and a network entry naming the wrong contract. Each is a one-line
error (or a note) and nothing is sent."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from tests.conftest import Nit, ok, one_line_error
from tests.market.conftest import Asset
from tests.market.test_market_interrupted import nonce, records
from tests.support.anvil import Anvil
from tests.support.market import address_of, deploy, test_abi

from numbers_cli.chain import ChainClient
from numbers_cli.config import Config
from numbers_cli.config_writer import set_table_entry


@pytest.mark.parametrize("which", ["custody", "licenses", "contract", "precompile"])
def test_a_governor_that_can_never_hand_back_is_refused(nit: Nit, asset: Asset, which: str) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    address = (
        "0x0000000000000000000000000000000000000004"
        if which == "precompile"
        else str(getattr(asset.network, which))
    )
    before = nonce(asset)

    for extra in ((), ("--dry-run",)):
        refused = nit("govern", "hand-over", photo, address, "--no-push", *extra)
        assert refused.exit_code == 2, refused.output
        assert "can never set the rules or hand them back" in one_line_error(refused)
    assert nonce(asset) == before and records(asset)[-1] == "action-mint-erc721-nft"


def test_a_hand_over_says_what_the_governor_is(nit: Nit, asset: Asset, anvil: Anvil) -> None:
    """A contract governs only through its own transactions; an address that never
    sent anything and holds nothing may be a typo: both get a note, and are sent."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    with ChainClient(asset.network) as client:
        timelock = deploy(
            client,
            anvil.keys[0],
            test_abi("TimelockController"),
            3600,
            [],
            ["0x" + "00" * 20],
            address_of(anvil.keys[0]),
        )
    unused = str(Account.create().address)

    to_unused = json.loads(
        ok(nit("govern", "hand-over", photo, unused, "--dry-run", "--json")).stdout
    )
    to_contract = nit("govern", "hand-over", photo, timelock, "--no-push")

    assert any("never sent a transaction" in note for note in to_unused["notes"])
    assert to_unused["estimate"]["gas"]  # a note, not a refusal: a Safe not yet deployed
    assert to_contract.exit_code == 0, to_contract.output
    assert f"{timelock} is a contract" in to_contract.stderr
    assert records(asset)[-1] == "action-hand-over-governance"


def test_appointing_the_governor_that_already_governs_sends_nothing(
    nit: Nit, asset: Asset, anvil: Anvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    key = anvil.keys[6]
    governor = address_of(key)
    with ChainClient(asset.network) as client:
        client.fund(anvil.keys[0], governor, 10**18)
    ok(nit("govern", "hand-over", photo, governor, "--no-push"))
    history = records(asset)
    monkeypatch.setenv("NIT_PRIVATE_KEY", key)
    with ChainClient(asset.network) as client:
        sent = client.sent_count(governor)

    again = nit("govern", "hand-over", photo, governor, "--no-push")

    assert again.exit_code == 2
    assert f"{governor} already governs" in one_line_error(again)
    assert records(asset) == history
    with ChainClient(asset.network) as client:
        assert client.sent_count(governor) == sent


def test_an_offer_id_no_uint256_holds_is_no_such_offer(nit: Nit, asset: Asset) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    for command in ("buy", "close"):
        result = nit("license", command, photo, str(2**256), "--no-push")
        assert result.exit_code == 4, result.output
        assert f"no licence offer {2**256}" in one_line_error(result)


def test_a_network_entry_naming_the_wrong_contract_says_so(nit: Nit, asset: Asset) -> None:
    """`custody` set to the Licenses contract (or the register): its reads revert with no
    data, as a contract without the function does; a configuration error, exit 8,
    not a network failure."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    entry = dict(Config.load(None).table("networks")["devnet"])
    for wrong in (entry["licenses"], str(asset.network.contract)):
        set_table_entry("user", "networks", "devnet", {**entry, "custody": wrong})
        for args in (("govern", "show", photo), ("govern", "set", photo, "commercial=yes")):
            result = nit(*args)
            assert result.exit_code == 8, result.output
            line = one_line_error(result)
            assert f"{wrong} on devnet is not nit's Custody contract" in line
            assert "[networks.devnet]" in line
