"""The monitor index: registered images' fingerprints, behind one interface.

`IndexStore` is what the operations use; `DirectoryIndexStore` keeps it in a
directory (`.numbers/monitor/`, handed over by the repository):

    manifest.json          version, the prints file and its sha256, one entry per
                           image asset and per indexed frame of a video asset
    prints-<sha>.bin       every print, 32 bytes each, in manifest order
    features/<key>.npz     ORB points and descriptors, scale, sizes and a colour thumbnail
                           (key: the Nid, or `<nid>@<ms>` for a video frame)

The manifest is written last and is the commit point: a crash leaves the old
manifest naming the old, intact prints file. Every file is checked against
the sha256 the manifest records when it is read, so a damaged index is
detected (`CorruptIndex`) and the caller rebuilds it rather than matching
against garbage.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from numbers_cli.errors import NitError
from numbers_cli.fsio import atomic_write, flocked, make_dirs
from numbers_cli.model import json_input

if TYPE_CHECKING:
    import numpy as np

    from numbers_cli.monitor.fingerprint import Features, Fingerprint

#: Version 2 added video frames (entries with a `time`); version 1 is still read.
VERSION = 2
MANIFEST = "manifest.json"


class CorruptIndex(NitError):
    """The index's files do not hold together; the caller rebuilds it."""


@dataclass(frozen=True)
class IndexedAsset:
    """An image asset, or one indexed frame of a video asset (`time` in seconds)."""

    nid: str
    first: int  # row of its first print
    count: int  # number of prints
    quality: int
    width: int
    height: int
    features_sha256: str
    time: float | None = None

    @property
    def key(self) -> str:
        """Unique per entry: the Nid, or `<nid>@<milliseconds>` for a video frame."""
        return self.nid if self.time is None else frame_key(self.nid, self.time)


def frame_key(nid: str, time: float) -> str:
    return f"{nid}@{round(time * 1000)}"


@dataclass
class MonitorIndex:
    """The loaded index: all prints (n, 32) uint8, and which entry each row is."""

    assets: dict[str, IndexedAsset]  # by entry key (IndexedAsset.key)
    prints: np.ndarray
    owners: list[str]  # entry key of each print row

    def nids(self) -> set[str]:
        """The assets indexed (a video counts once, however many frames it has)."""
        return {asset.nid for asset in self.assets.values()}

    def __len__(self) -> int:
        return len(self.nids())


class IndexStore(Protocol):
    def load(self) -> MonitorIndex: ...
    def add(self, items: Iterable[tuple[str, Fingerprint]]) -> int: ...
    def add_video(self, nid: str, frames: Iterable[tuple[float, Fingerprint]]) -> int: ...
    def features(self, asset: IndexedAsset) -> tuple[Features, np.ndarray]: ...
    def reset(self) -> None: ...
    def repair(self, nid: str, fp: Fingerprint) -> IndexedAsset: ...


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DirectoryIndexStore:
    """The index in a directory of its own; writers hold its lock file."""

    def __init__(self, root: Path, lock_timeout: float = 5.0) -> None:
        self.root = root
        self.lock_timeout = lock_timeout

    # -- reading -----------------------------------------------------------------

    def exists(self) -> bool:
        return (self.root / MANIFEST).exists()

    def _manifest(self) -> dict:
        try:
            doc = json_input.loads((self.root / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            return {"version": VERSION, "prints": None, "assets": []}
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptIndex(f"{MANIFEST} is not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("version") not in (1, VERSION):
            raise CorruptIndex(f"{MANIFEST} has an unknown format")
        return doc

    def load(self) -> MonitorIndex:
        import numpy as np

        doc = self._manifest()
        try:
            entries = [
                IndexedAsset(
                    str(a["nid"]),
                    int(a["first"]),
                    int(a["count"]),
                    int(a["quality"]),
                    int(a["width"]),
                    int(a["height"]),
                    str(a["features"]),
                    None if a.get("time") is None else float(a["time"]),
                )
                for a in doc["assets"]
            ]
            assets = {entry.key: entry for entry in entries}
            info = doc["prints"]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptIndex(f"{MANIFEST} is malformed ({exc})") from None
        if info is None:
            return MonitorIndex({}, np.zeros((0, 32), np.uint8), [])
        try:
            data = (self.root / str(info["file"])).read_bytes()
            expected, count = str(info["sha256"]), int(info["count"])
        except FileNotFoundError:
            raise CorruptIndex(f"the prints file {info.get('file')} is missing") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptIndex(f"{MANIFEST} is malformed ({exc})") from None
        if _sha256(data) != expected or len(data) != count * 32:
            raise CorruptIndex(f"the prints file {info['file']} does not match its checksum")
        prints = np.frombuffer(data, np.uint8).reshape(count, 32)
        owners = [""] * count
        for asset in assets.values():
            if asset.first < 0 or asset.first + asset.count > count:
                raise CorruptIndex(f"{MANIFEST}: rows of {asset.nid} are out of range")
            owners[asset.first : asset.first + asset.count] = [asset.key] * asset.count
        if "" in owners:
            raise CorruptIndex(f"{MANIFEST}: some prints belong to no asset")
        return MonitorIndex(assets, prints, owners)

    def features(self, asset: IndexedAsset) -> tuple[Features, np.ndarray]:
        """The asset's local features and thumbnail, checked against the manifest."""
        import numpy as np

        from numbers_cli.monitor.fingerprint import Features

        path = self.root / "features" / f"{asset.key}.npz"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CorruptIndex(f"features of {asset.key} are missing") from None
        if _sha256(data) != asset.features_sha256:
            raise CorruptIndex(f"features of {asset.key} do not match their checksum")
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                features = Features(
                    npz["points"],
                    npz["descriptors"],
                    float(npz["scale"]),
                    asset.width,
                    asset.height,
                )
                thumb = npz["thumb"]
        except (OSError, KeyError, ValueError) as exc:
            raise CorruptIndex(f"features of {asset.key} are unreadable ({exc})") from None
        return features, thumb

    # -- writing -------------------------------------------------------------------

    def add(self, items: Iterable[tuple[str, Fingerprint]]) -> int:
        """Add fingerprints of new image assets (already indexed ones are skipped); how many."""
        make_dirs(self.root / "features")
        with flocked(self.root / "lock", self.lock_timeout, _busy):
            doc = self._manifest()
            known = self.load().nids()
            fresh = []
            for nid, fp in dict(items).items():
                if nid not in known:
                    fresh.append(_entry(self.root, nid, fp, None))
            return self._commit(doc, fresh)

    def add_video(self, nid: str, frames: Iterable[tuple[float, Fingerprint]]) -> int:
        """Add a video asset's frames (time in seconds, fingerprint); how many frames.

        Each frame's features are written as it comes, so a long video never has
        more than one frame's fingerprint in memory; the manifest, written last,
        is what makes them part of the index. Nothing is added if the asset is
        already indexed (or has no frames)."""
        make_dirs(self.root / "features")
        entries = [_entry(self.root, nid, fp, time) for time, fp in frames]
        with flocked(self.root / "lock", self.lock_timeout, _busy):
            doc = self._manifest()
            if nid in self.load().nids():
                return 0
            return len(entries) if self._commit(doc, entries) else 0

    def _commit(
        self, doc: dict, entries: list[tuple[dict, np.ndarray]], rewrite: bool = False
    ) -> int:
        """Append entries (manifest entry, prints) to those `doc` lists and write the
        prints, then the manifest; `rewrite` writes even when nothing is appended."""
        import numpy as np

        if not entries and not rewrite:
            return 0
        current = self.load() if doc["assets"] else None
        count = len(current.prints) if current is not None else 0
        rows = [current.prints] if current is not None else [np.zeros((0, 32), np.uint8)]
        listed = list(doc["assets"])
        for entry, prints in entries:
            listed.append({**entry, "first": count, "count": len(prints)})
            rows.append(prints)
            count += len(prints)
        data = np.ascontiguousarray(np.concatenate(rows), dtype=np.uint8).tobytes()
        digest = _sha256(data)
        name = f"prints-{digest[:16]}.bin"
        atomic_write(self.root / name, data)
        old = (doc.get("prints") or {}).get("file")
        manifest = {
            "version": VERSION,
            "prints": {"file": name, "count": count, "sha256": digest},
            "assets": listed,
        }
        atomic_write(self.root / MANIFEST, json.dumps(manifest, indent=1).encode() + b"\n")
        if old and old != name:
            (self.root / old).unlink(missing_ok=True)
        return len({entry["nid"] for entry, _ in entries})

    def repair(self, nid: str, fp: Fingerprint) -> IndexedAsset:
        """Rewrite the features of an indexed image asset whose file was found damaged
        (a video's damaged frame is not repaired here: its asset is indexed again)."""
        make_dirs(self.root / "features")
        with flocked(self.root / "lock", self.lock_timeout, _busy):
            doc = self._manifest()
            blob = _features_blob(fp)
            atomic_write(self.root / "features" / f"{nid}.npz", blob)
            for entry in doc["assets"]:
                if entry.get("nid") == nid and entry.get("time") is None:
                    entry["features"] = _sha256(blob)
            atomic_write(self.root / MANIFEST, json.dumps(doc, indent=1).encode() + b"\n")
        return self.load().assets[nid]

    def forget(self, nid: str) -> None:
        """Take an asset out of the index (a video whose frame's features were found
        damaged: the next `nit monitor index` indexes it again)."""
        with flocked(self.root / "lock", self.lock_timeout, _busy):
            current = self.load()
            listed = [
                (_listed(a), current.prints[a.first : a.first + a.count])
                for a in current.assets.values()
                if a.nid != nid
            ]
            old = {"assets": [], "prints": self._manifest().get("prints")}
            self._commit(old, listed, rewrite=True)

    def reset(self) -> None:
        """Forget everything (a corrupt index is rebuilt from nothing)."""
        make_dirs(self.root)
        with flocked(self.root / "lock", self.lock_timeout, _busy):
            (self.root / MANIFEST).unlink(missing_ok=True)
            for path in self.root.glob("prints-*.bin"):
                path.unlink(missing_ok=True)
            features = self.root / "features"
            if features.is_dir():
                for path in features.iterdir():
                    path.unlink(missing_ok=True)


def _entry(root: Path, nid: str, fp: Fingerprint, time: float | None) -> tuple[dict, np.ndarray]:
    """Write one entry's features file; its manifest entry (rows not yet placed), prints."""
    blob = _features_blob(fp)
    key = nid if time is None else frame_key(nid, time)
    atomic_write(root / "features" / f"{key}.npz", blob)
    entry: dict = {
        "nid": nid,
        "quality": fp.quality,
        "width": fp.features.width,
        "height": fp.features.height,
        "features": _sha256(blob),
    }
    if time is not None:
        entry["time"] = time
    return entry, fp.prints


def _listed(asset: IndexedAsset) -> dict:
    """A loaded entry as the manifest lists it (rows placed again on commit)."""
    entry: dict = {
        "nid": asset.nid,
        "quality": asset.quality,
        "width": asset.width,
        "height": asset.height,
        "features": asset.features_sha256,
    }
    if asset.time is not None:
        entry["time"] = asset.time
    return entry


def _features_blob(fp: Fingerprint) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.savez(
        buffer,
        points=fp.features.points,
        descriptors=fp.features.descriptors,
        scale=np.float64(fp.features.scale),
        thumb=fp.thumb,
    )
    return buffer.getvalue()


def _busy(holder: str) -> NitError:
    from numbers_cli.errors import RepositoryLocked

    return RepositoryLocked(f"another nit process (pid {holder}) is updating the monitor index")
