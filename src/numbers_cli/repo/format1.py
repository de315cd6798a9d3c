"""`nit upgrade`: a format-1 repository converted in place to format 2.

Format 1 (nit up to 0.1) kept one file per small object (`objects/<xx>/<cid>`),
a binary `.idx` next to each pack, one file per ref (`refs/heads/<nid>`,
`refs/remotes/<net>/<nid>`), the index as one JSON file (`index`) and a
`journal` of multi-file writes. Format 2 keeps the packs where they are and
indexes them (from the CARs themselves, not the old `.idx`), puts the loose
objects into one batch pack, and moves refs and the index into `store.db`.

The conversion is restartable: everything new is built in `tmp/upgrade/` and
put in place, then `format` is rewritten (the commit point), then the old
files are removed. Killed before the commit point, the repository is still
format 1 and `nit upgrade` starts over; killed after it, it is format 2 and
`nit upgrade` only finishes removing the old files. Loose objects that no
longer hash to their name are not carried over, and are counted.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.errors import InvalidFormat, RepositoryFormatError
from numbers_cli.fsio import atomic_write, fsync_dir
from numbers_cli.model import json_input
from numbers_cli.model.nid import Nid
from numbers_cli.repo.lock import exclusive
from numbers_cli.repo.packs import BATCH_PREFIX, PackFile
from numbers_cli.repo.repository import FORMAT_VERSION, Repository, read_format
from numbers_cli.repo.store import DB_NAME, SCHEMA_VERSION, Store

UPGRADE_BATCH = f"{BATCH_PREFIX}0-format1"  # one name, so a restarted upgrade overwrites it


@dataclass
class Upgraded:
    from_format: int
    objects: int = 0
    packs: int = 0
    refs: int = 0
    staged: int = 0
    tracked: int = 0
    skipped: int = 0  # loose objects that no longer hashed to their name
    already: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "fromFormat": self.from_format,
            "toFormat": SCHEMA_VERSION,
            "already": self.already,
            "objects": self.objects,
            "packs": self.packs,
            "refs": self.refs,
            "staged": self.staged,
            "tracked": self.tracked,
            "skippedCorrupt": self.skipped,
        }


def upgrade(repo: Repository) -> Upgraded:
    """Convert `repo` to this nit's format (or finish a conversion that was cut short)."""
    version = read_format(repo.dir)
    with exclusive(repo.dir / "lock", repo.lock_timeout):
        if version == SCHEMA_VERSION:
            _remove_old_layout(repo.dir)
            return Upgraded(SCHEMA_VERSION, already=True)
        if version != 1:
            raise RepositoryFormatError(
                f"{repo.dir} has repository format {version}; `nit upgrade` converts format 1",
                hint="use a newer nit" if version else "run `nit fsck --repair` first",
            )
        _replay_journal(repo.dir)
        result = Upgraded(1)
        work = repo.dir / "tmp" / "upgrade"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        Store.create(work)
        store = Store(work)
        try:
            with store.write():
                _packs(repo, store, result)
                batch = _loose_objects(repo, store, result, work)
                _refs(repo.dir, store, result)
                _index(repo.dir, store, result)
                if batch is not None and batch.first is not None:
                    batch.pack_dir = repo.objects.pack_dir  # in place before its index
                    batch.finish(batch.first[0], UPGRADE_BATCH)
                kept = {str(name) for (name,) in store.all("SELECT name FROM packs")}
        finally:
            store.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{work / DB_NAME}{suffix}").unlink(missing_ok=True)
        os.replace(work / DB_NAME, repo.dir / DB_NAME)
        fsync_dir(repo.dir)
        atomic_write(repo.dir / "format", f"{FORMAT_VERSION}\n".encode())  # the commit point
        for pack in repo.objects.pack_dir.glob("*.car"):
            if pack.stem not in kept:  # format 1's interrupted adds: never had an .idx
                pack.unlink()
        _remove_old_layout(repo.dir)
        shutil.rmtree(work, ignore_errors=True)
    return result


def _replay_journal(repo_dir: Path) -> None:
    """Finish a format-1 multi-file write that a killed nit left in `journal`."""
    path = repo_dir / "journal"
    try:
        changes = json_input.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return
    except ValueError:
        path.unlink(missing_ok=True)  # renamed into place whole or never: nothing was begun
        return
    for rel, text in changes.items():
        target = repo_dir / rel
        if text is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, text.encode("utf-8"))
    path.unlink(missing_ok=True)


def _packs(repo: Repository, store: Store, result: Upgraded) -> None:
    """Format-1 packs with their `.idx` (the old commit point), indexed from the CAR."""
    from numbers_cli.repo.maintenance import reindex, scan

    pack_dir = repo.objects.pack_dir
    if not pack_dir.is_dir():
        return
    for idx in sorted(pack_dir.glob("*.idx")):
        pack = idx.with_suffix(".car")
        if pack.is_file():
            reindex(store, pack.stem, scan(pack.stem, pack), replace=False)
            result.packs += 1


def _loose_objects(repo: Repository, store: Store, result: Upgraded, work: Path) -> PackFile | None:
    """Every loose object that still hashes to its name, into one batch pack."""
    root = repo.objects.root
    if not root.is_dir():
        return None
    batch: PackFile | None = None
    pack_id = None
    for shard in sorted(root.iterdir()):
        if shard.name == "pack" or not shard.is_dir():
            continue
        for obj in sorted(shard.iterdir()):
            if obj.name.startswith("."):
                continue
            try:
                nid = Nid.parse(obj.name)
                data = obj.read_bytes()
                intact = nid == obj.name and nid.verify_block(data)
            except (InvalidFormat, OSError):
                intact = False
            if not intact:
                result.skipped += 1
                continue
            key = nid.to_bytes()
            if store.one("SELECT 1 FROM blocks WHERE cid = ?", (key,)):
                continue
            if batch is None:
                batch = PackFile(work, work)
                pack_id = store.execute(
                    "INSERT INTO packs(name) VALUES (?)", (UPGRADE_BATCH,)
                ).lastrowid
            batch(key, data)
            _, offset, length = batch.entries[-1]
            store.execute(
                "INSERT INTO blocks(cid, pack, offset, length) VALUES (?, ?, ?, ?)",
                (key, pack_id, offset, length),
            )
            result.objects += 1
    return batch


def _refs(repo_dir: Path, store: Store, result: Upgraded) -> None:
    refs = repo_dir / "refs"
    if not refs.is_dir():
        return
    for path in sorted(p for p in refs.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = path.relative_to(repo_dir).as_posix()
        store.execute(
            "INSERT OR REPLACE INTO refs(name, value) VALUES (?, ?)",
            (name, path.read_text("utf-8", errors="replace")),
        )
        result.refs += 1


def _index(repo_dir: Path, store: Store, result: Upgraded) -> None:
    from numbers_cli.repo.index import Index, Staged, Tracked

    path = repo_dir / "index"
    try:
        raw = json_input.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return
    except ValueError:
        raw = {}  # a damaged format-1 index: what was staged is added again
    index = Index()
    for entry in raw.get("staged", []) if isinstance(raw, dict) else []:
        try:
            index.staged[entry["nid"]] = Staged(**entry)
        except (TypeError, KeyError):
            continue
    for rel, entry in (raw.get("tracked", {}) if isinstance(raw, dict) else {}).items():
        try:
            index.tracked[rel] = Tracked(entry["nid"], entry["size"], entry["mtime_ns"])
        except (TypeError, KeyError):
            continue
    index.save(store)
    result.staged, result.tracked = len(index.staged), len(index.tracked)


def _remove_old_layout(repo_dir: Path) -> None:
    """What format 1 kept that format 2 does not (after the commit point only)."""
    objects = repo_dir / "objects"
    if objects.is_dir():
        for child in objects.iterdir():
            if child.name != "pack" and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
        pack_dir = objects / "pack"
        if pack_dir.is_dir():
            for idx in pack_dir.glob("*.idx"):
                idx.unlink(missing_ok=True)
    shutil.rmtree(repo_dir / "refs", ignore_errors=True)
    for name in ("index", "journal"):
        (repo_dir / name).unlink(missing_ok=True)
