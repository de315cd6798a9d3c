"""The Croissant card (`metadata.json`) and the record layout of a nit dataset.

Croissant 1.0 (MLCommons) is the JSON-LD dataset card that Hugging Face,
Kaggle and OpenML publish. A nit dataset describes one record set, `assets`,
read from `records.jsonl`: one flat JSON object per asset with the fields of
`RECORD_FIELDS` (flat, because Croissant reads JSON Lines as a table: a nested
object would need a second reading method for the same file). The `@context`
is Croissant 1.0's, as mlcroissant 1.1.1 writes it (`croissant-context.json`,
package data). `mlcroissant` loads and validates these cards in the tests.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from numbers_cli.model.usage import TERMS

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
RECORDS_FILE = "records.jsonl"
CARD_FILE = "metadata.json"
FILES_DIR = "files"
RECORD_SET = "assets"

#: (record key, Croissant dataType, description), in record order
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("nid", "sc:Text", "Numbers Nid of the file (IPFS CIDv1)"),
    ("file", "sc:Text", "the file, relative to the dataset, or ipfs://<nid> without files"),
    ("sha256", "sc:Text", "sha256 of the file (the tree's assetSha256)"),
    ("size", "sc:Text", "size of the file in bytes"),
    ("encodingFormat", "sc:Text", "MIME type"),
    ("license", "sc:Text", "licence name"),
    ("licenseDocument", "sc:Text", "licence document URL"),
    ("creator", "sc:Text", "assetCreator"),
    ("abstract", "sc:Text", "description"),
    ("generatedBy", "sc:Text", "AI model that generated the content"),
    ("generatedThrough", "sc:Text", "AI service used"),
    ("digitalSourceType", "sc:Text", "IPTC digital source type"),
    ("parentAssetCid", "sc:Text", "the asset this one derives from"),
    *((key, "sc:Text", f"usage term: {use}") for key, (_, use) in TERMS.items()),
    ("termsSource", "sc:Text", "where the usage terms came from: tree, or chain"),
    ("commit", "sc:Text", "the asset's latest commit (its Nid)"),
    ("assetTreeCid", "sc:Text", "the AssetTree that commit signed"),
    ("committer", "sc:Text", "who signed the commit"),
    ("commitTimestamp", "sc:Text", "when the commit was made (Unix seconds)"),
    ("network", "sc:Text", "chain the commit is registered on"),
    ("chainId", "sc:Text", "that chain's id"),
    ("tx", "sc:Text", "transaction that registered the commit"),
    ("block", "sc:Text", "block of that transaction"),
)
RECORD_KEYS = tuple(key for key, _, _ in RECORD_FIELDS)


@functools.cache
def context() -> dict[str, Any]:
    text = resources.files("numbers_cli.model").joinpath("croissant-context.json").read_text()
    return json.loads(text)


def card(
    *,
    name: str,
    description: str,
    records_sha256: str,
    licenses: Iterable[str],
    date_published: str,
    version: str,
    url: str,
) -> dict[str, Any]:
    """The JSON-LD card of a dataset whose records file hashes to `records_sha256`."""

    def field(key: str, data_type: str, about: str) -> dict[str, Any]:
        return {
            "@type": "cr:Field",
            "@id": f"{RECORD_SET}/{key}",
            "name": key,
            "description": about,
            "dataType": data_type,
            "source": {"fileObject": {"@id": RECORDS_FILE}, "extract": {"column": key}},
        }

    return {
        "@context": context(),
        "@type": "sc:Dataset",
        "name": name,
        "description": description,
        "conformsTo": CONFORMS_TO,
        "citeAs": f"{name}: a dataset of Numbers Protocol assets, {date_published}",
        "url": url,
        "license": sorted(set(licenses)) or ["unknown"],
        "datePublished": date_published,
        "version": version,
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": RECORDS_FILE,
                "name": RECORDS_FILE,
                "description": "one record per asset: Nid, file, terms, commit, chain record",
                "contentUrl": RECORDS_FILE,
                "encodingFormat": "application/jsonlines",
                "sha256": records_sha256,
            }
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET,
                "name": RECORD_SET,
                "description": "registered assets selected by their terms",
                "key": {"@id": f"{RECORD_SET}/nid"},
                "field": [field(*spec) for spec in RECORD_FIELDS],
            }
        ],
    }


def records_sha256(card_doc: dict[str, Any]) -> str | None:
    """The sha256 the card states for `records.jsonl`, if any."""
    for item in card_doc.get("distribution") or []:
        if isinstance(item, dict) and item.get("@id") == RECORDS_FILE:
            value = item.get("sha256")
            return value if isinstance(value, str) else None
    return None
