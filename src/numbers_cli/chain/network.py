"""EVM networks nit can publish commits to, and the presets the reference tool knows.

Pure data: no web3 here, so the CLI and config layers can list and validate
networks without paying for web3's import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from numbers_cli.errors import ConfigError

__all__ = ["DEFAULT_NETWORK", "MASK", "PRESETS", "Network", "mask_rpc_url", "preset"]

#: What stands for a secret part of a URL in output and in config files.
MASK = "****"

#: A path segment that looks like an API key (Infura's /v3/<32 hex>, Alchemy's
#: /v2/<key>, QuickNode's /<token>/): long, one word, with a digit in it.
_KEYLIKE = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}")


def mask_rpc_url(url: str) -> str:
    """`url` with every part that may be a credential replaced by `MASK`.

    Hosted-node URLs carry their credentials in the user:password part, in a
    path segment (`https://mainnet.infura.io/v3/KEY`) or in the query string
    (`?apikey=KEY`); all three are masked. A URL without any is unchanged.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port: int | str | None = parts.port
    except ValueError:  # out of range or not a number: the transport says so, not this
        port = parts.netloc.rpartition(":")[2]
    netloc = f"{host}:{port}" if port else host
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    path = "/".join(MASK if _KEYLIKE.fullmatch(seg) else seg for seg in parts.path.split("/"))
    query = MASK if parts.query else ""
    return urlunsplit((parts.scheme, netloc, path, query, MASK if parts.fragment else ""))


@dataclass(frozen=True)
class Network:
    """One EVM chain and the IntegrityRegister deployed on it.

    `contract` is None for a fresh devnet until a register is deployed on it
    (`ChainClient.deploy_integrity_register`); every read or commit needs it.
    `explorer_tx_url` is a template with `{tx_hash}` (None: no explorer known).
    `confirmations` is how many blocks (counting the one holding it) a commit
    must be under before nit calls it pushed; 1 suits chains with instant
    finality such as the Avalanche-based ones below and local devnets.
    `currency` only labels amounts (balances, fees) in messages.
    `custody` and `licenses` are the addresses of nit's market contracts
    (Custody NFT, Licenses) on this chain, None where none are deployed
    (`nit contracts deploy`, `nit devnet up`).
    """

    name: str
    chain_id: int
    rpc_url: str
    contract: str | None
    explorer_tx_url: str | None = None
    confirmations: int = 1
    currency: str = "ETH"
    custody: str | None = None
    licenses: str | None = None

    def __post_init__(self) -> None:
        if self.chain_id <= 0:
            raise ConfigError(
                f"network {self.name}: chain id must be positive, not {self.chain_id}"
            )
        if not self.rpc_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"network {self.name}: RPC URL must be http(s)://..., not {self.rpc_url[:8]!r}..."
            )
        if self.confirmations < 1:
            raise ConfigError(f"network {self.name}: confirmations must be at least 1")

    @property
    def rpc_display(self) -> str:
        """The RPC URL fit for messages and logs: its credentials masked (`mask_rpc_url`)."""
        return mask_rpc_url(self.rpc_url)

    def tx_url(self, tx_hash: str) -> str | None:
        """The explorer page of a transaction, when the network has an explorer."""
        if self.explorer_tx_url is None:
            return None
        return self.explorer_tx_url.format(tx_hash=tx_hash)


#: Networks of the reference tool (spec/NUMBERS.md); `jade` is its default.
PRESETS: dict[str, Network] = {
    network.name: network
    for network in (
        Network(
            name="jade",
            chain_id=10507,
            rpc_url="https://mainnetrpc.num.network",
            contract="0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001",
            explorer_tx_url="https://mainnet.num.network/tx/{tx_hash}",
            currency="NUM",
        ),
        Network(
            name="snow",
            chain_id=10508,
            rpc_url="https://testnetrpc.num.network",
            contract="0x02eFA51b583d03342687b585417e5A62cd8273a4",
            explorer_tx_url="https://testnet.num.network/tx/{tx_hash}",
            currency="NUM",
        ),
        Network(
            name="avalanche",
            chain_id=43114,
            rpc_url="https://api.avax.network/ext/bc/C/rpc",
            contract="0x1970aFD0831E9233667fb9484910926c2b18BCb4",
            currency="AVAX",
        ),
        Network(
            name="fuji",
            chain_id=43113,
            rpc_url="https://api.avax-test.network/ext/bc/C/rpc",
            contract="0xA2De03bee39Fa637440909abC5621063bC5DA926",
            currency="AVAX",
        ),
    )
}

DEFAULT_NETWORK = "jade"


def preset(name: str) -> Network:
    """The preset network `name`; ConfigError listing the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ConfigError(f"unknown network {name!r} (known: {known})") from None
