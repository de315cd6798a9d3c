"""Files added by reference (`nit add --no-copy`): Kubo's filestore, for nit.

A photographer's 200 GB library must not need 400 GB. Such a file's bytes stay
where they are: the store records the file (`files`: repository-relative path,
size, mtime, inode, root Nid) and, per raw leaf, where its bytes sit in the file
(`filed`: CID → file, offset, length). The small dag-pb nodes above the leaves
are stored as ordinary objects (in the transaction's batch pack). Every read
re-hashes the bytes against the CID, so a file that was edited, truncated,
replaced or deleted is reported as such (`ReferenceChanged`, exit 31), never
served as the asset.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from numbers_cli.errors import ReferenceChanged
from numbers_cli.model.nid import Nid
from numbers_cli.repo.store import Store


class ReferenceWriter:
    """The `NidBuilder` sink of a file added by reference: leaves become
    locations, interior nodes become objects; all recorded at `commit`."""

    def __init__(
        self,
        store: Store,
        rel_path: bytes,
        add_block: Callable[[bytes, bytes], bool],
    ) -> None:
        self.store = store
        self.rel_path = rel_path
        self._add_block = add_block
        self._leaves: list[tuple[bytes, int, int]] = []
        self._nodes: list[tuple[bytes, bytes]] = []
        self.blocks = 0

    def leaf(self, cid: bytes, offset: int, length: int) -> None:
        self._leaves.append((cid, offset, length))
        self.blocks += 1

    def __call__(self, cid: bytes, data: bytes | memoryview) -> None:
        """Blocks handed over whole: interior nodes (and, from `NidBuilder.update`, leaves)."""
        if cid[1] == 0x55:  # a raw leaf given whole: its place is the running offset
            offset = self._leaves[-1][1] + self._leaves[-1][2] if self._leaves else 0
            self.leaf(cid, offset, len(data))
        else:
            self._nodes.append((cid, bytes(data)))
            self.blocks += 1

    def commit(self, root: Nid, size: int, mtime_ns: int, ino: int) -> None:
        with self.store.write():
            self.store.execute(
                "INSERT INTO files(root, path, size, mtime_ns, ino) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(root) DO UPDATE SET path = excluded.path, size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, ino = excluded.ino",
                (str(root), self.rel_path, size, mtime_ns, ino),
            )
            row = self.store.one("SELECT id FROM files WHERE root = ?", (str(root),))
            assert row is not None
            self.store.executemany(
                "INSERT INTO filed(cid, file, offset, length) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(cid) DO UPDATE SET file = excluded.file, offset = excluded.offset, "
                "length = excluded.length",
                [(cid, row[0], offset, length) for cid, offset, length in self._leaves],
            )
            for cid, data in self._nodes:
                self._add_block(cid, data)

    def abort(self) -> None:
        self._leaves.clear()
        self._nodes.clear()


class FileReader:
    """Reads referenced bytes from the working tree, keeping a few files open."""

    MAX_OPEN = 8

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._fds: dict[bytes, int] = {}

    def path(self, rel: bytes) -> Path:
        return self.workdir / os.fsdecode(rel)

    def read(self, rel: bytes, offset: int, length: int) -> bytes:
        fd = self._fds.get(rel)
        if fd is None:
            try:
                fd = os.open(self.path(rel), os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise gone(self.path(rel), self.workdir) from None
            except OSError as exc:
                raise ReferenceChanged(
                    f"{display(self.path(rel), self.workdir)} was added by reference and "
                    f"cannot be read now ({exc.strerror})"
                ) from None
            if len(self._fds) >= self.MAX_OPEN:
                os.close(self._fds.pop(next(iter(self._fds))))
            self._fds[rel] = fd
        return os.pread(fd, length, offset)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def display(path: Path, workdir: Path) -> str:
    from numbers_cli.model.names import quote_path

    try:
        return quote_path(path.relative_to(workdir).as_posix())
    except ValueError:
        return quote_path(str(path))


def gone(path: Path, workdir: Path) -> ReferenceChanged:
    return ReferenceChanged(
        f"{display(path, workdir)} was added by reference and is gone",
        hint="put the file back, or `nit add` it again from where it is now",
    )


def changed(path: Path, workdir: Path, cid: Nid) -> ReferenceChanged:
    return ReferenceChanged(
        f"{display(path, workdir)} was added by reference and has changed since "
        f"(block {cid} no longer matches)",
        hint="restore the original, or `nit add` the file again to register the new version",
    )
