"""Short ids: a Nid or commit named by a unique part of it, as people copy them.

`nit log --oneline` prints ids as `bafkre…3wmf4ab` (`model.nid.short`); that
form, or any unique prefix or suffix of at least `MIN_LENGTH` characters, is
accepted wherever a Nid is (through `Repository.resolve_asset`). Only the ids
this repository knows are candidates: its assets, their commits, staged and
tracked Nids. A part that fits several is refused, naming them, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from numbers_cli.errors import UsageError
from numbers_cli.model.nid import Nid, short

if TYPE_CHECKING:
    from numbers_cli.repo.repository import Repository

#: Fewer characters than this never count as a short id (git's minimum, too).
MIN_LENGTH = 4
#: How many candidates an ambiguity error names.
SHOWN = 6

_BASE32 = re.compile(r"[a-z2-7]+")
_ELLIPSIS = re.compile(r"([a-z2-7]+)(?:…|\.\.\.)([a-z2-7]+)")


@dataclass(frozen=True)
class KnownId:
    """A Nid this repository knows, and what it is (for listings and completion)."""

    nid: Nid
    kind: str  # asset | commit | staged | tracked
    label: str  # the file's path, or which commit of which asset

    def describe(self) -> str:
        return f"{short(self.nid, 14)} ({self.kind}{' ' + self.label if self.label else ''})"


def known_ids(repo: Repository) -> list[KnownId]:
    """Every asset, commit, staged and tracked Nid of the repository, each once."""
    index = repo.index()
    paths: dict[str, str] = {}
    for path, tracked in index.tracked.items():
        paths.setdefault(tracked.nid, path)
    found: dict[str, KnownId] = {}
    for asset in repo.refs.assets():
        found[asset] = KnownId(asset, "asset", paths.get(asset, ""))
        name = paths.get(asset) or short(asset, 14)
        for i, commit in enumerate(repo.refs.history(asset)):
            found.setdefault(commit, KnownId(commit, "commit", f"#{i} of {name}"))
    for nid, staged in index.staged.items():
        found.setdefault(nid, KnownId(Nid(nid), "staged", staged.path or ""))
    for nid, path in paths.items():
        found.setdefault(nid, KnownId(Nid(nid), "tracked", path))
    return list(found.values())


def matcher(text: str):  # type: ignore[no-untyped-def]
    """A predicate for the Nids `text` can abbreviate, or None if it is no abbreviation."""
    text = text.strip().lower()
    both = _ELLIPSIS.fullmatch(text)
    if both:
        head, tail = both.groups()
        return lambda nid: nid.startswith(head) and nid.endswith(tail)
    if len(text) < MIN_LENGTH or not _BASE32.fullmatch(text):
        return None
    return lambda nid: nid.startswith(text) or nid.endswith(text)


def expand(repo: Repository, text: str, among: list[KnownId] | None = None) -> Nid | None:
    """The one known Nid that `text` abbreviates; None when it abbreviates none.

    UsageError naming the candidates when it fits several. `among` narrows the
    candidates (for example to one asset's commits).
    """
    matches = matcher(text)
    if matches is None:
        return None
    candidates = [known for known in (among or known_ids(repo)) if matches(known.nid)]
    if not candidates:
        return None
    if len(candidates) > 1:
        listed = ", ".join(known.describe() for known in candidates[:SHOWN])
        more = f" and {len(candidates) - SHOWN} more" if len(candidates) > SHOWN else ""
        raise UsageError(
            f"short id {text!r} is ambiguous: {listed}{more}",
            hint="give more characters, or the whole Nid",
        )
    return candidates[0].nid
