"""Writing C2PA manifests into media files (c2pa-python, imported lazily).

The adapter takes a manifest definition (built by `numbers_cli.model.c2pa`),
the source stream and checked `Credentials`, and writes the signed copy. It
never reaches the network (no timestamp authority, no remote manifests), and
it asks the SDK to validate what it wrote before returning.
"""

from __future__ import annotations

import json
from typing import IO, Any

from numbers_cli.c2pa_sign.credentials import Credentials, load
from numbers_cli.errors import DataInputError
from numbers_cli.model.c2pa import PARENT_INGREDIENT

__all__ = ["Credentials", "can_embed", "load", "sign"]


def can_embed(mime: str) -> bool:
    import c2pa

    return mime in c2pa.Builder.get_supported_mime_types()


def sign(
    definition: dict[str, Any],
    mime: str,
    source: IO[bytes],
    dest: IO[bytes],
    credentials: Credentials,
    *,
    parent: IO[bytes] | None = None,
    parent_title: str | None = None,
) -> int:
    """Sign `source` into `dest` with `definition`; returns the manifest's size in bytes.

    `parent`: the source again when it already carries a C2PA manifest, added
    as the `parentOf` ingredient so its history stays in the new store.
    """
    import c2pa

    settings = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    try:
        context = c2pa.Context.from_dict(settings)
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(credentials.alg, credentials.chain_pem, credentials.key_pem, None)
        )
        with c2pa.Builder(json.dumps(definition), context) as builder:
            if parent is not None:
                ingredient = {
                    "title": parent_title or "parent",
                    "relationship": "parentOf",
                    "label": PARENT_INGREDIENT,
                }
                builder.add_ingredient(ingredient, mime, parent)
                parent.seek(0)
            manifest = builder.sign(signer, mime, source, dest)
    except c2pa.C2paError as exc:
        raise DataInputError(f"C2PA signing failed: {' '.join(str(exc).split())}") from None
    return len(manifest)
