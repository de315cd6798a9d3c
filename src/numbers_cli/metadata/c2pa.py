"""Reading the C2PA manifest embedded in a media file (c2pa-python, imported lazily).

The SDK is asked never to reach the network (no remote manifests, no OCSP), so
a read is a pure function of the file and the trust anchors the user gave.
What the manifest says is mapped by `numbers_cli.model.c2pa`.

Three outcomes, kept apart on purpose:
- no manifest (or a type the SDK does not read): `None`;
- a manifest that parses: its claims, with the SDK's validation state, which
  may be `Invalid` (edited pixels, broken signature): callers warn;
- bytes that claim to be a manifest and cannot be parsed (a corrupt JUMBF
  box): `C2paUnreadable`, raised, because nothing can be said about them.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from numbers_cli.errors import DataInputError

if TYPE_CHECKING:  # the mapping is imported by a read that finds a manifest, not by `nit add`
    from numbers_cli.model.c2pa import ManifestClaims

# Media families the SDK may read; the SDK's own list decides within them.
_MEDIA_PREFIXES = ("image/", "video/", "audio/")
_MEDIA_TYPES = frozenset({"application/pdf", "application/mp4", "application/c2pa"})
_LABEL = b"c2pa"  # the JUMBF description label of a manifest store


class C2paUnreadable(DataInputError):
    """A C2PA manifest is present but cannot be parsed."""


def may_carry_manifest(mime: str) -> bool:
    """Cheap test first (no import), then the SDK's list of readable types."""
    if not (mime.startswith(_MEDIA_PREFIXES) or mime in _MEDIA_TYPES):
        return False
    return mime in _supported()


@functools.cache
def _supported() -> frozenset[str]:
    import c2pa

    return frozenset(c2pa.Reader.get_supported_mime_types())


@functools.cache
def _context(trust_anchors: str | None) -> Any:
    import c2pa

    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    if trust_anchors:
        settings["trust"] = {"user_anchors": trust_anchors}
    return c2pa.Context.from_dict(settings)


def read_store(
    stream: IO[bytes], mime: str, name: str, trust_anchors: str | None = None
) -> dict[str, Any] | None:
    """The manifest store of a seekable stream as JSON, or None when it has none."""
    if not may_carry_manifest(mime):
        return None
    import c2pa

    try:
        reader = c2pa.Reader.try_create(mime, stream, None, _context(trust_anchors))
        if reader is None:
            return None
        with reader:
            return json.loads(reader.json())
    except c2pa.C2paError as exc:
        if type(exc).__name__.endswith("NotSupported") or not _has_c2pa_label(stream):
            # The SDK could not parse the container itself (a truncated JPEG...) and
            # nothing in it is labelled C2PA: no manifest, the file's own problem.
            return None
        detail = " ".join(str(exc).split())
        raise C2paUnreadable(f"{name}: its C2PA manifest is corrupt ({detail})") from None


def _has_c2pa_label(stream: IO[bytes]) -> bool:
    """Whether the bytes hold the JUMBF label of a C2PA manifest store ("c2pa").

    Only asked after the SDK failed, to tell a damaged manifest from a file the
    SDK cannot parse for other reasons; read in chunks, any size.
    """
    stream.seek(0)
    tail = b""
    while chunk := stream.read(1 << 20):
        if _LABEL in tail + chunk:
            return True
        tail = chunk[-len(_LABEL) :]
    return False


def read_claims(path: Path, mime: str, trust_anchors: str | None = None) -> ManifestClaims | None:
    """The claims of the file's C2PA manifest, None when it has none; see the module doc."""
    if not may_carry_manifest(mime):
        return None
    with path.open("rb") as stream:
        store = read_store(stream, mime, path.name, trust_anchors)
    if store is None:
        return None
    from numbers_cli.model.c2pa import claims_from_store

    return claims_from_store(store)
