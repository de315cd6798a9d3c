"""Reverts through nit's own send path: the pipeline's gas estimate catches the
revert, the binding's `explain` decodes it, and the caller gets one domain
error with its exit code, before anything is signed. (The operations check
most of these before even estimating; these tests skip those checks.)"""

from __future__ import annotations

import hashlib

import pytest
from tests.support.anvil import TEST_CHAIN_ID, Anvil
from tests.support.market import address_of, sign_mint

from numbers_cli.chain import ChainClient, Network
from numbers_cli.chain import custody as custody_binding
from numbers_cli.chain import licenses as licenses_binding
from numbers_cli.chain.custody import CustodyContract, token_id
from numbers_cli.chain.licenses import LicensesContract
from numbers_cli.errors import ExitCode, MarketRefused, NotAllowed, NotFound, UsageError

NID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
TERMS = "bafkreidptwydheqfybug4mmnzwzdg4rqxjvg4akl2pwjmrfxhqz33qv4tu"


@pytest.fixture
def bound(mclient: ChainClient, market_net: Network) -> tuple[CustodyContract, LicensesContract]:
    assert market_net.custody and market_net.licenses
    return (
        CustodyContract(mclient, market_net.custody),
        LicensesContract(mclient, market_net.licenses),
    )


def test_reverts_become_domain_errors_before_anything_is_signed(
    mclient: ChainClient, bound: tuple[CustodyContract, LicensesContract], anvil: Anvil
) -> None:
    custody, licenses = bound
    key = anvil.keys[1]
    me = address_of(key)
    digest = hashlib.sha256(b"m").digest()
    mint = custody.mint_call(
        NID, me, digest, 0, me, sign_mint(key, NID, me, TEST_CHAIN_ID, custody.address)
    )
    mclient.send_calls([mint], key, what="mint", explain=custody_binding.explain)
    tid = token_id(NID)
    assert custody.rules(tid).holder == me
    nonce = mclient._rpc.call_quantity("eth_getTransactionCount", [me, "latest"])

    with pytest.raises(MarketRefused, match="already minted") as again:
        mclient.send_calls([mint], key, what="mint", explain=custody_binding.explain)
    assert again.value.exit_code == ExitCode.MARKET_REFUSED
    with pytest.raises(MarketRefused, match="already minted"):
        mclient.estimate_calls([mint], me, what="mint", explain=custody_binding.explain)

    stranger = anvil.keys[2]
    with pytest.raises(NotAllowed, match=f"{me} controls them") as denied:
        mclient.send_calls(
            [custody.set_usage_call(tid, 1)],
            stranger,
            what="rules",
            explain=custody_binding.explain,
        )
    assert denied.value.exit_code == ExitCode.MARKET_NOT_ALLOWED

    mclient.send_calls(
        [custody.set_usage_call(tid, 2)], key, what="rules", explain=custody_binding.explain
    )
    offer = licenses.create_offer_call(tid, TERMS, 1000, 1, 0, 2)
    mclient.send_calls([offer], key, what="offer", explain=licenses_binding.explain)
    with pytest.raises(UsageError, match="costs exactly 1000 wei, not 999 wei"):
        mclient.send_calls(
            [licenses.buy_call(1, 999)], stranger, what="buy", explain=licenses_binding.explain
        )
    with pytest.raises(MarketRefused, match="nothing is due"):
        mclient.send_calls(
            [licenses.withdraw_call()], stranger, what="withdraw", explain=licenses_binding.explain
        )
    with pytest.raises(MarketRefused, match="grants uses"):
        mclient.send_calls(
            [licenses.create_offer_call(tid, TERMS, 1, 1, 0, 1)],
            key,
            what="offer",
            explain=licenses_binding.explain,
        )
    # the custody error Licenses passes on for an asset without a token
    with pytest.raises(NotFound, match="no custody token"):
        mclient.send_calls(
            [licenses.create_offer_call(token_id("bafkreinone"), TERMS, 1, 1, 0, 0)],
            key,
            what="offer",
            explain=licenses_binding.explain,
        )
    # only the two successful transactions were sent
    assert mclient._rpc.call_quantity("eth_getTransactionCount", [me, "latest"]) == nonce + 2


def test_reads_of_what_does_not_exist(bound: tuple[CustodyContract, LicensesContract]) -> None:
    custody, licenses = bound
    with pytest.raises(NotFound, match="no custody token"):
        custody.rules(token_id(NID))
    assert custody.exists(token_id(NID)) is False
    with pytest.raises(NotFound, match="no licence offer 5"):
        licenses.offer(5)
    assert licenses.offers_of(token_id(NID)) == []
    assert licenses.plan(token_id(NID)).shares == ()
    assert licenses.license_of("0x" + "11" * 20, token_id(NID), 0) is None
