"""The `.numbers/` repository: one object owning its layout (objects, refs,
index, lock, journal), so no other module knows where anything lives on disk."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from numbers_cli.errors import (
    ConfigError,
    InvalidFormat,
    NotARepository,
    RepositoryExists,
    RepositoryLocked,
    UsageError,
)
from numbers_cli.fsio import atomic_write
from numbers_cli.model.nid import Nid
from numbers_cli.repo.index import Index
from numbers_cli.repo.lock import Journal, exclusive
from numbers_cli.repo.objects import ObjectStore
from numbers_cli.repo.refs import Refs, RemoteEntry

DIRNAME = ".numbers"
FORMAT_VERSION = "1"
LOCK_TIMEOUT_ENV = "NIT_LOCK_TIMEOUT"  # seconds to wait for another writer (default 5)


def _lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return 5.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{LOCK_TIMEOUT_ENV} must be a number of seconds >= 0, not {raw!r}")
    return value


def find_enclosing(start: Path) -> Path | None:
    """The nearest directory at or above `start` holding a `.numbers/` repository."""
    for candidate in [start, *start.parents]:
        if (candidate / DIRNAME / "format").is_file():
            return candidate
    return None


class Repository:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.dir = workdir / DIRNAME
        self.objects = ObjectStore(self.dir / "objects", self.dir / "tmp")
        self.refs = Refs(self.dir)
        self.journal = Journal(self.dir)
        self.lock_timeout = _lock_timeout()

    # --- creating and finding ------------------------------------------------
    @classmethod
    def init(cls, path: Path, *, allow_nested: bool = False) -> Repository:
        path = path.resolve()
        if (path / DIRNAME).exists():
            raise RepositoryExists(f"{path} is already a nit repository")
        outer = find_enclosing(path.parent)
        if outer is not None and not allow_nested:
            raise RepositoryExists(
                f"{path} is inside the nit repository at {outer}",
                hint="use --nested to create a separate repository here anyway",
            )
        repo = cls(path)
        staging = path / f".numbers-init-{id(repo):x}"
        for sub in ("objects/pack", "refs/heads", "refs/remotes", "tmp"):
            (staging / sub).mkdir(parents=True)
        atomic_write(
            staging / "config.toml", b"# nit repository settings: see `nit config --help`\n"
        )
        atomic_write(staging / "format", f"{FORMAT_VERSION}\n".encode())
        staging.rename(repo.dir)  # appears whole or not at all
        return repo

    @classmethod
    def find(cls, start: Path | None = None) -> Repository:
        start = (start or Path.cwd()).resolve()
        root = find_enclosing(start)
        if root is None:
            raise NotARepository(
                f"not a nit repository (or any parent up to /): {start}",
                hint="run `nit init` first",
            )
        repo = cls(root)
        repo._settle()
        return repo

    def _settle(self) -> None:
        """Finish a write that a killed process left in the journal, if nobody is writing."""
        if self.journal.path.exists():
            with contextlib.suppress(RepositoryLocked), exclusive(self.dir / "lock", 0):
                self.journal.replay()

    # --- reading ---------------------------------------------------------------
    @property
    def monitor_dir(self) -> Path:
        """Where `nit monitor` keeps its fingerprint index and findings (monitor.store)."""
        return self.dir / "monitor"

    def index(self) -> Index:
        return Index.load(self.dir / "index")

    def relpath(self, path: Path) -> str:
        """Path of a working file as stored in the index (relative, '/'-separated)."""
        try:
            return path.resolve().relative_to(self.workdir).as_posix()
        except ValueError:
            raise UsageError(f"{path} is outside the repository at {self.workdir}") from None

    def resolve_asset(self, text: str) -> Nid:
        """An asset Nid from a Nid, a tracked file path, or a short id (`repo.shortid`)."""
        candidate = Path(text)
        if candidate.exists():
            tracked = self.index().tracked.get(self.relpath(candidate))
            if tracked is None:
                raise UsageError(f"{text} is not tracked; `nit add` it first")
            return Nid(tracked.nid)
        try:
            return Nid.parse(text)
        except InvalidFormat:
            from numbers_cli.repo.shortid import expand

            found = expand(self, text)
            if found is not None:
                return found
            raise UsageError(
                f"{text}: no such file, and not a valid Nid or a short id of one here"
            ) from None

    # --- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the write lock; refs and index changes land together when the block ends."""
        with exclusive(self.dir / "lock", self.lock_timeout):
            self.journal.replay()
            self._clear_tmp()
            txn = Transaction(self)
            yield txn
            changes = txn.changes()
            if changes:
                self.journal.write(changes)
                self.journal.apply(changes)

    def record_remote(self, network: str, entries: Iterable[tuple[str, RemoteEntry]]) -> int:
        """Record registered commits in `refs/remotes/<network>/` in one write under
        the lock (for `nit push`: a batch of receipts costs one grouped write, not
        two fsyncs per asset); returns how many were new."""
        with self.transaction():
            return self.refs.record_remote(network, entries)

    @contextlib.contextmanager
    def push_lock(self) -> Iterator[None]:
        """One push at a time (two would race for nonces and both send a commit).

        A lock of its own, not the write lock: a long push must not stop
        `nit add` and `nit commit`; it takes the write lock only briefly to
        record what it registered.
        """
        with exclusive(self.dir / "push.lock", self.lock_timeout):
            yield

    def _clear_tmp(self) -> None:
        """Under the lock no one else is writing, so temp files are leftovers of a crash."""
        tmp = self.dir / "tmp"
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(exist_ok=True)
        for stray in self.dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)


class Transaction:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.index = repo.index()
        self._original_index = self.index.dumps()
        self._refs: dict[str, str | None] = {}

    def history(self, nid: str) -> list[Nid]:
        rel = Refs.head_rel(nid)
        if rel in self._refs:
            return [Nid(c) for c in (self._refs[rel] or "").split()]
        return self.repo.refs.history(nid)

    def append_commit(self, nid: str, commit: Nid) -> None:
        self._refs[Refs.head_rel(nid)] = Refs.render_history([*self.history(nid), commit])

    def set_ref(self, rel: str, text: str | None) -> None:
        self._refs[rel] = text

    def changes(self) -> dict[str, str | None]:
        changes = dict(self._refs)
        index_text = self.index.dumps()
        if index_text != self._original_index:
            changes["index"] = index_text
        return changes
