"""Refs: where each asset's history stands.

A ref is a named text in the store's `refs` table, under the names format 1
used as file paths:

`refs/heads/<nid>` lists the asset's local commits, oldest first, one commit
Nid per line; the last line is the head. The Numbers commit format has no
parent pointer (history is "all commits indexed by the asset's Nid, in chain
order"), so the ordered list *is* the local history, just as the chain's
`getCommits(nid)` is the remote one.

`refs/remotes/<network>/<nid>` (written by `nit push` and `nit fetch`) records
what is known to be on that chain: one line per commit, in chain order,
`<commit-nid> <tx-hash> <block-number>`.

Every line is checked when read: a damaged ref is reported by name, with the
repair hint, instead of failing somewhere later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.repo.store import Store, repair_hint

HEADS = "refs/heads/"
REMOTES = "refs/remotes/"
_TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class RemoteEntry:
    """One commit known to be on a chain, and the transaction that put it there."""

    commit: Nid
    tx_hash: str
    block: int

    def render(self) -> str:
        return f"{self.commit} {self.tx_hash} {self.block}\n"

    @classmethod
    def parse(cls, line: str) -> RemoteEntry:
        parts = line.split()
        if len(parts) != 3 or not _TX_HASH.match(parts[1]) or not parts[2].isdigit():
            raise InvalidFormat(f"not '<commit> <tx hash> <block>': {line.strip()!r}")
        return cls(Nid.parse(parts[0]), parts[1], int(parts[2]))


class Refs:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- names ----------------------------------------------------------------------
    @staticmethod
    def head_rel(nid: str) -> str:
        return f"{HEADS}{nid}"

    @staticmethod
    def remote_rel(network: str, nid: str) -> str:
        return f"{REMOTES}{network}/{nid}"

    # --- raw access -----------------------------------------------------------------
    def get(self, rel: str) -> str | None:
        row = self.store.one("SELECT value FROM refs WHERE name = ?", (rel,))
        return None if row is None else str(row[0])

    def get_many(self, rels: list[str]) -> dict[str, str]:
        """The refs of `rels` that exist, a few hundred names per query (a stamp
        batch's heads: one lookup, not one per artifact)."""
        found: dict[str, str] = {}
        for at in range(0, len(rels), 400):
            chunk = rels[at : at + 400]
            marks = ", ".join("?" * len(chunk))
            for name, value in self.store.all(
                f"SELECT name, value FROM refs WHERE name IN ({marks})", chunk
            ):
                found[str(name)] = str(value)
        return found

    def set(self, rel: str, text: str | None) -> None:
        """Write (or with None, delete) a ref; joins the current write transaction."""
        with self.store.write():
            if text is None:
                self.store.execute("DELETE FROM refs WHERE name = ?", (rel,))
            else:
                self.store.execute(
                    "INSERT INTO refs(name, value) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (rel, text),
                )

    def set_many(self, refs: dict[str, str | None]) -> None:
        """Write (or delete, for None) many refs in two statements."""
        with self.store.write():
            self.store.executemany(
                "DELETE FROM refs WHERE name = ?", [(n,) for n, t in refs.items() if t is None]
            )
            self.store.executemany(
                "INSERT INTO refs(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [(n, t) for n, t in refs.items() if t is not None],
            )

    def names(self, prefix: str) -> list[str]:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return [
            str(name)
            for (name,) in self.store.all(
                "SELECT name FROM refs WHERE name >= ? AND name < ? ORDER BY name",
                (prefix, upper),
            )
        ]

    # --- heads ------------------------------------------------------------------------
    def history(self, nid: str) -> list[Nid]:
        rel = self.head_rel(nid)
        return self.parse_history(rel, self.get(rel) or "")

    def parse_history(self, rel: str, text: str) -> list[Nid]:
        commits = []
        for line in text.split():
            try:
                commits.append(Nid.parse(line))
            except InvalidFormat:
                raise self.damaged(rel, f"a line that is not a commit Nid: {line!r}") from None
        return commits

    def head(self, nid: str) -> Nid | None:
        history = self.history(nid)
        return history[-1] if history else None

    def assets(self) -> list[Nid]:
        return [Nid(name[len(HEADS) :]) for name in self.names(HEADS)]

    def head_counts(self) -> dict[str, int]:
        """Asset → number of local commits, in one query (status of many assets)."""
        return {
            str(name)[len(HEADS) :]: len(str(value).split())
            for name, value in self.store.all(
                "SELECT name, value FROM refs WHERE name >= ? AND name < ?",
                (HEADS, "refs/heads0"),
            )
        }

    def histories(self) -> dict[Nid, list[Nid]]:
        """Every asset's local history, in one query (a push plans all of them)."""
        return {
            Nid(str(name)[len(HEADS) :]): self.parse_history(str(name), str(value))
            for name, value in self._range(HEADS)
        }

    def _range(self, prefix: str) -> list[tuple[str, str]]:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return self.store.all(  # type: ignore[return-value]
            "SELECT name, value FROM refs WHERE name >= ? AND name < ? ORDER BY name",
            (prefix, upper),
        )

    @staticmethod
    def render_history(commits: list[str]) -> str:
        return "".join(f"{c}\n" for c in commits)

    # --- remotes ----------------------------------------------------------------------
    def remote_history(self, network: str, nid: str) -> list[RemoteEntry]:
        """The asset's commits known to be on `network`, in chain order."""
        rel = self.remote_rel(network, nid)
        return self.parse_remote(rel, self.get(rel) or "")

    def remote_histories(self, network: str) -> dict[str, list[RemoteEntry]]:
        """What is known to be on `network`, per asset, in one query."""
        prefix = self.remote_rel(network, "")
        return {
            str(name)[len(prefix) :]: self.parse_remote(str(name), str(value))
            for name, value in self._range(prefix)
        }

    def parse_remote(self, rel: str, text: str) -> list[RemoteEntry]:
        entries = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                entries.append(RemoteEntry.parse(line))
            except InvalidFormat as exc:
                raise self.damaged(rel, f"a line that is {exc.message}") from None
        return entries

    @staticmethod
    def render_remote(entries: list[RemoteEntry]) -> str:
        return "".join(entry.render() for entry in entries)

    def remote_counts(self) -> dict[str, int]:
        """Per asset, the commits known to be on some chain (the most on any one)."""
        counts: dict[str, int] = {}
        for name, value in self.store.all(
            "SELECT name, value FROM refs WHERE name >= ? AND name < ?", (REMOTES, "refs/remotes0")
        ):
            asset = str(name).rsplit("/", 1)[-1]
            count = len(self.parse_remote(str(name), str(value)))
            counts[asset] = max(counts.get(asset, 0), count)
        return counts

    def pushed_count(self, nid: str) -> int:
        """Commits of the asset known to be on some chain (the most on any one)."""
        counts = [0]
        for name in self.names(REMOTES):
            if name.rsplit("/", 1)[-1] == nid:
                counts.append(len(self.parse_remote(name, self.get(name) or "")))
        return max(counts)

    def record_remote(self, network: str, entries: Iterable[tuple[str, RemoteEntry]]) -> int:
        """Add registered commits to `refs/remotes/<network>/*` in one write; returns
        how many were new. A commit already recorded for its asset is skipped, so
        recording a batch twice changes nothing."""
        by_asset: dict[str, list[RemoteEntry]] = {}
        for asset, entry in entries:
            by_asset.setdefault(str(asset), []).append(entry)
        added = 0
        with self.store.write():
            # The batch's own refs, a few hundred per query: not one query per asset, and
            # not all of the network's refs (a push records in batches: reading every ref
            # each time made recording quadratic in the size of the push).
            rels = {asset: self.remote_rel(network, asset) for asset in by_asset}
            texts = self.get_many(list(rels.values()))
            changed: dict[str, str | None] = {}
            for asset, new in by_asset.items():
                rel = rels[asset]
                current = self.parse_remote(rel, texts.get(rel, ""))
                have = {entry.commit for entry in current}
                fresh = []
                for entry in new:
                    if entry.commit not in have:
                        have.add(entry.commit)
                        fresh.append(entry)
                if fresh:
                    changed[rel] = self.render_remote(current + fresh)
                    added += len(fresh)
            if changed:
                self.set_many(changed)
        return added

    def networks(self) -> list[str]:
        return sorted({name[len(REMOTES) :].split("/", 1)[0] for name in self.names(REMOTES)})

    # --- damage -----------------------------------------------------------------------
    def damaged(self, rel: str, what: str) -> InvalidFormat:
        return InvalidFormat(f"ref {rel} in {self.store.path} has {what}", hint=repair_hint())
