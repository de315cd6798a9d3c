"""Refs: where each asset's history stands.

`refs/heads/<nid>` lists the asset's local commits, oldest first, one commit
Nid per line; the last line is the head. The Numbers commit format has no
parent pointer (history is "all commits indexed by the asset's Nid, in chain
order"), so the ordered list *is* the local history, just as the chain's
`getCommits(nid)` is the remote one.

`refs/remotes/<network>/<nid>` (written by `nit push`) records what is known to
be on that chain.
"""

from __future__ import annotations

from pathlib import Path

from numbers_cli.model.nid import Nid


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

    def pushed_count(self, nid: str) -> int:
        """Commits of the asset known to be on some chain (the most on any one)."""
        remotes = self.root / "refs" / "remotes"
        if not remotes.is_dir():
            return 0
        counts = [0]
        for network in remotes.iterdir():
            try:
                counts.append(len((network / nid).read_text("ascii").split()))
            except FileNotFoundError:
                continue
        return max(counts)

    @staticmethod
    def render_history(commits: list[str]) -> str:
        return "".join(f"{c}\n" for c in commits)
