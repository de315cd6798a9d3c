"""Binding of the Custody contract (contracts/Custody.sol): one ERC-721 per Nid.

Reads go through `ChainClient.call_contract`, writes are built here as calls
and sent by the client's pipeline; reverts come back as one-line domain
errors (`explain`). Pure helpers (token ids, the EIP-712 message) need no node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbers_cli.chain.abi import ContractAbi, DecodedError, DecodedEvent, contract_abi
from numbers_cli.chain.binding import ContractBinding, refusal
from numbers_cli.chain.rpc import RpcError
from numbers_cli.errors import MarketRefused, NitError, NotAllowed, NotFound, UsageError

if TYPE_CHECKING:
    from numbers_cli.chain.calls import Call
    from numbers_cli.chain.client import ChainClient

__all__ = [
    "EIP712_NAME",
    "EIP712_VERSION",
    "CustodyContract",
    "CustodyRules",
    "abi",
    "explain",
    "explain_error",
    "mint_authorization",
    "token_id",
]

EIP712_NAME = "nit Custody"
EIP712_VERSION = "1"


def abi() -> ContractAbi:
    return contract_abi("Custody")


def token_id(nid: str) -> int:
    """The custody token id of a Nid: keccak256 of its UTF-8 text, as uint256.

    The same hash the IntegrityRegister keys assets by (and the `assetCid`
    topic of its Commit events), so anyone can compute it from the Nid alone.
    """
    from eth_utils import keccak

    return int.from_bytes(keccak(nid.encode("utf-8")), "big")


def mint_authorization(nid: str, recipient: str, chain_id: int, contract: str) -> dict[str, Any]:
    """The EIP-712 typed data the registrant signs to let `recipient` receive `nid`'s token.

    The domain binds it to one Custody contract on one chain; the message to
    one Nid and one recipient. In the form eth_account's `encode_typed_data`
    and wallets' `eth_signTypedData_v4` take.
    """
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "MintAuthorization": [
                {"name": "nid", "type": "string"},
                {"name": "recipient", "type": "address"},
            ],
        },
        "primaryType": "MintAuthorization",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": {"nid": nid, "recipient": recipient},
    }


@dataclass(frozen=True)
class CustodyRules:
    """The on-chain governance state of one asset's custody token."""

    token_id: int
    holder: str
    governor: str | None  # None: the holder governs
    usage: int  # USE_* bits
    royalty_bps: int

    @property
    def controller(self) -> str:
        return self.governor or self.holder


_ZERO = "0x" + "00" * 20


def _message(error: DecodedError) -> NitError | None:
    args = error.args
    name = error.name
    if name == "CustodyAlreadyMinted":
        return MarketRefused("the custody token of this asset is already minted")
    if name == "InvalidMintSignature":
        return NotAllowed(
            f"the mint authorisation is not a valid signature of {args['registrant']}"
        )
    if name == "NotController":
        return NotAllowed(
            f"{args['caller']} may not change this asset's rules: "
            f"{args['controller']} controls them"
        )
    if name == "RoyaltyTooHigh":
        return UsageError(f"royalty {args['royaltyBps']} bps is over 10000 (100%)")
    if name == "UnknownUsage":
        return UsageError(f"usage flags {args['usage']} include unknown bits")
    if name == "EmptyMetadata":
        return UsageError("the custody token needs a metadata digest")
    if name == "ERC721NonexistentToken":
        return NotFound("this asset has no custody token (mint it with `nit mint`)")
    if name in ("ERC721InvalidReceiver", "ERC721InvalidOwner"):
        return UsageError(f"{next(iter(args.values()))} cannot receive the custody token")
    if name == "Error":
        return MarketRefused(f"the Custody contract refused: {args['reason']}")
    return None


def explain_error(data: bytes | None) -> NitError | None:
    """A Custody revert as the domain's one-line error; None when it is not one of its own."""
    decoded = abi().decode_error(data)
    return refusal("Custody", decoded, _message) if decoded else None


def explain(error: RpcError) -> NitError | None:
    return explain_error(error.revert_data())


class CustodyContract(ContractBinding):
    """One deployed Custody contract, read and written through a ChainClient."""

    name = "Custody"
    explain = staticmethod(explain)

    def __init__(self, client: ChainClient, address: str) -> None:
        super().__init__(client, address, abi())

    # -- reads -----------------------------------------------------------------

    def exists(self, tid: int) -> bool:
        """Whether the token is minted (ownerOf answers rather than reverting)."""
        try:
            self._read("ownerOf", tid)
        except NotFound:
            return False
        return True

    def rules(self, tid: int) -> CustodyRules:
        """Holder, governor, usage flags and royalty; NotFound when not minted."""
        holder, governor, usage, royalty = self._read("rulesOf", tid)
        return CustodyRules(
            token_id=tid,
            holder=str(holder),
            governor=None if str(governor).lower() == _ZERO else str(governor),
            usage=int(usage),
            royalty_bps=int(royalty),
        )

    def token_uri(self, tid: int) -> str:
        return str(self._read("tokenURI", tid)[0])

    def metadata_digest(self, tid: int) -> bytes:
        return bytes(self._read("metadataDigestOf", tid)[0])

    def mint_digest(self, nid: str, recipient: str) -> bytes:
        """The EIP-712 digest the contract will check (to cross-check local hashing)."""
        return bytes(self._read("mintDigest", nid, recipient)[0])

    def royalty_info(self, tid: int, sale_price: int) -> tuple[str, int]:
        receiver, amount = self._read("royaltyInfo", tid, sale_price)
        return str(receiver), int(amount)

    def minted_event(self, tx_hash: str) -> dict[str, Any] | None:
        """The CustodyMinted event of a transaction, decoded; None if it has none."""
        for log in self.client.transaction_logs(tx_hash):
            if str(log.get("address", "")).lower() != self.address.lower():
                continue
            event = self.abi.decode_log(log)
            if event is not None and event.name == "CustodyMinted":
                return event.args
        return None

    def minted_log(self, tid: int, from_block: int = 0) -> DecodedEvent | None:
        """The CustodyMinted event of `tid` (its transaction, block and arguments), looked
        up by eth_getLogs from `from_block` on; None when the token was never minted.

        One token per Nid and a second mint reverts, so there is at most one."""
        found = self.logs("CustodyMinted", tid, from_block=from_block)
        return found[0] if found else None

    # -- calls (sent by ChainClient.send_calls) ------------------------------------

    def mint_call(
        self,
        nid: str,
        recipient: str,
        metadata_digest: bytes,
        royalty_bps: int,
        registrant: str,
        signature: bytes,
    ) -> Call:
        return self._call(
            "mint", nid, recipient, metadata_digest, royalty_bps, registrant, signature
        )

    def set_usage_call(self, tid: int, usage: int) -> Call:
        return self._call("setUsage", tid, usage)

    def set_royalty_call(self, tid: int, royalty_bps: int) -> Call:
        return self._call("setRoyalty", tid, royalty_bps)

    def set_governor_call(self, tid: int, governor: str | None) -> Call:
        return self._call("setGovernor", tid, governor or _ZERO)

    def transfer_call(self, sender: str, to: str, tid: int) -> Call:
        return self._call("transferFrom", sender, to, tid)
