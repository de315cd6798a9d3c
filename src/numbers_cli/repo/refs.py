"""Refs: where each asset's history stands.

`refs/heads/<nid>` lists the asset's local commits, oldest first, one commit
Nid per line; the last line is the head. The Numbers commit format has no
parent pointer (history is "all commits indexed by the asset's Nid, in chain
order"), so the ordered list *is* the local history, just as the chain's
`getCommits(nid)` is the remote one.

`refs/remotes/<network>/<nid>` (written by `nit push` and `nit fetch`) records
what is known to be on that chain: one line per commit, in chain order,
`<commit-nid> <tx-hash> <block-number>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.fsio import atomic_write_many, make_dirs
from numbers_cli.model.nid import Nid


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
        commit, tx_hash, block = line.split()
        return cls(Nid(commit), tx_hash, int(block))


class Refs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.heads_dir = root / "refs" / "heads"

    @staticmethod
    def head_rel(nid: str) -> str:
        return f"refs/heads/{nid}"

    def history(self, nid: str) -> list[Nid]:
        try:
            text = (self.root / self.head_rel(nid)).read_text("ascii")
        except FileNotFoundError:
            return []
        return [Nid(line) for line in text.split() if line]

    def head(self, nid: str) -> Nid | None:
        history = self.history(nid)
        return history[-1] if history else None

    def assets(self) -> list[Nid]:
        if not self.heads_dir.is_dir():
            return []
        return sorted(Nid(p.name) for p in self.heads_dir.iterdir() if not p.name.startswith("."))

    @staticmethod
    def remote_rel(network: str, nid: str) -> str:
        return f"refs/remotes/{network}/{nid}"

    def remote_history(self, network: str, nid: str) -> list[RemoteEntry]:
        """The asset's commits known to be on `network`, in chain order."""
        try:
            text = (self.root / self.remote_rel(network, nid)).read_text("ascii")
        except FileNotFoundError:
            return []
        return [RemoteEntry.parse(line) for line in text.splitlines() if line.strip()]

    @staticmethod
    def render_remote(entries: list[RemoteEntry]) -> str:
        return "".join(entry.render() for entry in entries)

    def record_remote(self, network: str, entries: Iterable[tuple[str, RemoteEntry]]) -> int:
        """Add registered commits `(asset, entry)` to `refs/remotes/<network>/*` in one
        write; returns how many were new. A commit already recorded for its asset
        is skipped, so recording a batch twice changes nothing.

        The caller holds the repository's write lock (its `tmp/` holds the
        temporary files). Every file is replaced
        atomically, and the batch is made durable with its fsyncs issued
        together (`fsio.atomic_write_many`), not one file after another:
        recording a push of 1,000 new assets costs one group commit instead of
        2,000 fsyncs. A crash part-way leaves some assets recorded and others
        not; each record is true (the commit is on chain), and `nit push`
        finds the others on chain.
        """
        by_asset: dict[str, list[RemoteEntry]] = {}
        for asset, entry in entries:
            by_asset.setdefault(str(asset), []).append(entry)
        files: dict[Path, bytes] = {}
        added = 0
        for asset, new in by_asset.items():
            current = self.remote_history(network, asset)
            have = {entry.commit for entry in current}
            fresh = []
            for entry in new:
                if entry.commit not in have:
                    have.add(entry.commit)
                    fresh.append(entry)
            if fresh:
                path = self.root / self.remote_rel(network, asset)
                files[path] = self.render_remote(current + fresh).encode("ascii")
                added += len(fresh)
        if files:
            make_dirs(self.root / "refs" / "remotes" / network)
            atomic_write_many(files, temp_dir=self.root / "tmp")
        return added

    def pushed_count(self, nid: str) -> int:
        """Commits of the asset known to be on some chain (the most on any one)."""
        remotes = self.root / "refs" / "remotes"
        if not remotes.is_dir():
            return 0
        counts = [0]
        for network in remotes.iterdir():
            counts.append(len(self.remote_history(network.name, nid)))
        return max(counts)

    @staticmethod
    def render_history(commits: list[str]) -> str:
        return "".join(f"{c}\n" for c in commits)
