"""C2PA manifests as nit reads and writes them: labels, and the mapping of a
manifest store (the JSON `c2pa.Reader.json()` returns) onto AssetTree facts.

Pure functions over plain JSON, so the mapping is tested without the native
library; `metadata.c2pa` reads files, `c2pa_sign` writes them. The table in
docs/formats.md ("C2PA") is this module in prose: keep them together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from numbers_cli.model.tree import IPTC_PREFIX
from numbers_cli.model.usage import C2PA_ENTRY_TO_TERM, VALUES

#: Our own assertion: which Numbers asset, commit and transaction a file carries.
NIT_LABEL = "io.numbersprotocol.nit"
ACTIONS_LABELS = ("c2pa.actions", "c2pa.actions.v2")
TRAINING_LABELS = ("c2pa.training-mining", "cawg.training-mining")

#: digitalSourceType codes meaning "made by a trained model" (IPTC): the action's
#: softwareAgent is then the model, which the tree calls `generatedBy`.
AI_SOURCE_TYPES = frozenset(
    IPTC_PREFIX + code
    for code in ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
)

#: validation states the SDK reports, best first
TRUSTED, VALID, INVALID = "Trusted", "Valid", "Invalid"

_INSTANCE_SUFFIX = re.compile(r"__\d+$")  # a second assertion of a label: "c2pa.actions__1"


@dataclass(frozen=True)
class Ingredient:
    title: str | None
    relationship: str | None  # parentOf | componentOf | inputTo
    nid: str | None  # the Numbers asset its own manifest names (our assertion), if any


@dataclass(frozen=True)
class ManifestClaims:
    """What the active manifest of a file says, in nit's terms."""

    validation_state: str | None  # Trusted | Valid | Invalid
    failures: tuple[str, ...]  # validation failure codes of the active manifest
    claim_generator: str | None
    signer: str | None  # issuer / common name of the signing certificate
    actions: tuple[str, ...]
    digital_source_type: str | None
    generated_by: str | None
    usage_terms: dict[str, str] = field(default_factory=dict)
    nit: dict[str, Any] | None = None  # our assertion, when the file carries one
    ingredients: tuple[Ingredient, ...] = ()

    @property
    def invalid(self) -> bool:
        return self.validation_state == INVALID


def base_label(label: str) -> str:
    return _INSTANCE_SUFFIX.sub("", label)


def _assertions(manifest: Mapping[str, Any], labels: tuple[str, ...]) -> list[Mapping[str, Any]]:
    out = []
    for assertion in manifest.get("assertions") or []:
        if isinstance(assertion, Mapping) and base_label(str(assertion.get("label"))) in labels:
            data = assertion.get("data")
            if isinstance(data, Mapping):
                out.append(data)
    return out


def _agent(value: Any) -> str | None:
    """A softwareAgent or claim_generator_info entry as "name version"."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping) and value.get("name"):
        version = value.get("version")
        return f"{value['name']} {version}" if version else str(value["name"])
    return None


def _claim_generator(manifest: Mapping[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info:
        return _agent(info[0])
    generator = manifest.get("claim_generator")  # claims of version 1
    return generator if isinstance(generator, str) and generator else None


def _signer(manifest: Mapping[str, Any]) -> str | None:
    info = manifest.get("signature_info")
    if not isinstance(info, Mapping):
        return None
    parts = [str(info[k]) for k in ("common_name", "issuer") if info.get(k)]
    return " / ".join(parts) or None


def _usage_terms(manifest: Mapping[str, Any]) -> dict[str, str]:
    terms: dict[str, str] = {}
    for data in _assertions(manifest, TRAINING_LABELS):
        entries = data.get("entries")
        if not isinstance(entries, Mapping):
            continue
        for entry, value in entries.items():
            key = C2PA_ENTRY_TO_TERM.get(str(entry).replace("cawg.", "c2pa.", 1))
            use = value.get("use") if isinstance(value, Mapping) else None
            if key and use in VALUES:
                terms[key] = use
    return terms


def _nit_assertion(manifest: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not manifest:
        return None
    found = _assertions(manifest, (NIT_LABEL,))
    return dict(found[0]) if found else None


def claims_from_store(store: Mapping[str, Any]) -> ManifestClaims:
    """Map a manifest store (Reader.json()) onto nit's terms; see docs/formats.md."""
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) or {}
    actions: list[str] = []
    source_type: str | None = None
    generated_by: str | None = None
    for data in _assertions(active, ACTIONS_LABELS):
        for action in data.get("actions") or []:
            if not isinstance(action, Mapping):
                continue
            actions.append(str(action.get("action")))
            kind = action.get("digitalSourceType")
            if isinstance(kind, str) and kind.startswith(("http://", "https://")):
                source_type = kind  # the last action that names one describes the result
                agent = _agent(action.get("softwareAgent"))
                generated_by = agent if kind in AI_SOURCE_TYPES else None
    ingredients = []
    for ingredient in active.get("ingredients") or []:
        if not isinstance(ingredient, Mapping):
            continue
        own = _nit_assertion(manifests.get(ingredient.get("active_manifest")))
        nid = own.get("nid") if own else None
        ingredients.append(
            Ingredient(
                ingredient.get("title"),
                ingredient.get("relationship"),
                nid if isinstance(nid, str) else None,
            )
        )
    results = store.get("validation_results") or {}
    failures = (results.get("activeManifest") or {}).get("failure") or []
    if not failures and isinstance(store.get("validation_status"), list):
        failures = store["validation_status"]  # older SDKs: one flat list
    return ManifestClaims(
        validation_state=store.get("validation_state"),
        failures=tuple(str(f.get("code")) for f in failures if isinstance(f, Mapping)),
        claim_generator=_claim_generator(active),
        signer=_signer(active),
        actions=tuple(actions),
        digital_source_type=source_type,
        generated_by=generated_by,
        usage_terms=_usage_terms(active),
        nit=_nit_assertion(active),
        ingredients=tuple(ingredients),
    )


# --- writing (nit export --c2pa) ---------------------------------------------------

#: `digitalSourceType` of a `c2pa.created` action when the tree names none.
UNKNOWN_SOURCE = "http://c2pa.org/digitalsourcetype/empty"
#: label of the ingredient that is the file's own earlier manifest
PARENT_INGREDIENT = "nit.parent"


def export_definition(
    tree: Mapping[str, Any],
    record: Mapping[str, Any],
    *,
    title: str,
    version: str,
    has_manifest: bool,
) -> dict[str, Any]:
    """The manifest definition nit signs into an exported copy of an asset.

    - `c2pa.actions`: `c2pa.opened` (the file's own earlier manifest is the
      `parentOf` ingredient) when it already has one, else `c2pa.created`
      with the tree's `digitalSourceType` (and `generatedBy` as the
      softwareAgent when it is AI-made);
    - `io.numbersprotocol.nit`: `record` (Nid, commit, tree, network, chain id, tx);
    - `c2pa.training-mining`: the tree's usage terms that C2PA names.
    """
    from numbers_cli.model.usage import TERMS, of_tree

    if has_manifest:
        action: dict[str, Any] = {
            "action": "c2pa.opened",
            "parameters": {"ingredientIds": [PARENT_INGREDIENT]},
        }
    else:
        source_type = tree.get("digitalSourceType") or UNKNOWN_SOURCE
        action = {"action": "c2pa.created", "digitalSourceType": source_type}
        if source_type in AI_SOURCE_TYPES and tree.get("generatedBy"):
            action["softwareAgent"] = {"name": str(tree["generatedBy"])}
    assertions: list[dict[str, Any]] = [
        {"label": "c2pa.actions", "data": {"actions": [action]}},
        {"label": NIT_LABEL, "data": {k: v for k, v in record.items() if v is not None}},
    ]
    entries = {
        TERMS[key][0]: {"use": value}
        for key, value in of_tree(tree).items()
        if TERMS[key][0] is not None
    }
    if entries:
        assertions.append({"label": TRAINING_LABELS[0], "data": {"entries": entries}})
    return {
        "claim_generator_info": [{"name": "nit", "version": version}],
        "title": title,
        "format": tree.get("encodingFormat"),
        "assertions": assertions,
    }
