"""Network presets and the adapter's pure helpers (no node needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from numbers_cli.chain import DEFAULT_NETWORK, PRESETS, Network, format_amount, preset
from numbers_cli.chain.history_reads import _block_ranges
from numbers_cli.chain.register import commit_topic, nid_topic
from numbers_cli.errors import ConfigError


def test_presets_are_the_specs_networks() -> None:
    table = {
        name: (network.chain_id, network.rpc_url, network.contract)
        for name, network in PRESETS.items()
    }
    assert table == {
        "jade": (
            10507,
            "https://mainnetrpc.num.network",
            "0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001",
        ),
        "snow": (
            10508,
            "https://testnetrpc.num.network",
            "0x02eFA51b583d03342687b585417e5A62cd8273a4",
        ),
        "avalanche": (
            43114,
            "https://api.avax.network/ext/bc/C/rpc",
            "0x1970aFD0831E9233667fb9484910926c2b18BCb4",
        ),
        "fuji": (
            43113,
            "https://api.avax-test.network/ext/bc/C/rpc",
            "0xA2De03bee39Fa637440909abC5621063bC5DA926",
        ),
    }
    assert DEFAULT_NETWORK == "jade"
    assert preset("jade").tx_url("0xab") == "https://mainnet.num.network/tx/0xab"
    assert preset("snow").tx_url("0xab") == "https://testnet.num.network/tx/0xab"
    assert preset("fuji").tx_url("0xab") is None


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="avalanche, fuji, jade, snow"):
        preset("mainnet")


@pytest.mark.parametrize(
    "kwargs",
    [{"chain_id": 0}, {"rpc_url": "ws://127.0.0.1:8545"}, {"confirmations": 0}],
)
def test_network_rejects_nonsense(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "name": "x",
        "chain_id": 1,
        "rpc_url": "http://127.0.0.1:8545",
        "contract": None,
    }
    with pytest.raises(ConfigError):
        Network(**{**fields, **kwargs})  # type: ignore[arg-type]


def test_block_ranges_cover_clusters() -> None:
    assert _block_ranges([], 10) == []
    assert _block_ranges([5, 5, 6], 10) == [(5, 6)]
    assert _block_ranges([100, 1, 9, 10, 11], 10) == [(1, 10), (11, 11), (100, 100)]
    assert _block_ranges([1, 2, 3], 1) == [(1, 1), (2, 2), (3, 3)]


def test_format_amount() -> None:
    assert format_amount(0, "ETH") == "0 ETH"
    assert format_amount(10**12, "ETH") == "0.000001 ETH"
    assert format_amount(1234 * 10**18, "NUM") == "1234 NUM"
    assert format_amount(1, "ETH") == "0 ETH"  # below a gwei: not worth a message's room


def test_topics() -> None:
    # keccak256("Commit(address,string,string)") and keccak256("hello"), known values
    assert commit_topic().startswith("0x") and len(commit_topic()) == 66
    assert nid_topic("hello") == (
        "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8"
    )


def test_importing_the_adapter_does_not_import_web3() -> None:
    code = (
        "import sys, numbers_cli.chain, numbers_cli.contracts\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('web3', 'eth_abi', 'eth_account', 'eth_utils')]\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_rpc_url_credentials_stay_out_of_messages() -> None:
    network = Network(
        name="hosted",
        chain_id=1,
        rpc_url="https://user:s3cret@rpc.example:8443/v1/rpc?apikey=s3cret",
        contract=None,
    )
    # Each secret part is masked where it was (so a reader sees credentials are in use).
    assert network.rpc_display == "https://****@rpc.example:8443/v1/rpc?****"
