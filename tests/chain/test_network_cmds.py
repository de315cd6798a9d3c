"""`nit network add | list | show | remove` against the real anvil of the session.

`devnet` (tests/conftest.py) is that anvil with a freshly deployed register;
a free port with nothing listening plays the unreachable node.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Nit, one_line_error
from tests.support.anvil import Anvil
from tests.support.tools import free_port

from numbers_cli.chain import PRESETS, Network
from numbers_cli.config import Config
from numbers_cli.ops.networks import resolve_network


def user_networks() -> dict:
    path = Config.load(None).user_path
    if not Path(path).exists():
        return {}
    import tomli

    return tomli.loads(Path(path).read_text()).get("networks", {})


@pytest.fixture
def dead_rpc() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_add_custom_network_asks_the_node(nit: Nit, devnet: Network) -> None:
    result = nit("network", "add", "local", "--rpc", devnet.rpc_url, "--contract", devnet.contract)
    assert result.exit_code == 0, result.output
    assert "added network local: chain id 31337" in result.stdout
    assert result.stderr == ""
    assert user_networks()["local"] == {
        "rpc": devnet.rpc_url,
        "contract": devnet.contract,
        "chain_id": 31337,  # asked from the node and stored
    }
    network = resolve_network(Config.load(None), "local")
    assert (network.chain_id, network.contract, network.confirmations) == (
        31337,
        devnet.contract,
        1,
    )

    again = nit(
        "network",
        "add",
        "local",
        "--rpc",
        devnet.rpc_url,
        "--chain-id",
        "31337",
        "--confirmations",
        "3",
        "--currency",
        "TST",
        "--explorer",
        "https://explorer.example/tx/{tx_hash}",
        "--json",
    )
    assert again.exit_code == 0, again.output
    added = json.loads(again.stdout)
    assert added["replaced"] is True and added["reachable"] is True
    assert added["contract"] is None  # replaced whole: no --contract this time
    assert any("no --contract" in warning for warning in added["warnings"])
    network = resolve_network(Config.load(None), "local")
    assert network.confirmations == 3 and network.currency == "TST"
    assert network.tx_url("0xab") == "https://explorer.example/tx/0xab"


def test_wrong_chain_id_is_refused(nit: Nit, devnet: Network) -> None:
    result = nit("network", "add", "local", "--rpc", devnet.rpc_url, "--chain-id", "10507")
    assert result.exit_code == 9
    line = one_line_error(result)
    assert "serves chain id 31337, not 10507 (--chain-id)" in line
    assert "local" not in user_networks()


def test_unreachable_node_needs_a_chain_id(nit: Nit, dead_rpc: str) -> None:
    result = nit("network", "add", "far", "--rpc", dead_rpc)
    assert result.exit_code == 9
    line = one_line_error(result)
    assert "cannot reach RPC node" in line and "--chain-id" in line
    assert "far" not in user_networks()

    stored = nit("network", "add", "far", "--rpc", dead_rpc, "--chain-id", "777")
    assert stored.exit_code == 0, stored.output
    assert "warning:" in stored.stderr and "stored unchecked" in stored.stderr
    assert user_networks()["far"] == {"rpc": dead_rpc, "chain_id": 777}


def test_contract_must_have_code(nit: Nit, devnet: Network) -> None:
    nobody = "0x000000000000000000000000000000000000dEaD"
    result = nit("network", "add", "local", "--rpc", devnet.rpc_url, "--contract", nobody)
    assert result.exit_code == 9
    assert "no contract at 0x000000000000000000000000000000000000dEaD" in one_line_error(result)

    bad = nit("network", "add", "local", "--rpc", devnet.rpc_url, "--contract", "0x1234")
    assert bad.exit_code == 8
    assert "not a contract address" in one_line_error(bad)
    assert "local" not in user_networks()


def test_override_a_presets_rpc(nit: Nit, dead_rpc: str, anvil: Anvil) -> None:
    result = nit("network", "add", "jade", "--rpc", dead_rpc)
    assert result.exit_code == 0, result.output
    assert "chain id 10507 stored unchecked" in result.stderr
    assert user_networks()["jade"] == {"rpc": dead_rpc}  # chain id, contract: the preset's
    jade = resolve_network(Config.load(None), "jade")
    assert jade.rpc_url == dead_rpc
    assert (jade.chain_id, jade.contract, jade.currency) == (
        10507,
        PRESETS["jade"].contract,
        "NUM",
    )

    listed = {n["name"]: n for n in json.loads(nit("network", "list", "--json").stdout)}
    assert listed["jade"]["source"] == "user" and listed["jade"]["preset"] is True
    assert listed["snow"]["source"] == "preset"
    human = nit("network", "list").stdout
    assert "user (overrides preset)" in human

    # A node of another chain cannot stand in for jade.
    wrong = nit("network", "add", "jade", "--rpc", anvil.rpc_url)
    assert wrong.exit_code == 9
    assert "not 10507 (the jade preset)" in one_line_error(wrong)
    assert user_networks()["jade"] == {"rpc": dead_rpc}


def test_list_show_remove(nit: Nit, devnet: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    assert nit("network", "add", "local", "--rpc", devnet.rpc_url).exit_code == 0
    monkeypatch.setenv("NIT_NETWORK", "local")

    listing = nit("network", "list", "--json")
    assert listing.exit_code == 0 and listing.stderr == ""
    networks = json.loads(listing.stdout)
    names = [n["name"] for n in networks]
    assert names[:4] == ["jade", "snow", "avalanche", "fuji"]
    assert set(names) == {"jade", "snow", "avalanche", "fuji", "devnet", "local"}
    by_name = {n["name"]: n for n in networks}
    assert [n["name"] for n in networks if n["default"]] == ["local"]
    assert by_name["local"]["source"] == "user" and by_name["local"]["chainId"] == 31337
    assert by_name["devnet"]["source"] == "none"  # not set up: `nit devnet up`
    assert "nit devnet up" in by_name["devnet"]["problem"]
    assert "* local" in nit("network", "list").stdout

    show = nit("network", "show", "local", "--json")
    assert show.exit_code == 0, show.output
    shown = json.loads(show.stdout)
    assert shown["default"] is True and shown["rpc"] == devnet.rpc_url
    assert "check" not in shown

    assert nit("network", "show", "jade").exit_code == 0
    missing = nit("network", "show", "nowhere")
    assert missing.exit_code == 4
    assert "no network 'nowhere'" in one_line_error(missing)
    not_set_up = nit("network", "show", "devnet")
    assert not_set_up.exit_code == 8 and "nit devnet up" in not_set_up.stderr

    removed = nit("network", "remove", "local")
    assert removed.exit_code == 0, removed.output
    assert "local" not in user_networks()
    assert nit("network", "remove", "local").exit_code == 4
    preset = nit("network", "remove", "snow")
    assert preset.exit_code == 4 and "built in" in one_line_error(preset)


def test_show_check(nit: Nit, devnet: Network, dead_rpc: str) -> None:
    nit("network", "add", "local", "--rpc", devnet.rpc_url, "--contract", devnet.contract)
    ok = nit("network", "show", "local", "--check", "--json")
    assert ok.exit_code == 0, ok.output
    check = json.loads(ok.stdout)["check"]
    assert check["ok"] is True and check["chainId"] == 31337
    assert check["contractOk"] is True and check["blockNumber"] >= 1
    human = nit("network", "show", "local", "--check")
    assert human.exit_code == 0 and "register has code" in human.stdout

    nit("network", "add", "far", "--rpc", dead_rpc, "--chain-id", "31337")
    down = nit("network", "show", "far", "--check", "--json")
    assert down.exit_code == 9
    assert json.loads(down.stdout)["check"]["reachable"] is False

    # The node at a recorded URL now serves another chain: the check says so.
    config = Path(Config.load(None).user_path)
    with config.open("a") as file:
        file.write(f'\n[networks.moved]\nrpc = "{devnet.rpc_url}"\nchain_id = 5\n')
    moved = nit("network", "show", "moved", "--check", "--json")
    assert moved.exit_code == 9
    assert json.loads(moved.stdout)["check"]["chainOk"] is False


def test_credentials_in_rpc_urls_are_never_shown(nit: Nit) -> None:
    port = free_port()
    rpc = f"http://user:s3cret@127.0.0.1:{port}/v1/rpc?apikey=s3cret"
    outputs = [
        nit("network", "add", "hosted", "--rpc", rpc, "--chain-id", "5"),
        nit("network", "add", "hosted", "--rpc", rpc),  # unreachable, no chain id: the error
        nit("network", "list"),
        nit("network", "list", "--json"),
        nit("network", "show", "hosted"),
        nit("network", "show", "hosted", "--json"),
        nit("network", "show", "hosted", "--check", "--json"),
    ]
    for result in outputs:
        assert "s3cret" not in result.output
    assert outputs[0].exit_code == 0 and outputs[1].exit_code == 9
    assert f"127.0.0.1:{port}/v1/rpc" in outputs[4].stdout
    # config.toml (0644) holds the masked URL; the whole one is in a 0600 file beside it.
    config_text = Path(Config.load(None).user_path).read_text()
    assert "s3cret" not in config_text
    assert user_networks()["hosted"]["rpc"] == f"http://****@127.0.0.1:{port}/v1/rpc?****"
    credentials = Path(Config.load(None).user_path).parent / "networks" / "hosted.credentials"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    assert resolve_network(Config.load(None), "hosted").rpc_url == rpc  # what push uses
    assert nit("network", "remove", "hosted").exit_code == 0
    assert not credentials.exists()


def test_repo_scope(nit: Nit, repo: Path, devnet: Network, workdir: Path) -> None:
    result = nit("network", "add", "team", "--rpc", devnet.rpc_url, "--repo", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scope"] == "repo"
    assert "[networks.team]" in (repo / ".numbers" / "config.toml").read_text()
    assert "team" not in user_networks()
    listed = {n["name"]: n for n in json.loads(nit("network", "list", "--json").stdout)}
    assert listed["team"]["source"] == "repo"
    removed = nit("network", "remove", "team")
    assert removed.exit_code == 0 and "repo config" in removed.stdout
    assert "team" not in (repo / ".numbers" / "config.toml").read_text()


def test_repo_scope_needs_a_repository(nit: Nit, devnet: Network) -> None:
    result = nit("network", "add", "team", "--rpc", devnet.rpc_url, "--repo")
    assert result.exit_code == 3
    one_line_error(result)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["../x", "--rpc", "http://127.0.0.1:1"], 2, "cannot name a network"),
        (["x", "--rpc", "ws://127.0.0.1:1", "--chain-id", "1"], 8, "RPC URL must be http"),
        (["x", "--rpc", "http://127.0.0.1:1", "--explorer", "https://e/tx/"], 2, "{tx_hash}"),
        (["x", "--rpc", "http://127.0.0.1:1", "--explorer", "https://e/{x}"], 2, "{tx_hash}"),
    ],
)
def test_bad_arguments(nit: Nit, args: list[str], code: int, message: str) -> None:
    result = nit("network", "add", *args)
    assert result.exit_code == code, result.output
    assert message in one_line_error(result)
    assert user_networks() == {}


def test_zero_chain_id_is_a_usage_error(nit: Nit) -> None:
    result = nit("network", "add", "x", "--rpc", "http://127.0.0.1:1", "--chain-id", "0")
    assert result.exit_code == 2  # click's range check


def test_an_api_key_in_the_rpc_url_goes_to_a_credentials_file(
    nit: Nit, repo: Path, devnet: Network, anvil: Anvil
) -> None:
    """`https://host/v3/KEY` (Infura, Alchemy...) or `?apikey=KEY`: the key is masked in
    config.toml and in every output, kept 0600 beside it, and still used to reach the node."""
    key = "9aa3d95b3bc440fa88ea12eaa4456161"
    rpc = f"{anvil.rpc_url}/?apikey={key}"  # anvil ignores the query string
    outputs = [
        nit("network", "add", "hosted", "--rpc", rpc, "--repo", "--json"),
        nit("network", "list"),
        nit("network", "show", "hosted", "--check", "--json"),
        nit("config", "list"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert key not in result.output
    assert json.loads(outputs[0].stdout)["rpc"] == f"{anvil.rpc_url}/?****"
    assert json.loads(outputs[2].stdout)["check"]["reachable"] is True  # the real URL was used
    config_text = (repo / ".numbers" / "config.toml").read_text()
    assert key not in config_text and "/?****" in config_text
    credentials = repo / ".numbers" / "networks" / "hosted.credentials"
    assert key in credentials.read_text() and oct(credentials.stat().st_mode & 0o777) == "0o600"
    # An entry edited by hand to another host never gets the old key.
    (repo / ".numbers" / "config.toml").write_text(config_text.replace("127.0.0.1", "localhost"))
    moved = nit("network", "show", "hosted")
    assert moved.exit_code == 8 and key not in moved.output
    assert "needs the credentials file" in moved.stderr

    # A key in the path (unreachable here: stored unchecked with --chain-id).
    in_path = f"http://127.0.0.1:{free_port()}/v3/{key}"
    added = nit("network", "add", "infura", "--rpc", in_path, "--chain-id", "1", "--json")
    assert added.exit_code == 0 and key not in added.output
    assert user_networks()["infura"]["rpc"].endswith("/v3/****")
    assert resolve_network(Config.load(None), "infura").rpc_url == in_path
