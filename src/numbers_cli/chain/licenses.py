"""Binding of the Licenses contract (contracts/Licenses.sol): licence offers as
ERC-1155 tokens, revenue distribution plans and pull payments.

Like chain.custody: reads through `ChainClient.call_contract`, writes built as
calls for the client's pipeline, reverts decoded into one-line domain errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from numbers_cli.chain import custody
from numbers_cli.chain.abi import ContractAbi, DecodedError, contract_abi
from numbers_cli.chain.binding import ContractBinding, refusal
from numbers_cli.chain.rpc import RpcError
from numbers_cli.errors import MarketRefused, NitError, NotAllowed, NotFound, UsageError

if TYPE_CHECKING:
    from numbers_cli.chain.calls import Call
    from numbers_cli.chain.client import ChainClient

__all__ = ["LicensesContract", "Offer", "Plan", "abi", "explain", "explain_error"]

#: Basis points a plan's shares must sum to.
TOTAL_BPS = 10_000


def abi() -> ContractAbi:
    return contract_abi("Licenses")


@dataclass(frozen=True)
class Offer:
    """One licence offer (an ERC-1155 token id) as the contract holds it."""

    offer_id: int
    asset: int  # custody token id
    price_wei: int
    expiry: int  # unix seconds; 0: never
    supply: int
    sold: int
    uses: int  # USE_* bits
    closed: bool
    terms: str  # Nid of the licence document

    def valid_at(self, timestamp: int) -> bool:
        """Whether licences of this offer are valid at `timestamp` (not expired)."""
        return self.expiry == 0 or timestamp < self.expiry


@dataclass(frozen=True)
class Plan:
    """A revenue distribution plan: payees and their basis points (sum 10,000)."""

    shares: tuple[tuple[str, int], ...]

    @property
    def payees(self) -> list[str]:
        return [payee for payee, _ in self.shares]


def _message(error: DecodedError) -> NitError | None:
    a = error.args
    messages: dict[str, NitError] = {}
    name = error.name
    if name == "NotController":
        return NotAllowed(
            f"{a['caller']} may not change this asset's offers or plan: "
            f"{a['controller']} controls them"
        )
    if name == "UnknownOffer":
        return NotFound(f"no licence offer {a['offerId']}")
    messages = {
        "OfferIsClosed": MarketRefused(f"offer {a.get('offerId')} is closed"),
        "OfferExpired": MarketRefused(f"offer {a.get('offerId')} expired"),
        "SoldOut": MarketRefused(
            f"offer {a.get('offerId')} is sold out ({a.get('supply')} licences)"
        ),
        "NothingDue": MarketRefused(f"nothing is due to {a.get('payee')}"),
        "WithdrawFailed": MarketRefused(
            f"{a.get('payee')} refused the payment of {a.get('amount')} wei; it stays owed"
        ),
        "ReentrancyGuardReentrantCall": MarketRefused("re-entrant call refused"),
    }
    if name in messages:
        return messages[name]
    if name == "WrongPrice":
        return UsageError(
            f"offer {a['offerId']} costs exactly {a['price']} wei, not {a['sent']} wei"
        )
    usage = {
        "ZeroSupply": "the supply must be at least 1",
        "EmptyTerms": "the offer needs licence terms",
        "PlanLengthMismatch": "the plan needs one share per payee",
        "PlanSize": f"a plan has 1 to 16 payees, not {a.get('payees')}",
        "PlanSumInvalid": f"the plan's shares sum to {a.get('sum')} bps, not 10000",
    }
    if name in usage:
        return UsageError(usage[name])
    if name == "ExpiryInPast":
        return UsageError(f"expiry {a['expiry']} is not in the future")
    if name == "UseNotPermitted":
        return MarketRefused(
            f"the offer grants uses (bits {a['uses']}) the asset does not permit "
            f"(bits {a['permitted']}); allow them first with `nit govern set`"
        )
    if name in ("InvalidPayee", "DuplicatePayee", "ZeroShare"):
        what = {"InvalidPayee": "invalid", "DuplicatePayee": "repeated", "ZeroShare": "zero-share"}
        return UsageError(f"{what[name]} payee {a['payee']} in the plan")
    if name == "Error":
        return MarketRefused(f"the Licenses contract refused: {a['reason']}")
    return None


def explain_error(data: bytes | None) -> NitError | None:
    """A Licenses revert (or a Custody one it passed on) as the domain's one-line error."""
    decoded = abi().decode_error(data)
    if decoded is not None:
        return refusal("Licenses", decoded, _message)
    return custody.explain_error(data)


def explain(error: RpcError) -> NitError | None:
    return explain_error(error.revert_data())


def _offer(offer_id: int, value: Any) -> Offer:
    asset, price, expiry, supply, sold, uses, closed, terms = value
    return Offer(
        offer_id=offer_id,
        asset=int(asset),
        price_wei=int(price),
        expiry=int(expiry),
        supply=int(supply),
        sold=int(sold),
        uses=int(uses),
        closed=bool(closed),
        terms=str(terms),
    )


class LicensesContract(ContractBinding):
    """One deployed Licenses contract, read and written through a ChainClient."""

    name = "Licenses"
    explain = staticmethod(explain)

    def __init__(self, client: ChainClient, address: str) -> None:
        super().__init__(client, address, abi())

    # -- reads -----------------------------------------------------------------

    def custody_address(self) -> str:
        return str(self._read("custody")[0])

    def offer(self, offer_id: int) -> Offer:
        """NotFound when there is no such offer (an id no uint256 holds included)."""
        if not 0 <= offer_id < 2**256:
            raise NotFound(f"no licence offer {offer_id}")
        return _offer(offer_id, self._read("offer", offer_id)[0])

    def offers_of(self, asset: int) -> list[Offer]:
        return [self.offer(int(i)) for i in self._read("offersOf", asset)[0]]

    def plan(self, asset: int) -> Plan:
        payees, bps = self._read("planOf", asset)
        return Plan(tuple((str(p), int(b)) for p, b in zip(payees, bps, strict=True)))

    def owed(self, payee: str) -> int:
        return int(self._read("owed", payee)[0])

    def total_owed(self) -> int:
        return int(self._read("totalOwed")[0])

    def balance_of(self, account: str, offer_id: int) -> int:
        return int(self._read("balanceOf", account, offer_id)[0])

    def license_of(self, account: str, asset: int, uses: int) -> int | None:
        """The first offer whose unexpired licence `account` holds granting `uses`; else None."""
        licensed, offer_id = self._read("licenseOf", account, asset, uses)
        return int(offer_id) if licensed else None

    def events(self, tx_hash: str, name: str) -> list[dict[str, Any]]:
        """The decoded `name` events this contract emitted in a transaction."""
        found = []
        for log in self.client.transaction_logs(tx_hash):
            if str(log.get("address", "")).lower() != self.address.lower():
                continue
            event = self.abi.decode_log(log)
            if event is not None and event.name == name:
                found.append(event.args)
        return found

    # -- calls -------------------------------------------------------------------

    def create_offer_call(
        self, asset: int, terms: str, price_wei: int, supply: int, expiry: int, uses: int
    ) -> Call:
        return self._call("createOffer", asset, terms, price_wei, supply, expiry, uses)

    def close_offer_call(self, offer_id: int) -> Call:
        return self._call("closeOffer", offer_id)

    def set_plan_call(self, asset: int, shares: list[tuple[str, int]]) -> Call:
        return self._call("setPlan", asset, [p for p, _ in shares], [b for _, b in shares])

    def buy_call(self, offer_id: int, price_wei: int) -> Call:
        return self._call("buy", offer_id, value=price_wei)

    def withdraw_call(self) -> Call:
        return self._call("withdraw")
