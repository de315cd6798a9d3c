"""`nit trace` over every version: a parent named by any version's tree links the
assets (and the views say which versions name it), and long histories can be
shown whole in the terminal (`--all-versions`)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import TEST_KEY, Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import made_commit, register_local

from numbers_cli.chain import ChainClient, Network
from numbers_cli.model.nid import Nid
from numbers_cli.repo.repository import Repository


def _nid_of(nit: Nit, name: str) -> str:
    return ok(nit("hash", name)).stdout.split()[0]


def _trace_json(nit: Nit, *args: str) -> dict[str, Any]:
    result = nit("trace", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _edges(report: dict[str, Any]) -> dict[tuple[str, str], list[int]]:
    return {(e["parent"], e["child"]): e["versions"] for e in report["edges"]}


def _write_history(
    repo: Path, asset: str, parents: list[str | None], *, refs: bool = True
) -> list[str]:
    """Versions of `asset` as another client makes them (a tree per version naming the
    given parent), stored here (`nit add` keeps a tracked file's parent); with `refs`
    as this repository's history, else only the objects (as a fetch of trees leaves
    them). Returns the commitData, in order."""
    opened = Repository.find(repo)
    made = []
    with opened.transaction() as txn:
        for i, parent in enumerate(parents):
            extra = {"parentAssetCid": parent} if parent else {}
            commit_data, tree = made_commit(asset, TEST_KEY, note=f"v{i}", tree_extra=extra)
            opened.objects.put_block(Nid.of_bytes(tree), tree)
            data = commit_data.encode()
            opened.objects.put_block(Nid.of_bytes(data), data)
            if refs:
                txn.append_commit(asset, Nid.of_bytes(data))
            made.append(commit_data)
    return made


def test_a_parent_named_by_a_middle_version_or_changed_later_still_links(
    nit: Nit, repo: Path, media: Any, signing_key: str
) -> None:
    media("Canon_40D.jpg", "Nikon_D70.jpg")
    ok(nit("add", "Canon_40D.jpg", "Nikon_D70.jpg"))
    ok(nit("commit", "-m", "two originals"))
    a, b = _nid_of(nit, "Canon_40D.jpg"), _nid_of(nit, "Nikon_D70.jpg")
    # The edit: registered with no parent, then said to derive from A, then from B.
    edit = str(Nid.of_bytes(b"an edit whose parent changed"))
    _write_history(repo, edit, [None, a, b])

    # A's only link to the edit is the edit's middle version: still a descendant.
    report = _trace_json(nit, a)
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert nodes[edit]["role"] == "descendant" and nodes[edit]["foundBy"] == "local"
    assert _edges(report)[(a, edit)] == [1]
    assert [v["parent"] for v in nodes[edit]["versions"]] == [None, a, b]
    # The edit's parents: every version's, and each edge names its versions.
    report = _trace_json(nit, edit)
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert nodes[edit]["parents"] == [a, b]
    assert nodes[a]["role"] == nodes[b]["role"] == "ancestor"
    assert _edges(report) == {(a, edit): [1], (b, edit): [2]}
    # B finds it too (its latest version), and the terminal says which version names whom.
    assert _edges(_trace_json(nit, b))[(b, edit)] == [2]
    text = ok(nit("trace", a)).stdout
    assert re.search(rf"parent {a}\s+named by version #1\b", text), text
    text = ok(nit("trace", edit)).stdout
    assert re.search(rf"parent {b}\s+named by version #2\b", text), text


def _commit_versions(nit: Nit, name: str, count: int) -> None:
    for i in range(count):
        ok(nit("add", name, "-m", f"version {i}"))
        ok(nit("commit", "-m", f"commit {i}"))


def test_long_histories_are_cut_in_the_terminal_unless_all_versions(
    nit: Nit, repo: Path, media: Any, signing_key: str
) -> None:
    media("Canon_40D.jpg")
    _commit_versions(nit, "Canon_40D.jpg", 15)
    short = ok(nit("trace", "Canon_40D.jpg")).stdout
    assert "versions (15)" in short
    assert "#14 " in short and "#3 " in short and "#2 " not in short and "#0 " not in short
    assert "3 earlier versions not shown (all ok): --all-versions shows them" in short
    full = ok(nit("trace", "Canon_40D.jpg", "--all-versions")).stdout
    assert all(f"#{i} " in full for i in range(15)) and "not shown" not in full
    # --json has them all, with or without the option.
    report = _trace_json(nit, "Canon_40D.jpg")
    assert [v["index"] for v in report["nodes"][0]["versions"]] == list(range(15))
    # The help shows it.
    assert "--all-versions" in ok(nit("trace", "--help")).stdout


def test_the_chain_scan_counts_every_version_too(
    nit: Nit,
    repo: Path,
    media: Any,
    signing_key: str,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg"))
    ok(nit("commit", "-m", "original"))
    a = _nid_of(nit, "Canon_40D.jpg")
    register_local(chain, repo, a, anvil.keys[1])
    ghost = str(Nid.of_bytes(b"a parent nobody registered"))
    # Registered elsewhere: the edit names A only in its middle version, then another
    # parent; a second asset never names a parent. Their trees are here, no refs.
    edit = str(Nid.of_bytes(b"an edit registered on chain elsewhere"))
    plain = str(Nid.of_bytes(b"an asset with no parent at all"))
    items = [(edit, c) for c in _write_history(repo, edit, [None, a, ghost], refs=False)]
    items += [(plain, c) for c in _write_history(repo, plain, [None, None], refs=False)]
    chain.send_commits(items, anvil.keys[2])

    report = _trace_json(nit, a, "--scan-chain")
    nodes = {n["nid"]: n for n in report["nodes"]}
    assert set(nodes) == {a, edit}
    assert nodes[edit]["foundBy"] == "chain-scan" and nodes[edit]["role"] == "descendant"
    assert [v["parent"] for v in nodes[edit]["versions"]] == [None, a, ghost]
    assert _edges(report)[(a, edit)] == [1]
    scan = report["scan"]
    assert (scan["commits"], scan["assets"], scan["derived"]) == (6, 3, 1)
    # The ghost's child is the edit, through its latest version alone.
    report = _trace_json(nit, ghost, "--scan-chain")
    assert _edges(report)[(ghost, edit)] == [2]
    assert report["scan"]["newCommits"] == 0

    # A damaged cache (a torn write, a bad disk: pages overwritten, its header intact)
    # is scanned afresh with a warning, never a traceback, and gives the same answer.
    (cache,) = (repo / ".numbers" / "cache").glob("scan-*.sqlite")
    with sqlite3.connect(cache) as db:  # the WAL folded in, so the pages are the file's
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(cache.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)
    cache.write_bytes(bytes(data))
    again = nit("trace", ghost, "--scan-chain", "--json")
    assert again.exit_code == 0, again.output
    assert "chain-scan cache" in again.stderr and "scanning afresh" in again.stderr
    report = json.loads(again.stdout)
    assert _edges(report)[(ghost, edit)] == [2]
    assert report["scan"]["newCommits"] == 6 and report["scan"]["fromBlock"] == 0


def test_a_scan_cache_of_the_older_layout_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    from numbers_cli.repo.chain_scan import ScanIndex

    path = tmp_path / "scan-devnet.sqlite"
    old = sqlite3.connect(path)  # the first layout: one parent per asset, no user_version
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('register', '31337:0xabc'), ('next_block', '99');"
        "CREATE TABLE commits (block INTEGER, log INTEGER, tx TEXT, nid_hash TEXT,"
        " commit_cid TEXT, tree TEXT, PRIMARY KEY (block, log));"
        "INSERT INTO commits VALUES (1, 0, '0x1', '0xaa', 'c', 't');"
        "CREATE TABLE assets (nid_hash TEXT PRIMARY KEY, nid TEXT, parent TEXT, state TEXT);"
    )
    old.commit()
    old.close()
    with ScanIndex(path) as index:
        assert index.next_block == 0
        assert index.counts() == {
            "commits": 0,
            "assets": 0,
            "derived": 0,
            "unreadable": 0,
            "badParents": 0,
        }
        index.bind("0xabc", 31337)
        index.record([(1, 0, "0x1", "0xaa", "c", "t"), (1, 1, "0x2", "0xbb", "d", "")], 2)
        assert index.unread() == [(1, "0xaa", "t")]  # the non-Numbers commit is never read
    with ScanIndex(path) as index:  # reopened: kept, not rebuilt again
        assert index.next_block == 2 and index.counts()["commits"] == 2


def test_a_tree_missing_at_one_scan_is_read_by_the_next(
    nit: Nit,
    repo: Path,
    media: Any,
    signing_key: str,
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
) -> None:
    """Trees are read with their range of events; one nobody has yet is kept unread
    and tried again by the next scan (before it reads new blocks)."""
    media("Canon_40D.jpg")
    ok(nit("add", "Canon_40D.jpg"))
    ok(nit("commit", "-m", "original"))
    a = _nid_of(nit, "Canon_40D.jpg")
    register_local(chain, repo, a, anvil.keys[1])
    edit = str(Nid.of_bytes(b"an edit whose tree arrives later"))
    commit_data, tree = made_commit(edit, anvil.keys[2], tree_extra={"parentAssetCid": a})
    chain.send_commits([(edit, commit_data)], anvil.keys[2])

    report = _trace_json(nit, a, "--scan-chain")
    assert [n["nid"] for n in report["nodes"]] == [a]
    assert report["scan"]["unreadable"] == 1 and report["scan"]["derived"] == 0

    store = Repository(repo)
    with store.transaction():
        store.objects.put_block(Nid.of_bytes(tree), tree)
    store.close()
    report = _trace_json(nit, a, "--scan-chain")
    assert {n["nid"] for n in report["nodes"]} == {a, edit}
    assert report["scan"]["newCommits"] == 0 and report["scan"]["unreadable"] == 0
    assert _edges(report)[(a, edit)] == [0]
