"""`.numbers/push/<network>.journal`: every commit transaction a push signed, before it left.

Why: a push can die at any moment (Ctrl-C, SIGKILL, the RPC node going away)
between a transaction leaving and nit recording where it was mined. The
journal holds each signed transaction (with its raw bytes, nonce and every
hash it was sent as) so the next push can ask the chain what became of it and
send exactly that transaction again, never a second registration. Lines are
JSON, appended and fsync'ed one batch at a time; a torn last line (a crash
mid-append) is ignored, because the transaction it described had not been
broadcast yet. The file is removed once a push has recorded everything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from numbers_cli.fsio import fsync_dir


class PushJournal:
    def __init__(self, repo_dir: Path, network: str) -> None:
        self.path = repo_dir / "push" / f"{network}.journal"

    def entries(self) -> list[dict[str, Any]]:
        """Journalled transactions, oldest first; each a transaction snapshot plus
        the `asset` and `commit` it registers."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # torn by a crash mid-append: that batch never left
            if isinstance(entry, dict) and "asset" in entry and "commit" in entry:
                entries.append(entry)
        return entries

    def append(self, entries: list[dict[str, Any]]) -> None:
        """Durably add a batch (one fsync), before its transactions are broadcast."""
        if not entries:
            return
        created = not self.path.exists()
        self.path.parent.mkdir(exist_ok=True)
        data = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = "\n" + data  # end a line torn by a crash, so ours stays whole
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
