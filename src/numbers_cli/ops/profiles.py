"""Profiles: which wallets may sign for a committer named by Nid.

The reference tool names `author` and `committer` as CIDs of profile
documents but publishes no schema for them, so a signature can only be tied
to such a committer through a document we can read. Our rule (docs/formats.md,
"Profiles"): a profile is a JSON object on IPFS whose `wallet` (one address)
or `wallets` (a list of addresses) names the wallets that sign for it. A
profile that cannot be had, or that names no wallet, ties nobody: the
signature may be valid, but who made it stays unknown.

Profiles are read from the repository, else through the IPFS remote the
caller passes (fetched blocks are re-hashed and kept, like any other read).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from numbers_cli.config import Config
from numbers_cli.errors import InvalidFormat, NetworkError, NitError, NotFound
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid, short
from numbers_cli.model.signature import is_address, same_address
from numbers_cli.ops.trees import ObjectSource, iter_file
from numbers_cli.repo.repository import Repository

__all__ = ["MAX_PROFILE_BYTES", "Profile", "Profiles", "open_profiles", "parse_profile"]

#: A profile is a few hundred bytes; a larger "profile" is something else.
MAX_PROFILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Profile:
    nid: Nid
    wallets: tuple[str, ...]  # the addresses that may sign for it; empty: none known
    problem: str | None = None  # why no wallet is known (not found, not a profile, ...)

    def names(self, signer: str) -> bool:
        return any(same_address(signer, wallet) for wallet in self.wallets)


class Profiles:
    """Looks profiles up once per command run; `repo` None: nothing can be found."""

    def __init__(self, repo: Repository | None, source: ObjectSource | None = None) -> None:
        self.repo = repo
        self.source = source
        self._seen: dict[str, Profile] = {}

    def lookup(self, nid: Nid) -> Profile:
        if nid not in self._seen:
            self._seen[nid] = self._read(nid)
        return self._seen[nid]

    def _read(self, nid: Nid) -> Profile:
        if self.repo is None:
            return Profile(nid, (), "no repository to look the profile up in")
        where = "this repository or its IPFS remote" if self.source else "this repository"
        try:
            data = bytearray()
            for piece in iter_file(self.repo, nid, self.source):
                data += piece
                if len(data) > MAX_PROFILE_BYTES:
                    return Profile(nid, (), "the profile document is too large to be one")
        except NotFound:
            return Profile(nid, (), f"profile {short(nid)} not found in {where}")
        except NetworkError as exc:
            return Profile(nid, (), f"profile {short(nid)} could not be fetched: {exc.message}")
        except NitError as exc:
            return Profile(nid, (), f"profile {short(nid)} is unreadable: {exc.message}")
        return parse_profile(nid, bytes(data))


def parse_profile(nid: Nid, data: bytes) -> Profile:
    """The wallets a profile document names (`wallet`, `wallets`); invalid entries are ignored."""
    try:
        document = jsjson.parse(data)
    except InvalidFormat:
        return Profile(nid, (), f"{short(nid)} is not a JSON profile document")
    if not isinstance(document, dict):
        return Profile(nid, (), f"{short(nid)} is not a JSON object")
    named: list[object] = []
    if "wallet" in document:
        named.append(document["wallet"])
    if isinstance(document.get("wallets"), list):
        named.extend(document["wallets"])
    wallets = tuple(str(w) for w in named if is_address(w))
    if not wallets:
        return Profile(nid, (), f"profile {short(nid)} names no wallet (`wallet`/`wallets`)")
    return Profile(nid, wallets)


@contextlib.contextmanager
def open_profiles(repo: Repository | None, config: Config | None) -> Iterator[Profiles]:
    """Profiles from `repo`, else through the configured IPFS remote (if any), for one run."""
    if repo is None or config is None:
        yield Profiles(repo)
        return
    from numbers_cli.ops.blocks import source_for

    source = source_for(repo, config)
    if source is None:
        yield Profiles(repo)
        return
    with source:
        yield Profiles(repo, source)
