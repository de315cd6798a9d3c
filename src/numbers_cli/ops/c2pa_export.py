"""`nit export FILE|NID --c2pa OUT`: a copy of an asset's file carrying a signed
C2PA manifest that names its Numbers record.

The manifest (docs/formats.md, "C2PA") holds a `c2pa.actions` assertion and our
own `io.numbersprotocol.nit` assertion: the asset's Nid, its head commit, the
tree, and where that commit is on chain (network, chain id, transaction,
block) when a push recorded it. It is signed with the X.509 key and
certificate of `c2pa.cert` / `c2pa.key`, checked first (`c2pa_sign.credentials`).

The bytes come from the store (every block re-hashed), or from the named file
when its content is the asset's. OUT appears whole or not at all.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from numbers_cli import __version__, c2pa_sign
from numbers_cli.config import Config
from numbers_cli.errors import ConfigError, DataInputError, NitError, NotFound
from numbers_cli.fsio import fsync_dir
from numbers_cli.metadata.c2pa import read_store
from numbers_cli.model.c2pa import export_definition
from numbers_cli.model.nid import Nid
from numbers_cli.ops.ingest import ingest
from numbers_cli.ops.networks import resolve_network
from numbers_cli.ops.trees import iter_file, load_commit, tree_of
from numbers_cli.repo.repository import Repository


@dataclass(frozen=True)
class C2paExport:
    asset: Nid
    commit: Nid
    out: str
    record: dict[str, Any]  # what our assertion carries
    manifest_bytes: int
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "commit": self.commit,
            "out": self.out,
            "assertion": self.record,
            "manifestBytes": self.manifest_bytes,
            "warnings": list(self.warnings),
        }


def credentials(config: Config) -> c2pa_sign.Credentials:
    """The checked signing pair of the config (`c2pa.cert`, `c2pa.key`)."""
    cert, key = str(config.get("c2pa.cert") or ""), str(config.get("c2pa.key") or "")
    if not cert or not key:
        raise ConfigError(
            "no C2PA signing certificate: set c2pa.cert and c2pa.key (PEM files)",
            hint="nit config set c2pa.cert PATH --user; nit config set c2pa.key PATH --user",
        )
    return c2pa_sign.load(Path(cert).expanduser(), Path(key).expanduser())


def chain_record(
    repo: Repository, config: Config, asset: Nid, commit: Nid, network: str | None
) -> tuple[dict[str, Any], list[str]]:
    """Our assertion: the asset, its head commit and that commit's on-chain record."""
    warnings: list[str] = []
    names = [network] if network else [str(config.get("core.network"))]
    remotes = repo.dir / "refs" / "remotes"
    if not network and remotes.is_dir():
        names += sorted(p.name for p in remotes.iterdir() if p.name not in names)
    record: dict[str, Any] = {"nid": asset, "commit": commit}
    for name in names:
        entry = next((e for e in repo.refs.remote_history(name, asset) if e.commit == commit), None)
        if entry is None:
            continue
        try:
            chain_id: int | None = resolve_network(config, name).chain_id
        except NitError:
            chain_id = None
        record.update(network=name, chainId=chain_id, tx=entry.tx_hash, block=entry.block)
        return record, warnings
    warnings.append(
        f"commit {commit} is not known to be on {network or 'any chain'}: the manifest names "
        "no transaction (`nit push` first to include it)"
    )
    return record, warnings


def _source(repo: Repository, asset: Nid, path: Path | None) -> Any:
    """A seekable stream of the asset's bytes (the named file when it is the asset)."""
    if path is not None and ingest(path, None).nid == asset:
        return path.open("rb")
    if not repo.objects.has(asset):
        raise NotFound(f"the file of {asset} is not in this repository; cannot embed a manifest")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    try:
        for piece in iter_file(repo, asset):
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def export_c2pa(
    repo: Repository,
    config: Config,
    target: str,
    out: Path,
    *,
    network: str | None = None,
) -> C2paExport:
    asset = repo.resolve_asset(target)
    history = repo.refs.history(asset)
    if not history:
        raise NotFound(f"{asset} has no commits; `nit commit` it before exporting its record")
    commit = history[-1]
    tree = tree_of(repo, load_commit(repo, commit))
    mime = str(tree.get("encodingFormat"))
    signing = credentials(config)  # checked before any work
    if not c2pa_sign.can_embed(mime):
        raise DataInputError(f"C2PA manifests cannot be embedded in {mime} files")
    record, warnings = chain_record(repo, config, asset, commit, network)
    record["assetTreeCid"] = load_commit(repo, commit).tree_cid
    path = Path(target) if Path(target).is_file() else None
    title = out.name
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    with _source(repo, asset, path) as source:
        has_manifest = read_store(source, mime, title) is not None
        source.seek(0)
        definition = export_definition(
            tree.as_dict(), record, title=title, version=__version__, has_manifest=has_manifest
        )
        try:
            with temp.open("w+b") as dest:
                size = _sign(definition, mime, source, dest, signing, has_manifest, path)
                dest.flush()
                os.fsync(dest.fileno())
            os.replace(temp, out)
            fsync_dir(out.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return C2paExport(asset, commit, str(out), record, size, tuple(warnings))


def _sign(
    definition: dict[str, Any],
    mime: str,
    source: IO[bytes],
    dest: IO[bytes],
    signing: c2pa_sign.Credentials,
    has_manifest: bool,
    path: Path | None,
) -> int:
    if not has_manifest:
        return c2pa_sign.sign(definition, mime, source, dest, signing)
    with tempfile.TemporaryFile() as parent:  # the SDK reads the ingredient separately
        shutil.copyfileobj(source, parent, 1 << 20)
        parent.seek(0)
        source.seek(0)
        title = path.name if path else definition["title"]
        return c2pa_sign.sign(
            definition, mime, source, dest, signing, parent=parent, parent_title=title
        )
