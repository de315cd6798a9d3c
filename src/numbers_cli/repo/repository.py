"""The `.numbers/` repository: one object owning its layout (the store, packs,
lock, format), so no other module knows where anything lives on disk."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from numbers_cli.errors import (
    ConfigError,
    InvalidFormat,
    NotARepository,
    RepositoryDamaged,
    RepositoryExists,
    RepositoryFormatError,
    UsageError,
)
from numbers_cli.fsio import atomic_write
from numbers_cli.model.nid import Nid
from numbers_cli.repo.index import Index, Staged
from numbers_cli.repo.lock import exclusive
from numbers_cli.repo.objects import ObjectStore
from numbers_cli.repo.refs import Refs, RemoteEntry
from numbers_cli.repo.store import DB_NAME, SCHEMA_VERSION, Store, repair_hint

DIRNAME = ".numbers"
FORMAT_VERSION = str(SCHEMA_VERSION)
OLDEST_UPGRADABLE = 1
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
        marker = candidate / DIRNAME
        if (marker / "format").is_file() or (marker / DB_NAME).is_file():
            return candidate
    return None


def read_format(repo_dir: Path) -> int | None:
    """The version in `.numbers/format`; None if the file is missing or not a version."""
    try:
        text = (repo_dir / "format").read_text("ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 6 else None


class Repository:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.dir = workdir / DIRNAME
        self.lock_timeout = _lock_timeout()
        self.db = Store(self.dir, self.lock_timeout)
        self.objects = ObjectStore(self.db, self.dir / "objects", self.dir / "tmp", workdir)
        self.refs = Refs(self.db)

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
        try:
            for sub in ("objects/pack", "tmp"):
                (staging / sub).mkdir(parents=True)
            atomic_write(
                staging / "config.toml", b"# nit repository settings: see `nit config --help`\n"
            )
            Store.create(staging)
            atomic_write(staging / "format", f"{FORMAT_VERSION}\n".encode())
            staging.rename(repo.dir)  # appears whole or not at all
        except BaseException:
            import shutil  # here: shutil imports bz2 and lzma, ~1 ms no other command needs

            shutil.rmtree(staging, ignore_errors=True)
            raise
        return repo

    @classmethod
    def find(cls, start: Path | None = None, *, repairing: bool = False) -> Repository:
        """The repository at or above `start`, refusing a format this nit does not read.

        With `repairing` (`nit fsck --repair`), a damaged format file is let
        through so that it can be rewritten; an unknown version never is.
        """
        start = (start or Path.cwd()).resolve()
        root = find_enclosing(start)
        if root is None:
            raise NotARepository(
                f"not a nit repository (or any parent up to /): {start}",
                hint="run `nit init` first",
            )
        repo = cls(root)
        repo.check_format(repairing=repairing)
        return repo

    def check_format(self, *, repairing: bool = False) -> None:
        version = read_format(self.dir)
        if version == SCHEMA_VERSION:
            return
        if version is None:
            if repairing:
                return
            raise RepositoryDamaged(
                f"{self.dir / 'format'} is damaged or missing: it should hold the "
                f"repository format ({FORMAT_VERSION})",
                hint=repair_hint(),
            )
        if OLDEST_UPGRADABLE <= version < SCHEMA_VERSION:
            raise RepositoryFormatError(
                f"{self.dir} has repository format {version}; this nit uses format "
                f"{FORMAT_VERSION}",
                hint="run `nit upgrade` once to convert it in place",
            )
        raise RepositoryFormatError(
            f"{self.dir} has repository format {version}, which this nit does not know "
            f"(it reads format {FORMAT_VERSION})",
            hint="use a newer nit",
        )

    def close(self) -> None:
        self.objects.close()
        self.db.close()

    # --- reading ---------------------------------------------------------------
    @property
    def monitor_dir(self) -> Path:
        """Where `nit monitor` keeps its fingerprint index and findings (monitor.store)."""
        return self.dir / "monitor"

    def index(self) -> Index:
        return Index.load(self.db)

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
        """Hold the write lock; everything written inside lands together, or nothing."""
        with exclusive(self.dir / "lock", self.lock_timeout):
            self._clear_tmp()
            with self.db.write():
                txn = Transaction(self)
                yield txn
                txn.save()

    def record_remote(self, network: str, entries: Iterable[tuple[str, RemoteEntry]]) -> int:
        """Record registered commits in `refs/remotes/<network>/` in one transaction
        (for `nit push`: a batch of receipts costs one write, not one per asset)."""
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
        if tmp.is_dir() and any(tmp.iterdir()):
            import shutil  # leftovers of a crash only

            shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(exist_ok=True)
        for stray in self.dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)


class Transaction:
    """What a command changes, inside the store's one write transaction.

    Heads moved through `append_commit`/`set_ref` are kept here and written in
    one statement by `save`, just before COMMIT (a commit of 10,000 assets
    moves 10,000 refs); `history` reads them back.
    """

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._index: Index | None = None
        self._refs: dict[str, str | None] = {}
        self._unstaged: list[str] = []

    @property
    def index(self) -> Index:
        """The index, loaded on first use (a push recording refs never needs it)."""
        if self._index is None:
            self._index = self.repo.index()
        return self._index

    def staged(self) -> Iterator[Staged]:
        """What is staged, one entry at a time (from the index if it is loaded)."""
        if self._index is not None:
            yield from list(self._index.staged.values())
        else:
            yield from Index.iter_staged(self.repo.db)

    def has_staged(self) -> bool:
        if self._index is not None:
            return bool(self._index.staged)
        return self.repo.db.one("SELECT 1 FROM staged LIMIT 1") is not None

    def unstage(self, nid: str) -> None:
        """Drop a staged entry (committed); without a loaded index, by row at save."""
        if self._index is not None:
            self._index.staged.pop(nid, None)
        else:
            self._unstaged.append(nid)

    def _ref(self, rel: str) -> str | None:
        return self._refs[rel] if rel in self._refs else self.repo.refs.get(rel)

    def history(self, nid: str) -> list[Nid]:
        rel = Refs.head_rel(nid)
        if rel not in self._refs:
            return self.repo.refs.history(nid)
        return self.repo.refs.parse_history(rel, self._refs[rel] or "")

    def append_commit(self, nid: str, commit: Nid) -> None:
        rel = Refs.head_rel(nid)
        self._refs[rel] = (self._ref(rel) or "") + f"{commit}\n"

    def set_ref(self, rel: str, text: str | None) -> None:
        self._refs[rel] = text

    def save(self) -> None:
        if self._refs:
            self.repo.refs.set_many(self._refs)
            self._refs = {}
        if self._unstaged:
            self.repo.db.executemany(
                "DELETE FROM staged WHERE nid = ?", [(nid,) for nid in self._unstaged]
            )
            self._unstaged = []
        if self._index is not None:
            self._index.save(self.repo.db)
