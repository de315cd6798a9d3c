"""The index: what `nit add` has staged for the next `nit commit`, and which
working-tree files are tracked as which asset.

Kept in the store's `staged` and `tracked` tables and loaded whole into two
dicts, which is what the operations work on; a transaction writes back only the
rows that changed, so adding one file to a repository of 10,000 costs one row,
not a rewrite of the whole index. Entries are replaced, never changed in place:
a `Staged` or `Tracked` object that is the very one loaded is taken as unchanged.

Tracked entries keep what git's index keeps to skip unchanged files with one
`stat`: size, mtime and inode, plus when they were recorded (`seen_ns`), because
a file modified within the same clock tick as it was read ("racily clean", in
git's words) has an mtime that cannot be trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.names import path_bytes, path_text
from numbers_cli.repo.store import Store, repair_hint

VERSION = 2
KINDS = ("new", "update", "derive")
RACY_NS = 2_000_000_000  # mtimes this close to the recording time are not trusted


@dataclass
class Staged:
    nid: str
    kind: str  # new | update | derive
    tree: dict[str, Any]
    path: str | None = None


@dataclass
class Tracked:
    nid: str
    size: int
    mtime_ns: int
    ino: int = 0
    seen_ns: int = 0

    def unchanged(self, size: int, mtime_ns: int, ino: int) -> bool:
        """True if a file with this stat surely still holds what was recorded."""
        return (
            self.ino != 0
            and (size, mtime_ns, ino) == (self.size, self.mtime_ns, self.ino)
            and self.mtime_ns < self.seen_ns - RACY_NS
        )

    def row(self) -> tuple[str, int, int, int, int]:
        return (self.nid, self.size, self.mtime_ns, self.ino, self.seen_ns)


@dataclass
class Index:
    staged: dict[str, Staged] = field(default_factory=dict)
    tracked: dict[str, Tracked] = field(default_factory=dict)
    _loaded_staged: dict[str, Staged] = field(default_factory=dict, repr=False, compare=False)
    _loaded_tracked: dict[str, Tracked] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def staged_row(store: Store, row: tuple[Any, ...]) -> Staged:
        """A `staged` row as a `Staged`, or InvalidFormat naming the damaged entry."""
        nid, kind, tree_text, raw_path = row
        try:
            tree = json.loads(tree_text)
        except (ValueError, TypeError):
            tree = None
        if not isinstance(tree, dict) or kind not in KINDS:
            raise InvalidFormat(
                f"the staged entry {nid} in {store.path} is damaged", hint=repair_hint()
            )
        path = None if raw_path is None else path_text(bytes(raw_path))
        return Staged(str(nid), str(kind), tree, path)

    @staticmethod
    def iter_staged(store: Store) -> Iterator[Staged]:
        """Staged entries one at a time, in staging order (a commit of many needs
        no more than one tree in memory)."""
        for row in store.rows("SELECT nid, kind, tree, path FROM staged ORDER BY seq"):
            yield Index.staged_row(store, row)

    @staticmethod
    def load_tracked(store: Store) -> dict[str, Tracked]:
        """Only the tracked paths (what `nit add` checks stats against before it writes)."""
        return {
            path_text(bytes(raw)): Tracked(str(nid), size, mtime, ino, seen)
            for raw, nid, size, mtime, ino, seen in store.all(
                "SELECT path, nid, size, mtime_ns, ino, seen_ns FROM tracked"
            )
        }

    @classmethod
    def load(cls, store: Store) -> Index:
        staged: dict[str, Staged] = {}
        for row in store.all("SELECT nid, kind, tree, path FROM staged ORDER BY seq"):
            entry = cls.staged_row(store, row)
            staged[entry.nid] = entry
        tracked = {
            path_text(bytes(raw)): Tracked(str(nid), size, mtime, ino, seen)
            for raw, nid, size, mtime, ino, seen in store.all(
                "SELECT path, nid, size, mtime_ns, ino, seen_ns FROM tracked ORDER BY path"
            )
        }
        return cls(staged, tracked, dict(staged), dict(tracked))

    def save(self, store: Store) -> None:
        """Write the rows that differ from what was loaded (inside the caller's transaction)."""
        gone = [nid for nid in self._loaded_staged if nid not in self.staged]
        upserts = []
        for nid, entry in self.staged.items():
            if self._loaded_staged.get(nid) is entry:
                continue
            raw_path = None if entry.path is None else path_bytes(entry.path)
            upserts.append((nid, entry.kind, _dumps(entry.tree), raw_path))
        untracked = [path_bytes(p) for p in self._loaded_tracked if p not in self.tracked]
        tracked = [
            (path_bytes(p), *t.row())
            for p, t in self.tracked.items()
            if self._loaded_tracked.get(p) is not t
        ]
        if not (gone or upserts or untracked or tracked):
            return
        with store.write():
            store.executemany("DELETE FROM staged WHERE nid = ?", [(n,) for n in gone])
            store.executemany(
                "INSERT INTO staged(nid, kind, tree, path) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(nid) DO UPDATE SET kind = excluded.kind, tree = excluded.tree, "
                "path = excluded.path",
                upserts,
            )
            store.executemany("DELETE FROM tracked WHERE path = ?", [(p,) for p in untracked])
            store.executemany(
                "INSERT OR REPLACE INTO tracked(path, nid, size, mtime_ns, ino, seen_ns) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                tracked,
            )
        self._loaded_staged = dict(self.staged)
        self._loaded_tracked = dict(self.tracked)

    def dumps(self) -> str:
        """The index as one JSON document (what format 1 kept in `.numbers/index`)."""
        doc = {
            "version": VERSION,
            "staged": [vars(s) for s in self.staged.values()],
            "tracked": {p: vars(t) for p, t in sorted(self.tracked.items())},
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"

    def paths_by_nid(self) -> dict[str, str]:
        """Asset Nid → a tracked path holding it (the first in path order)."""
        out: dict[str, str] = {}
        for path, tracked in sorted(self.tracked.items()):
            out.setdefault(tracked.nid, path)
        return out

    @staticmethod
    def tracked_path(store: Store, nid: str) -> str | None:
        """The first tracked path (in path order) whose file is `nid`, in one query:
        what `path_of` answers, without loading the whole index (a trace asks per asset)."""
        row = store.one("SELECT path FROM tracked WHERE nid = ? ORDER BY path LIMIT 1", (nid,))
        return None if row is None else path_text(bytes(row[0]))

    def path_of(self, nid: str) -> str | None:
        for path, tracked in self.tracked.items():
            if tracked.nid == nid:
                return path
        return None


def _dumps(tree: dict[str, Any]) -> str:
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
