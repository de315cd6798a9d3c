"""What a file's embedded C2PA manifest, and the usage terms a user gives, add to
the AssetTree that `nit add` stages; and the C2PA line of `nit verify`.

Precedence, lowest first: the file's own metadata (Exif) < its C2PA manifest
< what the user says (options, manifest-file rows). A manifest that fails
validation is recorded (`custom.c2pa.validationState`) with a warning, but none
of its claims become tree fields: a broken signature vouches for nothing.

Links: the file's own `io.numbersprotocol.nit` assertion names the asset it is
a copy of (`nit export --c2pa`), which becomes `parentAssetCid`. Otherwise the
first `parentOf` ingredient whose own manifest names an asset registered in
this repository does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numbers_cli.config import Config
from numbers_cli.errors import ConfigError, InvalidFormat, NitError
from numbers_cli.metadata import sniff_mime
from numbers_cli.metadata.c2pa import (
    C2paUnreadable,
    may_carry_manifest,
    read_claims,
    read_store,
)
from numbers_cli.model import usage
from numbers_cli.model.c2pa import VALID, ManifestClaims, claims_from_store
from numbers_cli.model.nid import Nid
from numbers_cli.model.tree import AssetTree
from numbers_cli.ops.trees import iter_file
from numbers_cli.repo.repository import Repository

C2PA_KEY = "c2pa"  # under the tree's `custom`
_SPOOL_BYTES = 16 << 20  # a stored file is checked from memory up to this size, then from disk


@dataclass(frozen=True)
class Claims:
    """Tree facts from one file's C2PA manifest."""

    fields: dict[str, Any]  # digitalSourceType, generatedBy, parentAssetCid
    custom: dict[str, Any]  # {"c2pa": {...}}
    usage_terms: dict[str, str]
    warnings: tuple[str, ...]


def trust_anchors(config: Config) -> str | None:
    """The PEM text of `c2pa.trust_anchors`, if set."""
    name = str(config.get("c2pa.trust_anchors") or "")
    if not name:
        return None
    try:
        return Path(name).expanduser().read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"c2pa.trust_anchors: cannot read {name}: {exc}") from None


def read_all(repo: Repository, files: Iterable[Path], config: Config) -> dict[Path, Claims]:
    """The claims of every file that carries a C2PA manifest (read-only, before any write)."""
    anchors = trust_anchors(config)
    out: dict[Path, Claims] = {}
    for path in files:
        try:
            manifest = read_claims(path, sniff_mime(path), anchors)
        except OSError as exc:
            raise NitError(f"cannot read {path}: {exc.strerror or exc}") from None
        if manifest is not None:
            out[path] = to_tree(repo, path.name, manifest)
    return out


def _registered(repo: Repository, nid: str | None) -> Nid | None:
    if not nid:
        return None
    try:
        parsed = Nid.parse(nid)
    except InvalidFormat:
        return None
    if repo.refs.history(parsed) or parsed in repo.index().staged:
        return parsed
    return None


def to_tree(repo: Repository, name: str, manifest: ManifestClaims) -> Claims:
    """Map one manifest's claims to tree fields (docs/formats.md, "C2PA")."""
    record: dict[str, Any] = {
        "claimGenerator": manifest.claim_generator,
        "signer": manifest.signer,
        "validationState": manifest.validation_state,
    }
    if manifest.invalid:
        record["failures"] = list(manifest.failures)
        warning = (
            f"{name}: its C2PA manifest fails validation ({', '.join(manifest.failures)}); "
            "recorded, but none of its claims were taken"
        )
        return Claims({}, {C2PA_KEY: _compact(record)}, {}, (warning,))
    record["actions"] = list(manifest.actions) or None
    record["ingredients"] = [
        {"title": i.title, "relationship": i.relationship, "nid": i.nid}
        for i in manifest.ingredients
    ] or None
    warnings: list[str] = []
    parent: str | None = None
    own = manifest.nit or {}
    try:
        parent = Nid.parse(str(own["nid"])) if own.get("nid") else None
    except InvalidFormat:
        warnings.append(f"{name}: its C2PA {own.get('nid')!r} is not a Nid; not linked")
    if own:
        record["nit"] = {k: own.get(k) for k in ("nid", "commit", "chainId", "tx") if own.get(k)}
    if parent is None:
        for ingredient in manifest.ingredients:
            if ingredient.relationship == "parentOf" and ingredient.nid:
                parent = _registered(repo, ingredient.nid)
                if parent is None:
                    warnings.append(
                        f"{name}: C2PA ingredient {ingredient.title!r} names asset "
                        f"{ingredient.nid}, which is not registered here; not linked"
                    )
                else:
                    break
    fields = {
        "digitalSourceType": manifest.digital_source_type,
        "generatedBy": manifest.generated_by,
        "parentAssetCid": parent,
    }
    return Claims(
        {k: v for k, v in fields.items() if v},
        {C2PA_KEY: _compact(record)},
        dict(manifest.usage_terms),
        tuple(warnings),
    )


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, [], {})}


def with_claims(
    explicit: dict[str, Any], claims: Claims | None, terms: Mapping[str, str]
) -> dict[str, Any]:
    """`explicit` tree fields over the C2PA ones; usage terms (explicit over C2PA) in custom."""
    out = {**(claims.fields if claims else {}), **explicit}
    custom = dict(claims.custom) if claims else {}
    custom.update(explicit.get("custom") or {})
    merged = usage.merged(claims.usage_terms if claims else {}, terms)
    if merged:
        custom[usage.TREE_KEY] = merged
    if custom:
        out["custom"] = custom
    return out


def merge_custom(base: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """An update's `custom`: new keys over old, usage terms merged term by term."""
    out = {**(base or {}), **new}
    if usage.TREE_KEY in new and isinstance((base or {}).get(usage.TREE_KEY), Mapping):
        out[usage.TREE_KEY] = usage.merged(base[usage.TREE_KEY], new[usage.TREE_KEY])  # type: ignore[index]
    return out


# --- nit verify ------------------------------------------------------------------


@dataclass(frozen=True)
class C2paCheck:
    """The C2PA line of `nit verify`: informative, never a failure of nit's own chain."""

    state: str  # Trusted | Valid | Invalid | unreadable
    detail: str

    @property
    def warning(self) -> bool:
        return self.state not in (VALID, "Trusted")

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "detail": self.detail, "warning": self.warning}


def check_stream(stream: Any, mime: str, name: str, config: Config) -> C2paCheck | None:
    """The C2PA state of a seekable stream, None when it carries no manifest."""
    try:
        store = read_store(stream, mime, name, trust_anchors(config))
    except C2paUnreadable as exc:
        return C2paCheck("unreadable", exc.message)
    if store is None:
        return None
    manifest = claims_from_store(store)
    state = manifest.validation_state or "unknown"
    failures = [f for f in manifest.failures if f != "signingCredential.untrusted"]
    if failures:
        detail = f"C2PA manifest by {manifest.claim_generator}: {', '.join(failures)}"
    else:
        detail = f"C2PA manifest by {manifest.claim_generator}, signed by {manifest.signer}"
        if "signingCredential.untrusted" in manifest.failures:
            detail += " (signer not in the trust anchors)"
    return C2paCheck(state, detail)


def check_file(repo: Repository, path: Path) -> C2paCheck | None:
    """The C2PA state of a working file."""
    config = Config.load(repo.workdir)
    with path.open("rb") as stream:
        return check_stream(stream, sniff_mime(path), path.name, config)


def check_stored(repo: Repository, nid: Nid, tree: AssetTree | None) -> C2paCheck | None:
    """The C2PA state of an asset's stored file (when its blocks are here)."""
    mime = str(tree.get("encodingFormat")) if tree is not None else ""
    if not repo.objects.has(nid) or not may_carry_manifest(mime):
        return None
    with tempfile.SpooledTemporaryFile(_SPOOL_BYTES) as spool:
        try:
            for piece in iter_file(repo, nid):
                spool.write(piece)
        except NitError:
            return None  # the content checks report it
        spool.seek(0)
        return check_stream(spool, mime, nid, Config.load(repo.workdir))
