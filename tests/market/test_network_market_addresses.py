"""`nit network add --custody ADDR --licenses ADDR` against the session's real anvil:
market contracts someone deployed elsewhere, checked on the node before they are stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TEST_ADDRESS, Nit, one_line_error
from tests.support.anvil import Anvil
from tests.support.market import deploy_market
from tests.support.tools import free_port

from numbers_cli.chain import ChainClient, Network
from numbers_cli.config import Config
from numbers_cli.ops.market.session import open_market
from numbers_cli.ops.networks import resolve_network


def user_networks() -> dict[str, Any]:
    path = Path(Config.load(None).user_path)
    if not path.exists():
        return {}
    import tomli

    return dict(tomli.loads(path.read_text()).get("networks", {}))


@pytest.fixture
def pairs(anvil: Anvil, devnet: Network) -> list[tuple[str, str]]:
    """Two (Custody, Licenses) deployments on the test chain."""
    with ChainClient(devnet) as client:
        return [deploy_market(client, anvil.keys[0]) for _ in range(2)]


def add(nit: Nit, devnet: Network, *extra: str) -> Any:
    args = ["network", "add", "mine", "--rpc", devnet.rpc_url, "--contract", str(devnet.contract)]
    return nit(*args, *extra)


def test_market_addresses_are_checked_stored_and_used(
    nit: Nit, devnet: Network, pairs: list[tuple[str, str]]
) -> None:
    custody, licenses = pairs[0]
    result = add(nit, devnet, "--custody", custody.lower(), "--licenses", licenses, "--json")

    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    assert (added["custody"], added["licenses"], added["marketChecked"]) == (
        custody,  # checksummed
        licenses,
        True,
    )
    assert added["warnings"] == []
    stored = user_networks()["mine"]
    assert (stored["custody"], stored["licenses"]) == (custody, licenses)
    network = resolve_network(Config.load(None), "mine")
    assert (network.custody, network.licenses) == (custody, licenses)
    with open_market(Config.load(None), "mine") as session:  # what every market command opens
        assert session.custody.address == custody
        assert session.licenses.custody_address() == custody
    shown = json.loads(nit("network", "show", "mine", "--json").stdout)
    assert (shown["custody"], shown["licenses"]) == (custody, licenses)
    human = add(nit, devnet, "--custody", custody, "--licenses", licenses)
    assert f"custody {custody}, licenses {licenses}" in human.stdout


@pytest.mark.parametrize(
    ("case", "code", "says"),
    [
        ("not an address", 2, "--custody 'nope' is not an address"),
        ("custody without code", 9, "no contract at"),
        ("licenses without code", 9, "(--licenses)"),
        ("swapped", 2, "is not a Licenses contract of nit"),
        ("another pair's licenses", 2, "sells licences of the Custody contract at"),
    ],
)
def test_bad_market_addresses_are_refused_and_nothing_is_stored(
    nit: Nit, devnet: Network, pairs: list[tuple[str, str]], case: str, code: int, says: str
) -> None:
    (custody, licenses), (_, other_licenses) = pairs
    given = {
        "not an address": ("nope", licenses),
        "custody without code": (TEST_ADDRESS, licenses),
        "licenses without code": (custody, TEST_ADDRESS),
        "swapped": (licenses, custody),
        "another pair's licenses": (custody, other_licenses),
    }[case]

    result = add(nit, devnet, "--custody", given[0], "--licenses", given[1])

    assert result.exit_code == code, result.output
    assert says in one_line_error(result)
    assert "mine" not in user_networks()


def test_an_unreachable_node_stores_them_unchecked_with_a_warning(
    nit: Nit, pairs: list[tuple[str, str]]
) -> None:
    custody, licenses = pairs[0]
    dead = f"http://127.0.0.1:{free_port()}"
    result = nit(
        "network", "add", "far", "--rpc", dead, "--chain-id", "5", "--custody", custody,
        "--licenses", licenses, "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    assert added["marketChecked"] is False
    assert "--custody/--licenses not checked (the node did not answer)" in added["warnings"]
    assert user_networks()["far"]["custody"] == custody


def test_replacing_an_entry_says_when_its_market_contracts_are_dropped(
    nit: Nit, devnet: Network, pairs: list[tuple[str, str]]
) -> None:
    custody, licenses = pairs[0]
    assert add(nit, devnet, "--custody", custody, "--licenses", licenses).exit_code == 0

    again = add(nit, devnet)

    assert again.exit_code == 0, again.output
    assert "are not kept: give --custody and --licenses" in again.stderr
    assert "custody" not in user_networks()["mine"]
