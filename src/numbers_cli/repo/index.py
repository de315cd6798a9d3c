"""The index: what `nit add` has staged for the next `nit commit`, and which
working-tree files are tracked as which asset.

Kept as one JSON document rewritten atomically: a media repository stages tens
or thousands of files, not millions, and one file keeps updates all-or-nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from numbers_cli.errors import InvalidFormat

VERSION = 1


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


@dataclass
class Index:
    staged: dict[str, Staged] = field(default_factory=dict)
    tracked: dict[str, Tracked] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Index:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        except ValueError as exc:
            raise InvalidFormat(f"{path} is not valid JSON: {exc}") from exc
        if raw.get("version") != VERSION:
            raise InvalidFormat(f"{path}: unsupported index version {raw.get('version')!r}")
        return cls(
            staged={s["nid"]: Staged(**s) for s in raw.get("staged", [])},
            tracked={p: Tracked(**t) for p, t in raw.get("tracked", {}).items()},
        )

    def dumps(self) -> str:
        doc = {
            "version": VERSION,
            "staged": [vars(s) for s in self.staged.values()],
            "tracked": {p: vars(t) for p, t in sorted(self.tracked.items())},
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"

    def path_of(self, nid: str) -> str | None:
        for path, tracked in self.tracked.items():
            if tracked.nid == nid:
                return path
        return None
