"""Pure pieces of custody, licences and royalties: use flags, amounts, plans,
expiry dates, the custody token's metadata JSON and the action names nit
records in an asset's history. No I/O; the chain bindings and ops build on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from numbers_cli.errors import UsageError
from numbers_cli.model import jsjson

__all__ = [
    "ACTION_NAMES",
    "MAX_PRICE_WEI",
    "TOTAL_BPS",
    "USES",
    "format_uses",
    "is_duration",
    "parse_amount",
    "parse_bps",
    "parse_expiry",
    "parse_payees",
    "parse_uses",
    "token_metadata",
]

#: Use flags shared by Custody's usage rules and Licenses' offers (bit values).
USES: dict[str, int] = {"commercial": 1, "ai-training": 2, "derivatives": 4}
ALL_USES = 7

#: Basis points a revenue plan sums to, and the most payees one may have.
TOTAL_BPS = 10_000
MAX_PAYEES = 16

#: Prices are uint96 wei in the Licenses contract.
MAX_PRICE_WEI = 2**96 - 1

#: Action names nit writes as `actionName` of the commits recording on-chain
#: actions of an asset (docs/formats.md). Minting uses the spec's own name.
ACTION_NAMES = {
    "mint": "action-mint-erc721-nft",
    "license-offer": "action-license-offer",
    "license-close": "action-license-close",
    "license-buy": "action-license-purchase",
    "royalty-plan": "action-set-revenue-plan",
    "govern-set": "action-set-usage-rules",
    "hand-over": "action-hand-over-governance",
    "take-back": "action-take-back-governance",
}

_UNITS = {"wei": 0, "gwei": 9, "eth": 18, "ether": 18, "num": 18, "avax": 18}
_AMOUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def parse_uses(text: str | Iterable[str] | None) -> int:
    """`ai-training,commercial` (or a list of names) as USE_* bits; UsageError on unknown names."""
    if text is None:
        return 0
    names = text.split(",") if isinstance(text, str) else list(text)
    bits = 0
    for raw in names:
        name = raw.strip().lower().replace("_", "-")
        if not name:
            continue
        if name == "all":
            bits |= ALL_USES
            continue
        if name not in USES:
            known = ", ".join([*USES, "all"])
            raise UsageError(f"unknown use {raw.strip()!r} (known: {known})")
        bits |= USES[name]
    return bits


def format_uses(bits: int) -> list[str]:
    """USE_* bits as names, in table order."""
    return [name for name, bit in USES.items() if bits & bit]


def parse_amount(text: str, *, what: str = "amount", default_unit: str = "eth") -> int:
    """An amount of native currency as wei: `0.01`, `0.01 ETH`, `5 gwei`, `1000wei`.

    A bare number is in whole units (ether's 18 decimals, like NUM and AVAX).
    UsageError for negative, non-numeric, over-precise or too large amounts.
    """
    if text.strip().startswith("-"):
        raise UsageError(f"{what} must not be negative: {text!r}")
    match = _AMOUNT.match(text)
    unit = (match.group(2) if match else "").lower() or default_unit
    if match is None or unit not in _UNITS:
        raise UsageError(
            f"{what} {text!r} is not an amount (e.g. 0.01, 0.01 ETH, 5 gwei, 1000 wei)"
        )
    try:
        value = Decimal(match.group(1)) * (Decimal(10) ** _UNITS[unit])
    except InvalidOperation:
        raise UsageError(f"{what} {text!r} is not a number") from None
    if value != value.to_integral_value():
        raise UsageError(f"{what} {text!r} has more decimals than the currency (wei is the unit)")
    wei = int(value)
    if wei > MAX_PRICE_WEI:
        raise UsageError(f"{what} {text!r} is too large (at most {MAX_PRICE_WEI} wei)")
    return wei


def parse_bps(text: str, *, what: str = "basis points") -> int:
    """An integer 0..10000 (`250` = 2.5 %), or a percentage like `2.5%`."""
    raw = text.strip()
    try:
        if raw.endswith("%"):
            value = Decimal(raw[:-1]) * 100
            if value != value.to_integral_value():
                raise UsageError(f"{what} {text!r}: at most two decimals of a percent")
            bps = int(value)
        else:
            bps = int(raw)
    except (ValueError, InvalidOperation):
        raise UsageError(f"{what} {text!r} is not a number of basis points (0-10000)") from None
    if not 0 <= bps <= TOTAL_BPS:
        raise UsageError(f"{what} {text!r} is out of range (0-10000 bps, i.e. 0-100 %)")
    return bps


def parse_payees(items: Iterable[str]) -> list[tuple[str, int]]:
    """`ADDR:BPS` items as a plan; UsageError unless addresses are valid and distinct,
    shares positive, at most 16 payees, summing to exactly 10,000."""
    shares: list[tuple[str, int]] = []
    seen: set[str] = set()
    for item in items:
        address, sep, bps_text = item.rpartition(":")
        if not sep or not _ADDRESS.match(address.strip()):
            raise UsageError(f"payee {item!r} is not ADDRESS:BPS (e.g. 0xAbc...:2500)")
        address = address.strip()
        if int(address, 16) == 0:
            raise UsageError(f"payee {address} is the zero address")
        if address.lower() in seen:
            raise UsageError(f"payee {address} appears twice")
        bps = parse_bps(bps_text, what=f"share of {address}")
        if bps == 0:
            raise UsageError(f"payee {address} has a zero share")
        seen.add(address.lower())
        shares.append((address, bps))
    if not shares:
        raise UsageError("a plan needs at least one --payee ADDRESS:BPS")
    if len(shares) > MAX_PAYEES:
        raise UsageError(f"a plan has at most {MAX_PAYEES} payees, not {len(shares)}")
    total = sum(bps for _, bps in shares)
    if total != TOTAL_BPS:
        raise UsageError(f"the shares sum to {total} bps; they must sum to exactly 10000")
    return shares


_DURATION = re.compile(r"(\d+)\s*([smhdw])")


def is_duration(text: str | None) -> bool:
    """Whether an expiry is given as a duration from now (`30d`): each run makes it a
    different moment, so an offer made by an earlier run has another expiry."""
    return text is not None and _DURATION.fullmatch(text.strip().lower()) is not None


def parse_expiry(text: str | None, *, now: int) -> int:
    """An expiry as unix seconds (0: none): `2030-01-31`, an ISO time, `@1893456000`,
    or a duration from now (`30d`, `12h`). UsageError if it is not after `now`."""
    if text is None or text.strip().lower() in ("", "never", "none"):
        return 0
    raw = text.strip()
    duration = _DURATION.fullmatch(raw.lower())
    if duration:
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[duration.group(2)]
        stamp = now + int(duration.group(1)) * seconds
    elif raw.startswith("@") and raw[1:].isdigit():
        stamp = int(raw[1:])
    else:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                day = date.fromisoformat(raw)
                moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            else:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
        except ValueError:
            raise UsageError(
                f"expiry {text!r} is not a date (2030-01-31, 2030-01-31T12:00:00Z, "
                "@UNIXTIME or a duration like 30d)"
            ) from None
        stamp = int(moment.timestamp())
    if stamp <= now:
        shown = datetime.fromtimestamp(stamp, UTC).isoformat()
        raise UsageError(f"expiry {text!r} ({shown}) is in the past")
    if stamp >= 2**64:
        raise UsageError(f"expiry {text!r} is too far in the future")
    return stamp


def token_metadata(
    *,
    nid: str,
    name: str,
    description: str,
    network: str,
    chain_id: int,
    register: str | None,
    registration_commit: str,
    registration_tx: str,
    encoding_format: str | None = None,
) -> bytes:
    """The ERC-721 metadata JSON of a custody token (what tokenURI names on IPFS).

    `image` is `ipfs://<nid>`; `properties` hold the Nid and the registration
    (commit Nid and transaction) that anyone can check against the register.
    Written like trees are (JSON.stringify(value, null, 2)), so the same inputs
    always give the same bytes and the same CID.
    """
    properties: dict[str, Any] = {
        "nid": nid,
        "registrationCommit": registration_commit,
        "registrationTx": registration_tx,
        "network": network,
        "chainId": chain_id,
    }
    if register:
        properties["integrityRegister"] = register
    if encoding_format:
        properties["encodingFormat"] = encoding_format
    value = {
        "name": name,
        "description": description,
        "image": f"ipfs://{nid}",
        "properties": properties,
    }
    return jsjson.stringify(value, indent=2).encode("utf-8")


def action_record(values: Mapping[str, Any]) -> bytes:
    """The JSON a recorded action commit attaches (docs/formats.md), as stored bytes."""
    return jsjson.stringify(dict(values), indent=2).encode("utf-8")
