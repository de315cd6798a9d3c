"""Run `nit ARGS` in this process and SIGKILL it at a chosen point of a push.

    python push_crash.py --kill-at KIND:N:WHEN [--log FILE] -- push --no-ipfs

KIND is where a push can die with consequences:
  journal  a batch of signed transactions is written to the push journal
  send     a JSON-RPC batch carrying eth_sendRawTransaction goes to the node
  record   mined commits are written to refs/remotes
The rest (N, WHEN, --log) is kill_switch.py's.
"""

from __future__ import annotations

import sys

from kill_switch import KillSwitch, sends_transactions


def main() -> None:
    from numbers_cli.chain.rpc import JsonRpc
    from numbers_cli.ops import push
    from numbers_cli.repo.push_journal import PushJournal

    switch = KillSwitch()
    switch.wrap(PushJournal, "append", "journal")
    switch.wrap(JsonRpc, "batch", "send", sends_transactions)
    switch.wrap(push.Recorder, "flush", "record", lambda self: bool(self._pending))
    switch.run()


if __name__ == "__main__":
    sys.exit(main())
