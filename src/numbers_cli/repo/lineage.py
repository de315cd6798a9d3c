"""The local lineage index in `store.db`: which local asset names which parent.

Why: `nit trace` finds an asset's local descendants. Reading every commit and
tree of the repository on each trace costs time in proportion to the
repository (10,000 unrelated assets: 10,000 commits and trees read to trace a
lineage of three). This index keeps, per local asset and commit, the
`parentAssetCid` its tree names, so the children of an asset are one indexed
query, and a trace reads only what changed since the last one.

Tables (created IF NOT EXISTS on first use, like the stamp tables):
- `lineage (asset, commit_nid, parent, state)`: one row per commit in
  `refs/heads/<asset>`; `state` is `read` (`parent` is the tree's
  parentAssetCid, NULL for none), `unknown` (the commit or its tree could not
  be read here: tried again by each trace) or `bad-parent` (its tree's
  parentAssetCid is not a Nid: nobody's child; that asset's own trace refuses it);
- `lineage_stale (asset)`: assets whose `refs/heads` changed since their rows
  were written. SQLite triggers on `refs` fill it, so every way a head moves
  (add/commit, fetch, import, stamp, market, `fsck --repair`, a future one)
  marks its asset without the writer knowing this index exists.

It holds nothing the packs do not: commits and trees are content-addressed and
the heads are in `refs`. When the tables are missing (a store made before them,
or rebuilt by `nit fsck --repair` after store.db was lost), every asset is
stale and the next trace re-reads them all; `fsck --repair` also resets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from numbers_cli.repo.refs import HEADS
from numbers_cli.repo.store import Store

__all__ = ["LineageIndex", "LineageRow", "reset_lineage"]

#: (commit Nid, parent or None, state) of one commit of an asset.
LineageRow = tuple[str, str | None, str]

_HEADS_END = HEADS[:-1] + chr(ord(HEADS[-1]) + 1)  # 'refs/heads0': the range's end
_CUT = len(HEADS) + 1  # substr() position of the asset in a head's name (1-based)
_IS_HEAD = f"substr({{row}}.name, 1, {len(HEADS)}) = '{HEADS}'"
_ASSET = f"substr({{row}}.name, {_CUT})"
# Not `INSERT OR IGNORE`: `refs` is written by an upsert (`ON CONFLICT DO UPDATE`),
# and SQLite applies the conflict rule of the statement that fires a trigger to the
# trigger's own inserts, so a head moving while already stale failed its commit
# with "UNIQUE constraint failed". An insert that cannot conflict holds under any rule.
_MARK = (
    f"INSERT INTO lineage_stale SELECT {_ASSET} "
    f"WHERE NOT EXISTS (SELECT 1 FROM lineage_stale WHERE asset = {_ASSET})"
)

#: One statement each: trigger bodies hold semicolons, so no splitting on them.
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS lineage_head_added AFTER INSERT ON refs "
    f"WHEN {_IS_HEAD.format(row='NEW')} BEGIN {_MARK.format(row='NEW')}; END",
    "CREATE TRIGGER IF NOT EXISTS lineage_head_moved AFTER UPDATE ON refs "
    f"WHEN {_IS_HEAD.format(row='NEW')} BEGIN {_MARK.format(row='NEW')}; END",
    "CREATE TRIGGER IF NOT EXISTS lineage_head_removed AFTER DELETE ON refs "
    f"WHEN {_IS_HEAD.format(row='OLD')} BEGIN {_MARK.format(row='OLD')}; END",
)
_DROP_TRIGGERS = (
    "DROP TRIGGER IF EXISTS lineage_head_added",
    "DROP TRIGGER IF EXISTS lineage_head_moved",
    "DROP TRIGGER IF EXISTS lineage_head_removed",
)
LINEAGE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS lineage (asset TEXT NOT NULL, commit_nid TEXT NOT NULL, "
    "parent TEXT, state TEXT NOT NULL, PRIMARY KEY (asset, commit_nid)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS lineage_by_parent ON lineage (parent, asset) "
    "WHERE parent IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS lineage_unknown ON lineage (asset) WHERE state = 'unknown'",
    "CREATE TABLE IF NOT EXISTS lineage_stale (asset TEXT PRIMARY KEY) WITHOUT ROWID",
    *_TRIGGERS,
)
_DROP = (
    *_DROP_TRIGGERS,
    "DROP TABLE IF EXISTS lineage",
    "DROP TABLE IF EXISTS lineage_stale",
)
#: Bound parameters per IN (...) query, well under SQLite's limit.
_CHUNK = 500


class LineageIndex:
    """Reads and writes of the lineage tables; the reading of commits and trees is
    the caller's (ops.trace.local), which knows where trees come from."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def exists(self) -> bool:
        row = self.store.one(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'lineage_head_removed'"
        )
        return row is not None

    # -- reading -----------------------------------------------------------------

    def stale(self) -> list[str]:
        """Assets whose rows are out of date (every asset with a head when the index
        does not exist yet)."""
        if not self.exists():
            return [
                str(name)[len(HEADS) :]
                for (name,) in self.store.all(
                    "SELECT name FROM refs WHERE name >= ? AND name < ?", (HEADS, _HEADS_END)
                )
            ]
        return [str(asset) for (asset,) in self.store.all("SELECT asset FROM lineage_stale")]

    def unknown(self) -> dict[str, list[str]]:
        """Asset → its commits whose parent could not be read yet (retried each trace)."""
        found: dict[str, list[str]] = {}
        if not self.exists():
            return found
        for asset, commit in self.store.all(
            "SELECT asset, commit_nid FROM lineage WHERE state = 'unknown'"
        ):
            found.setdefault(str(asset), []).append(str(commit))
        return found

    def rows_of(self, assets: Sequence[str]) -> dict[str, dict[str, LineageRow]]:
        """The stored rows of `assets`, by asset and commit."""
        found: dict[str, dict[str, LineageRow]] = {asset: {} for asset in assets}
        if not assets or not self.exists():
            return found
        for at in range(0, len(assets), _CHUNK):
            chunk = list(assets[at : at + _CHUNK])
            marks = ", ".join("?" * len(chunk))
            for asset, commit, parent, state in self.store.all(
                f"SELECT asset, commit_nid, parent, state FROM lineage WHERE asset IN ({marks})",
                chunk,
            ):
                found[str(asset)][str(commit)] = (
                    str(commit),
                    None if parent is None else str(parent),
                    str(state),
                )
        return found

    def heads(self, assets: Sequence[str]) -> dict[str, str]:
        """The text of `refs/heads/<asset>` of each asset that has one."""
        found: dict[str, str] = {}
        for at in range(0, len(assets), _CHUNK):
            chunk = [f"{HEADS}{asset}" for asset in assets[at : at + _CHUNK]]
            marks = ", ".join("?" * len(chunk))
            for name, value in self.store.all(
                f"SELECT name, value FROM refs WHERE name IN ({marks})", chunk
            ):
                found[str(name)[len(HEADS) :]] = str(value)
        return found

    def children(self, parent: str) -> list[str]:
        """Local assets any of whose read trees names `parent`, by Nid."""
        if not self.exists():
            return []
        return [
            str(asset)
            for (asset,) in self.store.all(
                "SELECT DISTINCT asset FROM lineage WHERE parent = ? AND state = 'read' "
                "ORDER BY asset",
                (parent,),
            )
        ]

    # -- writing (inside the caller's write lock) ----------------------------------

    def ensure(self) -> None:
        """Create the tables and triggers if missing; a new index starts with every
        asset stale. Joins (or opens) a write transaction."""
        with self.store.write():
            if self.exists():
                self._replace_old_triggers()
                return
            for statement in LINEAGE_SCHEMA:
                self.store.execute(statement)
            self.store.execute(
                f"INSERT OR IGNORE INTO lineage_stale SELECT substr(name, {_CUT}) FROM refs "
                "WHERE name >= ? AND name < ?",
                (HEADS, _HEADS_END),
            )

    def _replace_old_triggers(self) -> None:
        """Triggers made by a nit before `_MARK` was conflict-proof fail a commit
        (see `_MARK`); a store written by such a nit gets the current ones. Its
        stale marks stay: they were right."""
        old = self.store.one(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'lineage_head_%' AND sql LIKE '%OR IGNORE%'"
        )
        if old is None:
            return
        for statement in (*_DROP_TRIGGERS, *_TRIGGERS):
            self.store.execute(statement)

    def save(
        self,
        assets: dict[str, tuple[str | None, Iterable[LineageRow]]],
        retried: Iterable[tuple[str, LineageRow]] = (),
    ) -> list[str]:
        """Write each asset's rows if its head is still the one they were read from
        (`None`: it had no head), and clear its stale mark; `retried` rows (once
        unknown) are updated in place. Returns the assets written."""
        written: list[str] = []
        with self.store.write():
            self.ensure()
            now = self.heads(list(assets))
            for asset, (head, rows) in assets.items():
                if now.get(asset) != head:
                    continue  # moved since it was read: stays stale for the next trace
                self.store.execute("DELETE FROM lineage WHERE asset = ?", (asset,))
                self.store.executemany(
                    "INSERT OR REPLACE INTO lineage VALUES (?, ?, ?, ?)",
                    [(asset, commit, parent, state) for commit, parent, state in rows],
                )
                self.store.execute("DELETE FROM lineage_stale WHERE asset = ?", (asset,))
                written.append(asset)
            self.store.executemany(
                "UPDATE lineage SET parent = ?, state = ? WHERE asset = ? AND commit_nid = ?",
                [(parent, state, asset, commit) for asset, (commit, parent, state) in retried],
            )
        return written


def reset_lineage(store: Store) -> None:
    """Drop the index (`nit fsck --repair`): the next trace rebuilds it from the refs
    and the packs. Joins the caller's write transaction."""
    with store.write():
        for statement in _DROP:
            store.execute(statement)
