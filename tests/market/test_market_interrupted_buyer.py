"""A buyer without the asset's history, killed after the purchase left, buys once.

`nit license buy NID OFFER` run outside any repository has no history to
record on, but it must not pay twice either: its purchase is journalled in
the user data dir (`<NIT_DATA_DIR>/market/<network>.journal`, ops.market.recovery)
before it is broadcast. The buy runs as a real process (tests/support/market_crash.py)
that SIGKILLs itself at the points the mint test uses; the same buy run again
must return that purchase and send nothing.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account
from tests.conftest import Nit, ok
from tests.market.conftest import Asset
from tests.market.test_market_interrupted import events, killed
from tests.support.anvil import Anvil

from numbers_cli.chain import ChainClient
from numbers_cli.chain.licenses import LicensesContract


def buyer_nonce(asset: Asset, address: str) -> int:
    """Transactions the node has from `address`, mined or in its pool: a send that
    returned just before the kill may not be mined yet (anvil mines after answering)."""
    with ChainClient(asset.network) as client:
        return client._rpc.call_quantity("eth_getTransactionCount", [address, "pending"])


def licences_held(asset: Asset, address: str, offer_id: int) -> int:
    """The buyer's balance of the offer's licence token (ERC-1155), read from the chain."""
    assert asset.network.licenses is not None
    with ChainClient(asset.network) as client:
        return LicensesContract(client, asset.network.licenses).balance_of(address, offer_id)


@pytest.mark.parametrize(
    ("kill_at", "sent_before"),
    [
        ("journal:1:before", False),  # nothing signed was kept: nothing may have left
        ("journal:1:after", False),  # journalled, never broadcast: the retry sends that one
        ("send:1:after", True),  # broadcast (anvil mines at once), receipt never read
        ("mined:1:after", True),  # mined and read back, nothing settled
        ("settle:1:before", True),  # finished (nothing to record), entry not yet settled
    ],
)
def test_a_buyer_outside_any_repository_killed_mid_purchase_buys_once(
    nit: Nit,
    asset: Asset,
    anvil: Anvil,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kill_at: str,
    sent_before: bool,
) -> None:
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    ok(nit(*offer, "--no-push"))

    where = tmp_path / "buyer"  # no repository here or above (tmp_path is not one)
    where.mkdir()
    buyer = Nit(where)
    key = anvil.keys[2]
    address = str(Account.from_key(key).address)
    monkeypatch.setenv("NIT_PRIVATE_KEY", key)  # the killed process inherits it too
    journal = Path(os.environ["NIT_DATA_DIR"]) / "market" / "devnet.journal"
    buy = ("license", "buy", asset.nid, "1", "--network", "devnet")
    before = buyer_nonce(asset, address)

    killed(where, tmp_path / "buy.log", kill_at, *buy)

    assert buyer_nonce(asset, address) - before == (1 if sent_before else 0)
    assert journal.exists() is (kill_at != "journal:1:before")
    if journal.exists():  # what was signed, kept where only its owner reads it
        assert stat.S_IMODE(journal.stat().st_mode) == 0o600
        assert stat.S_IMODE(journal.parent.stat().st_mode) == 0o700

    again = json.loads(ok(buyer(*buy, "--json")).stdout)

    assert again["recovered"] is (kill_at != "journal:1:before")
    assert again["buyer"] == address and again["record"] is None  # no history to record on
    assert buyer_nonce(asset, address) - before == 1  # one purchase, whatever happened
    assert len(events(asset, asset.network.licenses, "Purchased")) == 1
    assert again["transactions"][0]["hash"].startswith("0x")
    assert licences_held(asset, address, 1) == 1
    assert not journal.exists()

    # A third run says so: one licence sold, held by the buyer; nothing more was sent.
    listed = json.loads(
        ok(buyer("license", "list", asset.nid, "--network", "devnet", "--json")).stdout
    )
    assert listed["offers"][0]["sold"] == 1
    check = json.loads(
        ok(buyer("license", "check", address, asset.nid, "--network", "devnet", "--json")).stdout
    )
    assert (check["licensed"], check["held"]) == (True, [1])
    assert buyer_nonce(asset, address) - before == 1


def test_the_seller_repository_is_not_where_a_foreign_buy_is_journalled(
    nit: Nit, asset: Asset, anvil: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository that does not hold the asset journals nothing of it: the user's
    journal does, and the next buy from there finishes it."""
    photo = str(asset.photo)
    ok(nit("mint", photo, "--no-push"))
    offer = ("license", "offer", photo, "--price", "1000 wei", "--supply", "5", "--terms", "mit")
    ok(nit(*offer, "--no-push"))
    other = tmp_path / "other-repo"
    other.mkdir()
    elsewhere = Nit(other)
    ok(elsewhere("init"))
    key = anvil.keys[3]
    address = str(Account.from_key(key).address)
    monkeypatch.setenv("NIT_PRIVATE_KEY", key)
    buy = ("license", "buy", asset.nid, "1", "--network", "devnet")

    killed(other, tmp_path / "buy.log", "send:1:after", *buy)

    assert not (other / ".numbers" / "market").exists()
    assert (Path(os.environ["NIT_DATA_DIR"]) / "market" / "devnet.journal").exists()
    again = json.loads(ok(elsewhere(*buy, "--json")).stdout)
    assert again["recovered"] is True
    assert len(events(asset, asset.network.licenses, "Purchased")) == 1
    assert licences_held(asset, address, 1) == 1
