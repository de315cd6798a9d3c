"""The lineage index of `nit trace` (repo/lineage.py, ops/trace/local.py): local
descendants from store.db, read in proportion to what changed, right whichever
way commits arrive (add/commit, fetch, import, a head written directly) and after
`nit fsck --repair`, with or without the write lock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Nit, ok
from tests.support.anvil import Anvil
from tests.support.chain_history import register_local
from tests.support.ipfs_node import IpfsNode

from numbers_cli.chain import ChainClient, Network
from numbers_cli.fsio import flocked
from numbers_cli.model import jsjson
from numbers_cli.model.commit import Commit
from numbers_cli.model.nid import Nid
from numbers_cli.ops.trace.local import LocalChildren
from numbers_cli.ops.trees import read_file
from numbers_cli.repo.repository import Repository


def add(nit: Nit, name: str, data: bytes, *options: str) -> str:
    """Write, add and commit one file; its Nid."""
    (nit.cwd / name).write_bytes(data)
    (entry,) = json.loads(ok(nit("add", name, *options, "--json")).stdout)
    ok(nit("commit", "-m", f"commit {name}"))
    return str(entry["nid"])


def traced(nit: Nit, nid: str) -> dict[str, dict[str, Any]]:
    result = nit("trace", nid, "--json")
    assert result.exit_code == 0, result.output
    return {n["nid"]: n for n in json.loads(result.stdout)["nodes"]}


class CountingReader:
    """A real parent reader (commit and tree from the store) that counts its reads."""

    def __init__(self, repo: Repository) -> None:
        self.repo, self.read = repo, []

    def __call__(self, commit_nid: str) -> tuple[str | None, str]:
        self.read.append(commit_nid)
        commit = Commit.from_json(self.repo.objects.get(Nid(commit_nid)))
        tree = jsjson.parse(read_file(self.repo, commit.tree_cid))
        parent = tree.get("parentAssetCid")
        return (str(parent) if parent else None), "read"


def local_children(workdir: Path, nid: str) -> tuple[list[str], list[str]]:
    """(children of `nid`, commits read to answer) by a fresh LocalChildren."""
    repo = Repository(workdir)
    try:
        reader = CountingReader(repo)
        return LocalChildren(repo, reader).children(nid), reader.read
    finally:
        repo.close()


def stale(workdir: Path) -> list[str]:
    repo = Repository(workdir)
    try:
        return [str(a) for (a,) in repo.db.all("SELECT asset FROM lineage_stale")]
    finally:
        repo.close()


@pytest.fixture
def lineage(nit: Nit, repo: Path, signing_key: str) -> tuple[str, str]:
    """Twenty unrelated assets, then a parent and one child of it: (parent, child)."""
    for k in range(20):
        (repo / f"other{k}.bin").write_bytes(f"unrelated {k}".encode())
    ok(nit("add", *(f"other{k}.bin" for k in range(20))))
    ok(nit("commit", "-m", "unrelated"))
    parent = add(nit, "parent.bin", b"the original")
    child = add(nit, "child.bin", b"an edit", "--parent", parent)
    return parent, child


def test_reads_only_what_changed_since_the_last_trace(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    parent, child = lineage
    children, read = local_children(repo, parent)  # the first use reads every asset once
    assert children == [child] and len(read) == 22
    assert traced(nit, parent).keys() == {parent, child}
    children, read = local_children(repo, parent)
    assert children == [child] and read == []  # nothing changed: nothing read
    second = add(nit, "child2.bin", b"another edit", "--parent", parent)
    ok(nit("add", "other3.bin", "-m", "a second version of an unrelated asset"))
    ok(nit("commit", "-m", "unrelated again"))
    children, read = local_children(repo, parent)
    assert children == sorted([child, second]) and len(read) == 2  # the two new commits
    assert stale(repo) == []
    nodes = traced(nit, parent)
    assert nodes.keys() == {parent, child, second}
    assert nodes[second]["foundBy"] == "local" and nodes[second]["role"] == "descendant"


def test_a_head_written_or_removed_directly_is_followed(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    """Heads move in many places (fetch, import, stamp, market, fsck): the triggers
    on the refs table mark each one, whoever writes it."""
    parent, child = lineage
    assert traced(nit, parent).keys() == {parent, child}
    store = Repository(repo)
    rel = store.refs.head_rel(child)
    history = store.refs.get(rel)
    with store.transaction():
        store.refs.set(rel, None)
    assert traced(nit, parent).keys() == {parent}
    with store.transaction():
        store.refs.set(rel, history)
    assert traced(nit, parent).keys() == {parent, child}
    store.close()


def test_a_busy_lock_still_gives_the_right_answer_unsaved(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    parent, child = lineage
    traced(nit, parent)
    second = add(nit, "child2.bin", b"another edit", "--parent", parent)
    with flocked(repo / ".numbers" / "lock", 0, RuntimeError):  # another writer
        assert traced(nit, parent).keys() == {parent, child, second}
        assert stale(repo) == [second]  # read, used, not saved
    assert traced(nit, parent).keys() == {parent, child, second}
    assert stale(repo) == []


def test_rebuilt_by_fsck_repair_after_store_db_is_lost(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    parent, child = lineage
    assert traced(nit, parent).keys() == {parent, child}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{repo / '.numbers' / 'store.db'}{suffix}").unlink(missing_ok=True)
    ok(nit("fsck", "--repair"))
    nodes = traced(nit, parent)
    assert nodes.keys() == {parent, child} and nodes[child]["foundBy"] == "local"


def test_fsck_repair_drops_a_damaged_index(nit: Nit, repo: Path, lineage: tuple[str, str]) -> None:
    """Rows no head justifies (a stray write, a bug) are gone after --repair."""
    parent, child = lineage
    traced(nit, parent)
    ghost = str(Nid.of_bytes(b"no such asset"))
    store = Repository(repo)
    with store.db.write():
        store.db.execute("INSERT INTO lineage VALUES (?, ?, ?, 'read')", (ghost, ghost, parent))
    store.close()
    assert ghost in traced(nit, parent)  # the index is believed...
    ok(nit("fsck", "--repair"))
    assert traced(nit, parent).keys() == {parent, child}  # ...until --repair rebuilds it


def test_commits_brought_by_import_are_found(
    nit: Nit, repo: Path, second: Nit, lineage: tuple[str, str], tmp_path: Path
) -> None:
    parent, child = lineage
    ok(nit("export", parent, "--car", str(tmp_path / "parent.car")))
    ok(nit("export", child, "--car", str(tmp_path / "child.car")))
    ok(second("import", str(tmp_path / "parent.car")))
    assert traced(second, parent).keys() == {parent}
    ok(second("import", str(tmp_path / "child.car")))
    nodes = traced(second, parent)
    assert nodes.keys() == {parent, child} and nodes[child]["foundBy"] == "local"


def test_commits_brought_by_fetch_are_found(
    nit: Nit,
    repo: Path,
    second: Nit,
    lineage: tuple[str, str],
    on_chain: Network,
    chain: ChainClient,
    anvil: Anvil,
    ipfs_node: IpfsNode,
) -> None:
    """Another clone fetches the parent, traces it, then fetches the child (its tree
    from the IPFS remote): the child is found without any other step."""
    parent, child = lineage
    ok(nit("remote", "add", "node", ipfs_node.api_url, "--global"))
    ok(nit("push", "--no-chain"))
    for asset in (parent, child):
        register_local(chain, repo, asset, anvil.keys[1])
    ok(second("fetch", parent))
    assert traced(second, parent).keys() == {parent}
    ok(second("fetch", child))
    nodes = traced(second, parent)
    assert nodes.keys() == {parent, child} and nodes[child]["foundBy"] == "local"


def test_an_asset_committed_twice_after_a_trace_commits(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    """A head that moves while already marked stale: `refs` is written by an upsert,
    whose conflict rule SQLite applies to the triggers' inserts too, so an
    `INSERT OR IGNORE` there failed the second commit ("store.db is damaged
    (UNIQUE constraint failed: lineage_stale.asset)"): the README's tour did
    trace, then mint, then `govern set` on one asset."""
    parent, child = lineage
    assert traced(nit, parent).keys() == {parent, child}
    for licence in ("mit", "cc-by-4.0", "mit"):
        ok(nit("add", "child.bin", "--license", licence))
        ok(nit("commit", "-m", licence))
    assert stale(repo) == [child]
    assert traced(nit, parent).keys() == {parent, child}
    assert stale(repo) == []


def test_triggers_of_an_older_nit_are_replaced(
    nit: Nit, repo: Path, lineage: tuple[str, str]
) -> None:
    """A store whose triggers an older nit made (`INSERT OR IGNORE`) gets the new
    ones at the next trace, and its heads move again after it."""
    parent, child = lineage
    assert traced(nit, parent).keys() == {parent, child}
    store = Repository(repo)
    with store.transaction():
        for event, row in (("added", "INSERT"), ("moved", "UPDATE"), ("removed", "DELETE")):
            ref = "OLD" if row == "DELETE" else "NEW"
            store.db.execute(f"DROP TRIGGER lineage_head_{event}")
            store.db.execute(
                f"CREATE TRIGGER lineage_head_{event} AFTER {row} ON refs "
                f"WHEN substr({ref}.name, 1, 11) = 'refs/heads/' BEGIN "
                f"INSERT OR IGNORE INTO lineage_stale VALUES (substr({ref}.name, 12)); END"
            )
    store.close()
    ok(nit("add", "child.bin", "--license", "mit"))
    ok(nit("commit", "-m", "marks it stale"))
    assert traced(nit, parent).keys() == {parent, child}  # replaces the triggers
    for licence in ("cc-by-4.0", "mit"):
        ok(nit("add", "child.bin", "--license", licence))
        ok(nit("commit", "-m", licence))
    assert stale(repo) == [child]
