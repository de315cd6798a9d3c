"""`nit license check`: does an address hold a valid licence of an asset for a use?

`check_license` is its Python face, for scripts and `nit monitor`: does an
address hold a valid (unexpired) licence of an asset granting the uses asked
for. The chain's `Licenses.licenseOf` decides; the offers the address holds
are read as well, to say why not when it does not. Reads only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.chain import Network
from numbers_cli.chain.custody import token_id
from numbers_cli.chain.licenses import Offer
from numbers_cli.config import Config
from numbers_cli.errors import InvalidFormat, UsageError
from numbers_cli.model.market import format_uses, parse_uses
from numbers_cli.model.nid import Nid
from numbers_cli.ops.market.session import MarketSession, check_address, open_market

__all__ = ["LicenseCheck", "check_license", "license_status"]


@dataclass
class LicenseCheck:
    """Whether `address` holds a valid licence of `nid` granting `uses`, and why (not)."""

    address: str
    nid: Nid
    network: str
    uses: list[str]
    licensed: bool
    offer: Offer | None = None  # the licence that grants it
    reason: str = ""
    held: list[Offer] = field(default_factory=list)  # every offer of the asset it holds
    checked_at: int = 0  # chain time the check used

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "nid": self.nid,
            "network": self.network,
            "uses": self.uses,
            "licensed": self.licensed,
            "offer": self.offer.offer_id if self.offer else None,
            "expiry": (self.offer.expiry or None) if self.offer else None,
            "terms": self.offer.terms if self.offer else None,
            "reason": self.reason,
            "held": [o.offer_id for o in self.held],
            "checkedAt": self.checked_at,
        }


def license_status(session: MarketSession, address: str, nid: Nid, uses: int = 0) -> LicenseCheck:
    """`check_license` on an open session."""
    address = check_address(address)
    names = format_uses(uses)
    report = LicenseCheck(address, nid, session.network.name, names, licensed=False)
    tid = token_id(nid)
    if not session.custody.exists(tid):
        report.reason = f"{nid} has no custody token on {session.network.name}, so no licences"
        return report
    report.checked_at = session.client.block_timestamp()
    granted = session.licenses.license_of(address, tid, uses)
    offers = session.licenses.offers_of(tid)
    report.held = [o for o in offers if session.licenses.balance_of(address, o.offer_id) > 0]
    if granted is not None:
        report.licensed = True
        report.offer = next((o for o in offers if o.offer_id == granted), None)
        report.reason = f"holds licence {granted}"
        return report
    wanted = f" granting {', '.join(names)}" if names else ""
    if not report.held:
        report.reason = f"holds no licence of {nid}"
    elif not [o for o in report.held if o.valid_at(report.checked_at)]:
        report.reason = f"every licence of {nid} it holds has expired"
    else:
        report.reason = f"holds no unexpired licence of {nid}{wanted}"
    return report


def check_license(
    config: Config,
    address: str,
    nid: str,
    uses: str | Iterable[str] | None = None,
    *,
    network: str | Network | None = None,
    env: Mapping[str, str] | None = None,
) -> LicenseCheck:
    """Does `address` hold a valid, unexpired licence of `nid` granting every use in `uses`
    (names: commercial, ai-training, derivatives; none: any licence)?

    Reads only; `network` is a name, a Network, or None for `core.network`.
    Raises NoMarketContracts / NetworkError when it cannot tell, UsageError for
    a bad address or use name; `.licensed` is the answer.
    """
    try:
        asset = Nid.parse(nid)
    except InvalidFormat:
        raise UsageError(f"{nid!r} is not a Nid") from None
    bits = parse_uses(uses)
    with open_market(config, network, env=env) as session:
        return license_status(session, address, asset, bits)
