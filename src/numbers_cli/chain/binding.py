"""What every market contract binding (chain.custody, chain.licenses) shares: reads
through `ChainClient.call_contract`, writes built as calls for the client's
pipeline, and the fallback one-line message of a revert the binding does not
word itself. One place, so both contracts read, build and refuse alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.abi import ContractAbi, DecodedError, DecodedEvent
from numbers_cli.errors import ConfigError, InvalidFormat, MarketRefused, NitError, NotAllowed

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
            explain=lambda exc: self.explain(exc) or self._not_ours(exc, name),
        )
        try:
            return self.abi.decode_result(name, data)
        except InvalidFormat:
            raise self._not_this_contract(name) from None

    def _not_ours(self, error: RpcError, function: str) -> NitError | None:
        """A read nit's contract answers (or refuses with one of its errors) reverting with
        no data, as a contract without that function does: a network entry naming the
        wrong contract (the other market contract, the register), not a network fault."""
        return self._not_this_contract(function) if error.revert_data() == b"" else None

    def _not_this_contract(self, function: str) -> ConfigError:
        network = self.client.network.name
        return ConfigError(
            f"the contract at {self.address} on {network} is not nit's {self.name} contract "
            f"(it does not answer {function})",
            hint=f"check the {self.name.lower()} address of [networks.{network}]",
        )

    def logs(self, event: str, *indexed: int | None, from_block: int = 0) -> list[DecodedEvent]:
        """This contract's `event`s whose leading indexed uint256 arguments are `indexed`
        (None: any), from `from_block` to the latest block, in chain order (eth_getLogs).

        How an action is found on the chain alone, when nothing of it is noted here."""
        topics: list[str | None] = [self.abi.event_topic(event)]
        topics += [None if v is None else "0x" + v.to_bytes(32, "big").hex() for v in indexed]
        found = []
        logs = self.client.contract_logs(
            self.address, topics, from_block, what=f"{self.name} {event} events"
        )
        for log in logs:
            decoded = self.abi.decode_log(log)
            if decoded is not None and decoded.name == event:
                found.append(decoded)
        found.sort(key=lambda e: (e.block_number, e.log_index))
        return found

    def _call(self, name: str, *args: Any, value: int = 0) -> Call:
        call: Call = {"to": self.address, "data": self.abi.encode_call(name, *args)}
        if value:
            call["value"] = value
        return call
