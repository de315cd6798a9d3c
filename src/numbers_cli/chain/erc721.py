"""Read-only ERC-721 calls (`tokenURI`, `ownerOf`) over the chain's JSON-RPC client.

For `nit monitor scan nft://...`: any ERC-721 contract on any configured
network, not only nit's own. Calls go through `chain.rpc.JsonRpc`, like every
other chain read; nothing is signed or sent. The ABI is two fixed selectors,
so no contract artifact is needed.
"""

from __future__ import annotations

from numbers_cli.chain.network import Network
from numbers_cli.chain.rpc import JsonRpc, RpcError, hex_bytes
from numbers_cli.errors import InvalidFormat, NetworkError

__all__ = ["Erc721Reader"]

#: keccak256("tokenURI(uint256)")[:4] and keccak256("ownerOf(uint256)")[:4] (EIP-721).
TOKEN_URI = bytes.fromhex("c87b56dd")
OWNER_OF = bytes.fromhex("6352211e")


class Erc721Reader:
    """ERC-721 reads on one network; a failed call is a NetworkError naming the token."""

    def __init__(self, network: Network, *, timeout: float = 15.0) -> None:
        self.network = network
        self._rpc = JsonRpc(network.rpc_url, timeout=timeout, display_url=network.rpc_display)

    def close(self) -> None:
        self._rpc.close()

    def __enter__(self) -> Erc721Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, contract: str, selector: bytes, token_id: int, what: str) -> bytes:
        if not 0 <= token_id < 2**256:
            raise InvalidFormat(f"token id {token_id} is not a uint256")
        data = "0x" + (selector + token_id.to_bytes(32, "big")).hex()
        try:
            result = self._rpc.call("eth_call", [{"to": contract, "data": data}, "latest"])
        except RpcError as exc:
            raise NetworkError(
                f"{what}({token_id}) on {contract} ({self.network.name}) failed: {exc.rpc_message}"
            ) from None
        raw = hex_bytes(result, f"{what} result")
        if not raw:
            raise NetworkError(f"no ERC-721 contract at {contract} on {self.network.name}")
        return raw

    def token_uri(self, contract: str, token_id: int) -> str:
        """The token's metadata URI (`string` return value)."""
        from eth_abi import decode
        from eth_abi.exceptions import DecodingError

        raw = self._call(contract, TOKEN_URI, token_id, "tokenURI")
        try:
            (value,) = decode(["bytes"], raw)  # string and bytes share one encoding
        except DecodingError:
            raise InvalidFormat(f"tokenURI of {contract} returned no string") from None
        return bytes(value).decode("utf-8", errors="replace")

    def owner_of(self, contract: str, token_id: int) -> str:
        """The owner's checksummed address."""
        from eth_utils import to_checksum_address

        raw = self._call(contract, OWNER_OF, token_id, "ownerOf")
        if len(raw) != 32:
            raise InvalidFormat(f"ownerOf of {contract} returned {len(raw)} bytes, not an address")
        return str(to_checksum_address(raw[12:]))
