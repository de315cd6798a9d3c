"""The market journal file (repo.market_journal): what a crashed market command leaves
for the next one, read back whole, however the crash tore it."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from numbers_cli.repo.market_journal import JournalledAction, MarketJournal

SENDER = "0x" + "ab" * 20


def action(action_id: str, name: str = "mint") -> JournalledAction:
    return JournalledAction(
        id=action_id,
        action=name,
        asset="bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
        request=[name, "bafkrei...", None, 0],
        params={"nid": "bafkrei...", "royaltyBps": 250},
        created=1_700_000_000,
    )


def snapshot(index: int, tx_hash: str, raw: str) -> dict[str, Any]:
    return {"from": SENDER, "index": index, "nonce": 7 + index, "hashes": [tx_hash], "raw": raw}


def test_actions_come_back_with_the_newest_snapshot_and_every_hash(tmp_path: Path) -> None:
    journal = MarketJournal(tmp_path, "devnet")
    first = action("a1", "govern-set")
    journal.append(first, [snapshot(0, "0x01", "0xr1"), snapshot(1, "0x02", "0xr2")])
    journal.append(first, [snapshot(0, "0x03", "0xr3")])  # re-sent with higher fees

    (read,) = journal.actions()

    assert read.header() == first.header()
    assert read.sender == SENDER
    assert [s["index"] for s in read.snapshots] == [0, 1]
    assert read.snapshots[0]["hashes"] == ["0x01", "0x03"]
    assert read.snapshots[0]["raw"] == "0xr3"
    assert read.snapshots[1]["hashes"] == ["0x02"]
    mode = stat.S_IMODE(journal.path.stat().st_mode)
    assert mode & 0o077 == 0  # 0600: it holds signed transactions


def test_a_line_torn_by_a_crash_is_ignored_and_later_lines_stay_whole(tmp_path: Path) -> None:
    journal = MarketJournal(tmp_path, "devnet")
    journal.append(action("a1"), [snapshot(0, "0x01", "0xr1")])
    with journal.path.open("a") as file:
        file.write('{"id": "a2", "action": "mint", "asset": "ba')  # died mid-append
    journal.append(action("a3", "license-buy"), [snapshot(0, "0x05", "0xr5")])

    assert [a.id for a in journal.actions()] == ["a1", "a3"]


def test_settling_drops_one_action_and_the_file_with_the_last(tmp_path: Path) -> None:
    journal = MarketJournal(tmp_path, "devnet")
    journal.append(action("a1"), [snapshot(0, "0x01", "0xr1")])
    journal.append(action("a2", "license-offer"), [snapshot(0, "0x02", "0xr2")])

    journal.settle("a1")
    assert [a.id for a in journal.actions()] == ["a2"]
    journal.settle("unknown")  # nothing to do
    assert [a.id for a in journal.actions()] == ["a2"]
    journal.settle("a2")

    assert not journal.path.exists()
    assert journal.actions() == []
    journal.settle("a2")  # settling twice (a crash between record and settle) is harmless


def test_journals_are_per_network(tmp_path: Path) -> None:
    MarketJournal(tmp_path, "devnet").append(action("a1"), [snapshot(0, "0x01", "0xr1")])
    assert MarketJournal(tmp_path, "snow").actions() == []
    assert [a.id for a in MarketJournal(tmp_path, "devnet").actions()] == ["a1"]
