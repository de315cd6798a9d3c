"""What every market contract binding (chain.custody, chain.licenses) shares: reads
through `ChainClient.call_contract`, writes built as calls for the client's
pipeline, and the fallback one-line message of a revert the binding does not
word itself. One place, so both contracts read, build and refuse alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.abi import ContractAbi, DecodedError
from numbers_cli.errors import MarketRefused, NitError, NotAllowed

if TYPE_CHECKING:
    from numbers_cli.chain.calls import Call
    from numbers_cli.chain.client import ChainClient
    from numbers_cli.chain.rpc import RpcError

__all__ = ["ContractBinding", "refusal"]

#: OpenZeppelin errors that mean "the sender is not the owner nor approved".
_NOT_APPROVED = (
    "ERC721InsufficientApproval",
    "ERC721IncorrectOwner",
    "ERC1155MissingApprovalForAll",
)


def refusal(
    contract: str, error: DecodedError, specific: Callable[[DecodedError], NitError | None]
) -> NitError:
    """Every error of `contract` gets a one-line message: its own (`specific`), or the
    decoded error."""
    message = specific(error)
    if message is not None:
        return message
    if error.name in _NOT_APPROVED:
        return NotAllowed(f"the {contract} contract refused: {error} (not the owner or approved)")
    return MarketRefused(f"the {contract} contract refused: {error}")


class ContractBinding:
    """One deployed contract named `name`, read and written through a ChainClient;
    `explain` (a staticmethod of the subclass) words its reverts."""

    name: str
    explain: Callable[[RpcError], NitError | None]

    def __init__(self, client: ChainClient, address: str, abi: ContractAbi) -> None:
        self.client = client
        self.address = address
        self.abi = abi

    def _read(self, name: str, *args: Any) -> tuple[Any, ...]:
        data = self.client.call_contract(
            self.address,
            self.abi.encode_call(name, *args),
            what=f"{self.name}.{name}",
            explain=self.explain,
        )
        return self.abi.decode_result(name, data)

    def _call(self, name: str, *args: Any, value: int = 0) -> Call:
        call: Call = {"to": self.address, "data": self.abi.encode_call(name, *args)}
        if value:
            call["value"] = value
        return call
