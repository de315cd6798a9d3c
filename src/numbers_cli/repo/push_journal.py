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
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from numbers_cli.fsio import append_lines
from numbers_cli.model import json_input


class PushJournal:
    def __init__(self, repo_dir: Path, network: str) -> None:
        self.path = repo_dir / "push" / f"{network}.journal"
        self._writer: threading.Thread | None = None
        self._failure: BaseException | None = None

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
                entry = json_input.loads(line)
            except json.JSONDecodeError:
                continue  # torn by a crash mid-append: that batch never left
            if isinstance(entry, dict) and "asset" in entry and "commit" in entry:
                entries.append(entry)
        return entries

    def append(self, entries: list[dict[str, Any]]) -> None:
        """Durably add a batch (one fsync), before its transactions are broadcast."""
        if not entries:
            return
        self.path.parent.mkdir(exist_ok=True)
        data = "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries)
        append_lines(self.path, data)

    def append_in_background(self, entries: list[dict[str, Any]]) -> Callable[[], None]:
        """`append` on a thread of its own; returns the wait for it to be durable.

        The push pipeline journals the next window while the chain mines the
        current one, and waits for this before the window leaves: the fsync no
        longer holds up the wait for receipts. Appends stay one at a time, in order.
        """
        self.settle()

        def write() -> None:
            try:
                self.append(entries)
            except BaseException as exc:  # handed to whoever waits
                self._failure = exc

        self._writer = threading.Thread(target=write, name="nit-journal")
        self._writer.start()
        return self.settle

    def settle(self) -> None:
        """Wait for the append in progress, if any; raise what it failed with."""
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def clear(self) -> None:
        self.settle()
        self.path.unlink(missing_ok=True)
