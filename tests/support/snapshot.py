"""What a refused command must not change: every file under some directories, as bytes.

A command that fails with `nit: error: ...` must leave the repository, the
working files and the user's config as they were. `snapshot()` before and
after, and compare. Lock files and the scratch `tmp/` directory are left out:
taking a lock creates its file, and every writer clears `tmp/`, whether or
not it goes on to change anything. The repository's SQLite store is compared
by its content (a dump of its tables): a mere reader may checkpoint the
write-ahead log into the database file, and the log and shared-memory files
change under any reader.
"""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from pathlib import Path

_IGNORED = {"lock", "push.lock", "store.db-wal", "store.db-shm"}


def snapshot(*roots: Path) -> dict[str, tuple[int, bytes]]:
    """`path → (mode, bytes)` of every regular file under `roots` (missing roots: nothing)."""
    found: dict[str, tuple[int, bytes]] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.name in _IGNORED or "tmp" in rel.parts[:2] or not path.is_file():
                continue
            content = _dump(path) if path.name == "store.db" else path.read_bytes()
            found[f"{root.name}/{rel.as_posix()}"] = (stat.S_IMODE(path.stat().st_mode), content)
    return found


def _dump(path: Path) -> bytes:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return "\n".join(db.iterdump()).encode()
