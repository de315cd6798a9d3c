"""`.numbers/refs/stamps/<batch-nid>`: which artifacts a stamp batch holds, and where
each one's inclusion proof is.

One small text file per batch, written through the repository's journalled
transaction together with the artifacts' and the batch's `refs/heads/`, so a
batch is recorded whole or not at all:

    nit-stamp-batch 1
    network devnet
    root 0x<merkle root>
    commit <nid of the batch's commit>
    content yes|no                  (whether the artifacts' bytes were kept and uploaded)
    leaves <n>
    <asset nid> <commit nid> <proof object nid>     (one line per leaf, in leaf order)

The batch itself is an asset (the manifest file, `refs/heads/<batch-nid>`);
where its commit landed on chain is `refs/remotes/<network>/<batch-nid>`, as
for any pushed commit. One file per batch rather than one per artifact: a
stamp of 10,000 artifacts writes one record, not 10,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid

__all__ = ["BatchRecord", "StampEntry", "StampRecords"]

_MAGIC = "nit-stamp-batch 1"


@dataclass(frozen=True)
class StampEntry:
    """One leaf of a batch: the artifact's asset, its stamped commit, its proof object."""

    asset: Nid
    commit: Nid
    proof: Nid
    leaf_index: int


@dataclass(frozen=True)
class BatchRecord:
    batch: Nid
    network: str
    root: str
    commit: Nid
    entries: tuple[StampEntry, ...]
    content: bool = False

    @property
    def leaves(self) -> int:
        return len(self.entries)

    def render(self) -> str:
        head = (
            f"{_MAGIC}\nnetwork {self.network}\nroot {self.root}\n"
            f"commit {self.commit}\ncontent {'yes' if self.content else 'no'}\n"
            f"leaves {len(self.entries)}\n"
        )
        return head + "".join(f"{e.asset} {e.commit} {e.proof}\n" for e in self.entries)

    @classmethod
    def parse(cls, batch: str, text: str) -> BatchRecord:
        lines = text.splitlines()
        try:
            if lines[0] != _MAGIC:
                raise ValueError("unknown record format")
            fields = dict(line.split(" ", 1) for line in lines[1:6])
            count = int(fields["leaves"])
            rows = [line.split(" ") for line in lines[6 : 6 + count]]
            if len(rows) != count or any(len(row) != 3 for row in rows):
                raise ValueError("truncated")
            entries = tuple(
                StampEntry(Nid(asset), Nid(commit), Nid(proof), index)
                for index, (asset, commit, proof) in enumerate(rows)
            )
            return cls(
                Nid(batch),
                fields["network"],
                fields["root"],
                Nid(fields["commit"]),
                entries,
                fields["content"] == "yes",
            )
        except (IndexError, KeyError, ValueError) as exc:
            raise InvalidFormat(f"stamp record of batch {batch} is damaged ({exc})") from None


class StampRecords:
    """Reads the stamp records of a repository (`.numbers/`); writes go through
    `Transaction.set_ref(StampRecords.rel(batch), record.render())`."""

    def __init__(self, repo_dir: Path) -> None:
        self.dir = repo_dir / "refs" / "stamps"

    @staticmethod
    def rel(batch: str) -> str:
        return f"refs/stamps/{batch}"

    def batches(self) -> Iterator[BatchRecord]:
        """Every batch on record (in no particular order)."""
        if not self.dir.is_dir():
            return
        for path in sorted(self.dir.iterdir()):
            if not path.name.startswith("."):
                yield BatchRecord.parse(path.name, path.read_text("ascii"))

    def get(self, batch: str) -> BatchRecord | None:
        try:
            return BatchRecord.parse(batch, (self.dir / batch).read_text("ascii"))
        except FileNotFoundError:
            return None

    def of_asset(self, asset: str) -> list[tuple[BatchRecord, StampEntry]]:
        """Every stamp of `asset`: (batch, its leaf), one per batch holding it."""
        found = []
        for record in self.batches():
            for entry in record.entries:
                if entry.asset == asset:
                    found.append((record, entry))
        return found

    def of_commit(self, commit: str) -> tuple[BatchRecord, StampEntry] | None:
        """The batch and leaf that anchor `commit`, if it was stamped."""
        for record in self.batches():
            for entry in record.entries:
                if entry.commit == commit:
                    return record, entry
        return None

    def stamped_commits(self) -> set[Nid]:
        """Commits registered through a batch rather than one transaction each:
        `nit push` leaves them alone (their batch's commit is what it registers)."""
        return {entry.commit for record in self.batches() for entry in record.entries}
