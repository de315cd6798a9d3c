"""Run `nit ARGS` in this process and SIGKILL it at a chosen point of a market action.

    python market_crash.py --kill-at KIND:N:WHEN [--log FILE] -- mint photo.jpg --no-push

KIND is where a recording market command (mint, license offer/buy/close,
royalty plan, govern ...) can die with consequences:
  journal  signed transactions are written to the market journal
  send     a JSON-RPC batch carrying eth_sendRawTransaction goes to the node
  mined    the action's transactions are mined and their receipts read
           (ChainClient.send_calls returns): nothing is recorded yet
  settle   the record commit is written; its journal entry is being settled
The rest (N, WHEN, --log) is kill_switch.py's.
"""

from __future__ import annotations

import sys

from kill_switch import KillSwitch, sends_transactions


def main() -> None:
    from numbers_cli.chain.calls import ContractCalls
    from numbers_cli.chain.rpc import JsonRpc
    from numbers_cli.repo.market_journal import MarketJournal

    switch = KillSwitch()
    switch.wrap(MarketJournal, "append", "journal")
    switch.wrap(JsonRpc, "batch", "send", sends_transactions)
    switch.wrap(ContractCalls, "send_calls", "mined")
    switch.wrap(MarketJournal, "settle", "settle")
    switch.run()


if __name__ == "__main__":
    sys.exit(main())
