"""The main path a user takes, end to end through the CLI."""

from __future__ import annotations

import json


def test_init_add_commit_log_verify(nit, repo, media, signing_key):
    media("Canon_40D.jpg", "gps-DSCN0010.jpg")
    added = nit("add", ".", "-m", "Street scene", "--license", "cc-by-4.0", "--json")
    assert added.exit_code == 0, added.output
    assert {a["kind"] for a in json.loads(added.stdout)} == {"new"}
    committed = nit("commit", "-m", "first", "--json")
    assert committed.exit_code == 0, committed.output
    assert len(json.loads(committed.stdout)) == 2
    log = json.loads(nit("log", "--json").stdout)
    assert {e["commit"]["committer"] for e in log} == {signing_key}
    verified = nit("verify", "Canon_40D.jpg")
    assert verified.exit_code == 0, verified.output
    assert "VERIFIED" in verified.stdout
    assert nit("fsck").exit_code == 0
