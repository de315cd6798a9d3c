"""What this repository remembers about one IPFS remote: `.numbers/remotes/NAME/`.

Kept apart from the sending (`ops.upload`) because two senders share it: the
resumable object-by-object upload and a stamp batch's one-CAR upload
(`ops.upload_car`). Both must skip what the remote already pinned and record
what it now holds, in the same files, with the same crash rules:

- `pinned`: one CID per line, appended and fsync'ed; a torn last line is ignored;
- `uploads/<cid>`: how many blocks of an interrupted upload the node acknowledged;
- `url`: the URL these records are about; another URL empties them, since what
  the old node held says nothing about the new one.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from numbers_cli.fsio import append_lines, atomic_write, make_dirs
from numbers_cli.ipfs.remote import Remote
from numbers_cli.model.nid import Nid
from numbers_cli.ops.remote_secrets import remote_state_dir
from numbers_cli.repo.repository import Repository

__all__ = ["RemoteState"]


class RemoteState:
    """`.numbers/remotes/NAME/`: CIDs the remote pinned, uploads under way, its URL."""

    def __init__(self, repo: Repository, remote: Remote) -> None:
        self.dir = remote_state_dir(repo.workdir, remote.name)
        self.url = remote.url
        self.pinned_path = self.dir / "pinned"
        self.uploads_dir = self.dir / "uploads"
        stamp = self._read(self.dir / "url")
        if stamp is not None and stamp.strip() != self.url:
            # The name now points at another node: what the old one held says nothing.
            self.pinned_path.unlink(missing_ok=True)
            shutil.rmtree(self.uploads_dir, ignore_errors=True)
            (self.dir / "url").unlink(missing_ok=True)
        self._pinned = self._load_pinned()

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None

    def _load_pinned(self) -> set[str]:
        text = self._read(self.pinned_path)
        if text is None:
            return set()
        # The piece after the last newline is "" or a line torn by a crash: ignored.
        return {line.strip() for line in text.split("\n")[:-1] if line.strip()}

    def _stamp(self) -> None:
        """Write down which URL these records are about (before the first record)."""
        url_file = self.dir / "url"
        if not url_file.exists():
            make_dirs(self.dir)
            atomic_write(url_file, f"{self.url}\n".encode())

    def is_pinned(self, cid: Nid) -> bool:
        return str(cid) in self._pinned

    def record_pinned(self, cid: Nid) -> None:
        """Append `cid` durably; a torn last line left by a crash is closed first."""
        self.record_pinned_many([cid])

    def record_pinned_many(self, cids: Sequence[Nid]) -> None:
        """Append every CID in one write and one fsync (a stamp batch's objects)."""
        self._stamp()
        append_lines(self.pinned_path, "".join(f"{cid}\n" for cid in cids), mode=0o644)
        self._pinned.update(str(cid) for cid in cids)

    def blocks_done(self, cid: Nid) -> int:
        """How many blocks of `cid` (in walk order) the remote acknowledged so far."""
        text = self._read(self.uploads_dir / str(cid))
        try:
            return max(0, int((text or "0").strip()))
        except ValueError:
            return 0

    def save_blocks_done(self, cid: Nid, count: int) -> None:
        self._stamp()
        make_dirs(self.uploads_dir)
        atomic_write(self.uploads_dir / str(cid), f"{count}\n".encode())

    def clear_upload(self, cid: Nid) -> None:
        (self.uploads_dir / str(cid)).unlink(missing_ok=True)
