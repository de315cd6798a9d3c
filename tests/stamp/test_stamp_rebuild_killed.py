"""`nit fsck --repair` killed (SIGKILL) at each step of the store rebuild, then run
again: the stamp records saved from the damaged store (their network, the
batch's refs/remotes) end up in the new store whole and once, the damaged store
is set aside once, and the repository is whole (tests/support/repair_crash.py)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from tests.stamp.test_stamp import stamp_json

from numbers_cli.repo.repository import Repository
from numbers_cli.repo.stamps import StampRecords

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def damage_a_page(workdir: Path) -> None:
    """Garble the page of `blocks` (rebuilt from the packs) so that SQLite's
    quick_check fails while the stamp tables still read: a bad disk sector."""
    path = workdir / ".numbers" / "store.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'blocks'").fetchone()
        (size,) = db.execute("PRAGMA page_size").fetchone()
    with path.open("r+b") as f:
        f.seek((root - 1) * size + (100 if root == 1 else 0))
        f.write(b"\xff" * 12)


def run(workdir: Path, *kill: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [*kill, *(["--log", str(log)] if log else [])]
    return subprocess.run(
        [sys.executable, str(SUPPORT / "repair_crash.py"), *args, "--", "fsck", "--repair"],
        cwd=workdir,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_whole(workdir: Path, batch: dict) -> None:
    local = Repository.find(workdir)
    records = StampRecords(local.db)
    (record,) = records.batches()
    assert record.network == "devnet"  # the saved row, not a record re-made from the packs
    assert local.db.one("SELECT network FROM stamp_batches") == ("devnet",)
    assert local.db.one("SELECT count(*) FROM stamps") == (3,)
    assert [e.tx_hash for e in local.refs.remote_history("devnet", record.batch)] == [
        batch["txHash"]
    ]
    aside = sorted(p.name for p in (workdir / ".numbers").glob("store.db.damaged-*[0-9]"))
    assert len(aside) == 1, aside
    assert not (workdir / ".numbers" / "store.rebuild").exists()


def test_a_rebuild_killed_at_any_step_is_finished_by_the_next_repair(
    nit, repo, on_devnet, artifacts, tmp_path
) -> None:
    artifacts(3)
    (batch,) = stamp_json(nit, "-r", "dist")["batches"]
    damage_a_page(repo)
    assert nit("fsck").exit_code == 5
    template = tmp_path / "template"
    shutil.copytree(repo, template)

    log = tmp_path / "steps.log"
    whole = run(repo, log=log)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert_whole(repo, batch)
    steps = [line.split() for line in log.read_text().splitlines()]
    kinds = {kind for kind, _ in steps}
    assert {"create", "reindex", "rows", "note", "replace"} <= kinds, steps

    for n, (kind, number) in enumerate(steps):
        for when in ("before", "after"):
            copy = tmp_path / f"kill-{n}-{when}"
            shutil.copytree(template, copy)
            killed = run(copy, "--kill-at", f"{kind}:{number}:{when}")
            assert killed.returncode < 0, (kind, number, when, killed.stderr)
            again = run(copy)
            assert again.returncode == 0, (kind, number, when, again.stdout + again.stderr)
            assert_whole(copy, batch)
            shutil.rmtree(copy)
