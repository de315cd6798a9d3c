"""Usage terms: what an asset's owner allows others to do with it.

Recorded in the AssetTree under `custom.usageTerms` (the Numbers tree has no
field of its own for them, and `custom` is where the format keeps user
fields, so the reference tool carries them untouched). Keys and values follow
the C2PA training-and-mining assertion, so a C2PA manifest maps onto them
one to one, plus the two uses the governance contract rules on (commercial
use, derivatives):

| key | C2PA entry | `--allow` name |
| --- | --- | --- |
| `aiTraining` | `c2pa.ai_training` | `ai-training` |
| `aiGenerativeTraining` | `c2pa.ai_generative_training` | `ai-generative-training` |
| `aiInference` | `c2pa.ai_inference` | `ai-inference` |
| `dataMining` | `c2pa.data_mining` | `data-mining` |
| `commercialUse` | (none) | `commercial` |
| `derivatives` | (none) | `derivatives` |

Each value is `allowed`, `notAllowed` or `constrained` (C2PA's words). A use
with no value is *unknown*, and unknown is not permission: a dataset export
that asks for a use leaves such assets out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numbers_cli.errors import UsageError

TREE_KEY = "usageTerms"  # under the tree's `custom`

ALLOWED = "allowed"
NOT_ALLOWED = "notAllowed"
CONSTRAINED = "constrained"
VALUES = (ALLOWED, NOT_ALLOWED, CONSTRAINED)

#: term key -> (C2PA training-and-mining entry or None, `--allow` name)
TERMS: dict[str, tuple[str | None, str]] = {
    "aiTraining": ("c2pa.ai_training", "ai-training"),
    "aiGenerativeTraining": ("c2pa.ai_generative_training", "ai-generative-training"),
    "aiInference": ("c2pa.ai_inference", "ai-inference"),
    "dataMining": ("c2pa.data_mining", "data-mining"),
    "commercialUse": (None, "commercial"),
    "derivatives": (None, "derivatives"),
}
C2PA_ENTRY_TO_TERM = {entry: key for key, (entry, _) in TERMS.items() if entry}
USE_TO_TERM = {use: key for key, (_, use) in TERMS.items()}

# Spellings people type in a spreadsheet, mapped to the C2PA words.
_SYNONYMS = {
    "allowed": ALLOWED,
    "allow": ALLOWED,
    "yes": ALLOWED,
    "true": ALLOWED,
    "y": ALLOWED,
    "1": ALLOWED,
    "notallowed": NOT_ALLOWED,
    "not-allowed": NOT_ALLOWED,
    "not_allowed": NOT_ALLOWED,
    "disallowed": NOT_ALLOWED,
    "no": NOT_ALLOWED,
    "false": NOT_ALLOWED,
    "n": NOT_ALLOWED,
    "0": NOT_ALLOWED,
    "constrained": CONSTRAINED,
}


def normalize_value(key: str, value: Any) -> str:
    """One term's value in C2PA's words; booleans and yes/no accepted. Raises UsageError."""
    if isinstance(value, bool):
        return ALLOWED if value else NOT_ALLOWED
    word = _SYNONYMS.get(str(value).strip().lower())
    if word is None:
        raise UsageError(
            f"{key}: {value!r} is not a usage term value; use allowed, notAllowed or constrained"
        )
    return word


def normalize(terms: Mapping[str, Any]) -> dict[str, str]:
    """Checked terms in canonical key order; empty values are left out. Raises UsageError."""
    unknown = [k for k in terms if k not in TERMS]
    if unknown:
        raise UsageError(f"unknown usage term {unknown[0]!r}; known: {', '.join(TERMS)}")
    return {
        key: normalize_value(key, terms[key])
        for key in TERMS
        if key in terms and terms[key] not in (None, "")
    }


def of_tree(tree: Mapping[str, Any]) -> dict[str, str]:
    """The terms a tree records (a malformed entry reads as no terms, never as permission)."""
    custom = tree.get("custom")
    raw = custom.get(TREE_KEY) if isinstance(custom, Mapping) else None
    if not isinstance(raw, Mapping):
        return {}
    return {k: v for k, v in raw.items() if k in TERMS and v in VALUES}


def merged(base: Mapping[str, str], winning: Mapping[str, str] | None) -> dict[str, str]:
    """`base` with every term `winning` sets replaced (on-chain rules over the tree's)."""
    out = dict(base)
    out.update({k: v for k, v in (winning or {}).items() if k in TERMS and v in VALUES})
    return {k: out[k] for k in TERMS if k in out}


def term_for_use(use: str) -> str:
    """`ai-training` -> `aiTraining`; raises UsageError naming the known uses."""
    key = USE_TO_TERM.get(use.strip().lower())
    if key is None:
        raise UsageError(f"unknown use {use!r}; use one of {', '.join(USE_TO_TERM)}")
    return key


def refusals(terms: Mapping[str, str], uses: list[str]) -> list[str]:
    """The uses (term keys) of `uses` that `terms` do not plainly allow."""
    return [key for key in uses if terms.get(key) != ALLOWED]
