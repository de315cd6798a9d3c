"""AssetTree: the JSON document describing one version of an asset.

Field order matters: the tree is hashed as `JSON.stringify(tree, null, 2)`, so
keys keep insertion order. New trees start in the order the reference tool
writes them; trees read back keep whatever order they came with, unknown fields
included, so re-serializing a foreign tree reproduces its hash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbers_cli.errors import InvalidFormat, UsageError
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid

# The reference tool's order for the first keys of a new tree.
FIELD_ORDER = (
    "assetCid",
    "assetSha256",
    "encodingFormat",
    "assetTimestampCreated",
    "assetCreator",
    "creatorProfile",
    "creatorWallet",
    "assetLocationCreated",
    "parentAssetCid",
    "generatedBy",
    "generatedThrough",
    "digitalSourceType",
    "usedBy",
    "license",
    "nftRecord",
    "integrityCid",
    "abstract",
    "custom",
)
REQUIRED = ("assetCid", "assetSha256", "encodingFormat")

LICENSES: dict[str, dict[str, str]] = {
    "cc-by-4.0": {
        "name": "CC-BY-4.0",
        "document": "https://creativecommons.org/licenses/by/4.0/legalcode",
    },
    "cc-by-sa-4.0": {
        "name": "CC-BY-SA-4.0",
        "document": "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
    },
    "cc-by-nd-4.0": {
        "name": "CC-BY-ND-4.0",
        "document": "https://creativecommons.org/licenses/by-nd/4.0/legalcode",
    },
    "cc-by-nc-4.0": {
        "name": "CC-BY-NC-4.0",
        "document": "https://creativecommons.org/licenses/by-nc/4.0/legalcode",
    },
    "cc-by-nc-sa-4.0": {
        "name": "CC-BY-NC-SA-4.0",
        "document": "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode",
    },
    "cc-by-nc-nd-4.0": {
        "name": "CC-BY-NC-ND-4.0",
        "document": "https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode",
    },
    "mit": {"name": "MIT", "document": "https://opensource.org/licenses/MIT"},
}

IPTC_SOURCE_TYPES = (
    "digitalCapture",
    "negativeFilm",
    "positiveFilm",
    "print",
    "minorHumanEdits",
    "compositeCapture",
    "algorithmicallyEnhanced",
    "dataDrivenMedia",
    "digitalArt",
    "virtualRecording",
    "compositeSynthetic",
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia",
    "screenCapture",
    "humanEdits",
    "softwareImage",
)
IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"  # compiled by `re` for the first tree with a wallet


def require_url(value: str, what: str) -> str:
    """`value` if it is an absolute http(s) URL with a host; UsageError naming `what` if not.

    For fields the spec types as URLs (`generatedThrough`, a licence's
    `document`), checked where a person types them: trees read from elsewhere
    keep whatever they hold.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"{what} must be an http(s) URL, not {value!r}")
    return value


def license_of(spec: str, document: str | None = None) -> dict[str, str]:
    """A licence object from a short name, or a custom name with its document URL."""
    known = LICENSES.get(spec.lower())
    if known is not None and document is None:
        return dict(known)
    if document is None:
        names = ", ".join(LICENSES)
        raise UsageError(f"unknown licence {spec!r}; use one of {names}, or NAME=URL for your own")
    if not spec.strip():
        raise UsageError(f"a licence needs a name before '=': NAME={document}")
    return {"name": spec, "document": require_url(document, f"the document of licence {spec!r}")}


def source_type_uri(value: str) -> str:
    """Accept an IPTC digitalSourceType code (`digitalCapture`) or its full URI."""
    if value.startswith(("http://", "https://")):
        return value
    for code in IPTC_SOURCE_TYPES:
        if code.lower() == value.lower():
            return IPTC_PREFIX + code
    raise UsageError(
        f"unknown digital source type {value!r}; use one of {', '.join(IPTC_SOURCE_TYPES)}"
    )


@dataclass(frozen=True)
class AssetTree:
    """An immutable, ordered view of a tree's fields."""

    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def new(cls, values: Mapping[str, Any], *, validate: bool = True) -> AssetTree:
        """A tree in the canonical order; `None` values are left out; extra keys follow.

        `validate=False` is for trees made in bulk from values already checked
        (a `nit stamp` batch validates its first tree; the rest share its shape)."""
        known = [(k, values[k]) for k in FIELD_ORDER if values.get(k) is not None]
        extra = [(k, v) for k, v in values.items() if k not in FIELD_ORDER and v is not None]
        tree = cls(tuple(known + extra))
        if validate:
            tree.validate()
        return tree

    @classmethod
    def from_bytes(cls, data: bytes) -> AssetTree:
        value = jsjson.parse(data)
        if not isinstance(value, dict):
            raise InvalidFormat("an AssetTree must be a JSON object")
        tree = cls(tuple(value.items()))
        tree.validate()
        return tree

    def as_dict(self) -> dict[str, Any]:
        return dict(self.fields)

    def get(self, key: str, default: Any = None) -> Any:
        return self.as_dict().get(key, default)

    @property
    def asset_cid(self) -> Nid:
        return Nid(self.get("assetCid"))

    def updated(self, changes: Mapping[str, Any]) -> AssetTree:
        """A copy with `changes` applied. Existing keys keep their place (as the
        reference tool's updateAssetTree does); new keys are appended in canonical
        order; a `None` value removes the key."""
        old = self.as_dict()
        result = {k: changes.get(k, v) for k, v in old.items() if changes.get(k, v) is not None}
        new = {k: v for k, v in changes.items() if v is not None and k not in old}
        for key in FIELD_ORDER:
            if key in new:
                result[key] = new.pop(key)
        result.update(new)
        tree = AssetTree(tuple(result.items()))
        tree.validate()
        return tree

    def to_bytes(self) -> bytes:
        """The bytes that are hashed, signed and stored: JSON.stringify(tree, null, 2)."""
        return jsjson.stringify(self.as_dict(), indent=2).encode("utf-8")

    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def validate(self) -> None:
        values = self.as_dict()
        for key in REQUIRED:
            if key not in values:
                raise InvalidFormat(f"AssetTree lacks required field {key!r}")
        Nid.parse(str(values["assetCid"]))
        if not _HEX64.match(str(values["assetSha256"])):
            raise InvalidFormat("assetSha256 must be 64 lowercase hex characters")
        for key in ("parentAssetCid", "integrityCid", "creatorProfile"):
            if key in values:
                Nid.parse(str(values[key]))
        ts = values.get("assetTimestampCreated")
        if ts is not None and (not isinstance(ts, int) or isinstance(ts, bool)):
            raise InvalidFormat("assetTimestampCreated must be an integer (Unix seconds)")
        wallet = values.get("creatorWallet")
        if wallet is not None and not re.match(_ADDRESS, str(wallet)):
            raise InvalidFormat("creatorWallet must be a 0x address")
        lic = values.get("license")
        if lic is not None and not (isinstance(lic, dict) and "name" in lic):
            raise InvalidFormat("license must be an object with a name (and document)")
