"""`nit fsck --repair`: rebuild what the packs and the working tree still hold.

Each repair is one sentence in the report. In order:
- `format`: rewritten (the store says which format it is);
- a damaged `store.db`: set aside, and a new one made from the packs plus every
  row of refs and index still readable (then checked again);
- pack headers re-written; pack indexes re-read from the packs; unrecorded
  packs (interrupted writes, a lost index) indexed; missing packs forgotten;
- a corrupt or lost block: stored again from a tracked working file that still
  holds it (a single-block file, or the file a pack belongs to); otherwise its
  index entry is dropped, so that `nit import` or `nit fetch` can bring it back;
- refs: lines that are not Nids dropped; a deleted history re-made from its
  dangling commits, in the order of their timestamps;
- stamp records: a batch in the histories with no record (a lost store.db)
  gets it back from its signed tree and manifest (ops/stamp/recover.py), once
  the histories are back;
- index: damaged staged entries dropped (`nit add` the file again), and the
  staged files whose blocks are gone stored again from the working tree;
- the lineage index of `nit trace` (repo/lineage.py): dropped, rebuilt from
  the refs and the packs by the next trace.
Everything after the store rebuild happens in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from numbers_cli.errors import NitError
from numbers_cli.model.names import path_text, quote_path
from numbers_cli.model.nid import Nid
from numbers_cli.ops.fsck import Findings
from numbers_cli.ops.ingest import ingest, nid_of_file
from numbers_cli.repo.lineage import reset_lineage
from numbers_cli.repo.maintenance import (
    drop_pack,
    finish_rebuild,
    rebuild_store,
    reindex,
    rewrite_header,
    scan,
    write_format,
)
from numbers_cli.repo.packs import BATCH_PREFIX
from numbers_cli.repo.refs import HEADS
from numbers_cli.repo.repository import Repository


def repair_findings(repo: Repository, found: Findings) -> list[str]:
    done: list[str] = []
    if found.format_damaged:
        write_format(repo)
        done.append(f"rewrote {repo.dir / 'format'}")
    if found.store_damaged:
        finished = finish_rebuild(repo)
        if finished is not None:  # a rebuild killed after its new store was whole
            done.append(
                f"finished the interrupted rebuild of {repo.db.path}; the damaged one is "
                f"kept as {finished.name}"
            )
            return done
        aside, saved = rebuild_store(repo)
        kept = ", ".join(f"{n} {table}" for table, n in saved.items() if n) or "nothing"
        done.append(
            f"rebuilt {repo.db.path} from the packs (rows read back: {kept}); "
            f"the damaged one is kept as {aside.name}"
        )
        return done  # checked again, and repaired further, from the new store
    with repo.transaction() as txn:
        _repair_packs(repo, found, done)
        _repair_blocks(repo, found, done)
        _repair_refs(repo, found, done)
        _repair_stamps(repo, found, done)
        _repair_index(repo, txn, found, done)
        reset_lineage(repo.db)  # a derived index: the next `nit trace` rebuilds it
    return done


def _repair_packs(repo: Repository, found: Findings, done: list[str]) -> None:
    for result in found.bad_headers:
        root = result.first if result.name.startswith(BATCH_PREFIX) else None
        if root is None and not result.name.startswith(BATCH_PREFIX):
            root = Nid.parse(result.name).to_bytes()
        if root is not None:
            rewrite_header(result.path, root)
            repo.objects.forget_pack(result.name)
            done.append(f"rewrote the CAR header of {result.path.name}")
    for result in found.bad_index:
        count = reindex(repo.db, result.name, scan(result.name, result.path), replace=True)
        done.append(f"re-indexed {result.path.name} from the pack itself ({count} blocks)")
    for path in found.unrecorded:
        count = reindex(repo.db, path.stem, scan(path.stem, path), replace=False)
        done.append(f"indexed {path.name}, left by an interrupted write ({count} blocks)")
    tracked = _tracked_paths(repo) if found.missing_packs else {}
    for name in found.missing_packs:
        lost = [
            Nid.from_bytes(bytes(cid))
            for (cid,) in repo.db.all(
                "SELECT b.cid FROM blocks b JOIN packs p ON p.id = b.pack WHERE p.name = ?",
                (name,),
            )
        ]
        drop_pack(repo.db, name)
        repo.objects.forget_pack(name)
        done.append(f"forgot the missing pack {name}.car")
        wanted = lost if name.startswith(BATCH_PREFIX) else [Nid(name)]
        for nid in wanted:
            source = _restore_from(repo, nid, tracked.get(str(nid), []))
            if source is not None:
                done.append(f"stored {nid} again from {quote_path(str(source))}")


def _tracked_paths(repo: Repository) -> dict[str, list[Path]]:
    """Asset Nid → working files tracked as it (read from the rows, not the Index)."""
    out: dict[str, list[Path]] = {}
    for raw_path, nid in repo.db.all("SELECT path, nid FROM tracked"):
        out.setdefault(str(nid), []).append(repo.workdir / path_text(bytes(raw_path)))
    return out


def _restore_from(repo: Repository, nid: Nid, candidates: list[Path]) -> Path | None:
    """Store `nid` again from the first working file that still holds it."""
    for path in candidates:
        try:
            if path.is_file() and nid_of_file(path) == nid:
                ingest(path, repo.objects)
                return path
        except NitError:
            continue
    return None


def _repair_blocks(repo: Repository, found: Findings, done: list[str]) -> None:
    if not found.broken_blocks:
        return
    tracked = _tracked_paths(repo)
    restored_packs: set[str] = set()
    for cid, pack in found.broken_blocks.items():
        nid = Nid.from_bytes(cid)
        if pack in restored_packs:
            continue
        if not pack.startswith(BATCH_PREFIX) and pack in tracked:
            drop_pack(repo.db, pack)  # the file's pack is written again, whole
            repo.objects.forget_pack(pack)
            source = _restore_from(repo, Nid(pack), tracked[pack])
            if source is not None:
                restored_packs.add(pack)
                done.append(f"re-wrote pack {pack}.car from {quote_path(str(source))}")
                continue
        repo.db.execute("DELETE FROM blocks WHERE cid = ?", (cid,))
        source = _restore_from(repo, nid, tracked.get(str(nid), []))
        if source is not None:
            done.append(f"stored {nid} again from {quote_path(str(source))}")
        else:
            done.append(
                f"dropped the damaged copy of {nid}: it is not in the working tree "
                "(`nit import` or `nit fetch` can bring it back)"
            )


def _ordered(
    existing: list[Nid], orphans: list[tuple[Nid, int]], stamps: dict[str, int]
) -> list[Nid]:
    """Existing history order kept; each orphan goes before the first later commit."""
    history = list(existing)
    for commit, stamp in sorted(orphans, key=lambda c: c[1]):
        if commit in history:
            continue
        at = next((i for i, c in enumerate(history) if stamps.get(c, 0) > stamp), len(history))
        history.insert(at, commit)
    return history


def _repair_refs(repo: Repository, found: Findings, done: list[str]) -> None:
    for name, kept in found.garbage_refs.items():
        if name[len(HEADS) :] in found.orphans:
            continue  # re-made below, with its dangling commits
        repo.refs.set(name, kept)
        done.append(f"dropped the damaged lines of {name}" if kept else f"removed {name}")
    for asset, orphans in found.orphans.items():
        rel = f"{HEADS}{asset}"
        kept = found.garbage_refs.get(rel, repo.refs.get(rel))
        existing = [Nid(line) for line in (kept or "").split()]
        stamps = {str(c): s for c, s in orphans}
        history = _ordered(existing, orphans, stamps)
        repo.refs.set(rel, "".join(f"{c}\n" for c in history))
        commits = "1 dangling commit" if len(orphans) == 1 else f"{len(orphans)} dangling commits"
        done.append(f"restored {rel} from {commits}")


def _repair_stamps(repo: Repository, found: Findings, done: list[str]) -> None:
    """Stamp records re-made from the packs; looked for again after histories were
    restored (in this transaction), so a lost store needs no extra round."""
    if not (found.unrecorded_batches or found.orphans or found.stamp_orphans):
        return
    from numbers_cli.ops.stamp.recover import record_recovered, unrecorded_batches
    from numbers_cli.repo.stamp_rows import drop_covered_orphans

    for recovered in unrecorded_batches(repo):
        done.append(record_recovered(repo, recovered))
    dropped = drop_covered_orphans(repo.db)
    if dropped:
        done.append(
            f"dropped {dropped} stamp leaf row{'' if dropped == 1 else 's'} whose batch row "
            "was gone (their leaves are in a batch on record)"
        )


def _repair_index(repo: Repository, txn, found: Findings, done: list[str]) -> None:  # type: ignore[no-untyped-def]
    for nid in found.bad_staged:
        repo.db.execute("DELETE FROM staged WHERE nid = ?", (nid,))
        repo.db.execute("DELETE FROM tracked WHERE nid = ?", (nid,))
        done.append(f"dropped the damaged staged entry {nid} (`nit add` its file again)")
    for raw in found.bad_tracked:
        repo.db.execute("DELETE FROM tracked WHERE path = ?", (raw,))
        done.append(f"dropped the damaged tracked entry {quote_path(path_text(raw))}")
    if found.missing_staged:
        tracked = _tracked_paths(repo)
        for nid in found.missing_staged:
            source = _restore_from(repo, Nid(nid), tracked.get(nid, []))
            if source is not None:
                done.append(f"stored the staged {nid} again from {quote_path(str(source))}")
            else:
                repo.db.execute("DELETE FROM staged WHERE nid = ?", (nid,))
                done.append(f"unstaged {nid}: its blocks are gone and no working file holds it")
    del txn
