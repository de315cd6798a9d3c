"""The push journal written in the background (the pipeline's overlap of the fsync
with the wait for receipts): appends stay in order, and a failed one is raised to
whoever waits, before anything it describes could leave."""

from __future__ import annotations

from pathlib import Path

import pytest

from numbers_cli.repo.push_journal import PushJournal


def _entry(n: int) -> dict[str, object]:
    return {"asset": f"asset-{n}", "commit": f"commit-{n}", "nonce": n}


def test_background_appends_land_whole_and_in_order(tmp_path: Path):
    journal = PushJournal(tmp_path, "devnet")
    waits = [journal.append_in_background([_entry(2 * n), _entry(2 * n + 1)]) for n in range(5)]
    waits[-1]()
    assert [e["nonce"] for e in journal.entries()] == list(range(10))
    journal.clear()
    assert not journal.path.exists()


def test_a_failed_background_append_is_raised_by_the_wait(tmp_path: Path):
    (tmp_path / "push").write_text("a file where the journal's folder should be")
    journal = PushJournal(tmp_path, "devnet")
    wait = journal.append_in_background([_entry(0)])
    with pytest.raises(OSError):
        wait()
    wait()  # raised once; nothing left running
