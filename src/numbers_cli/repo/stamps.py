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
#: Lines before the entries: the magic line and five fields.
_HEADER_LINES = 6


@dataclass(frozen=True)
class StampEntry:
    """One leaf of a batch: the artifact's asset, its stamped commit, its proof object."""

    asset: Nid
    commit: Nid
    proof: Nid
    leaf_index: int


class BatchRecord:
    """A batch on record. Its entries are parsed only when asked for: finding one
    artifact among 100,000 searches the text, it does not build 100,000 objects."""

    def __init__(
        self,
        batch: Nid,
        network: str,
        root: str,
        commit: Nid,
        entries: tuple[StampEntry, ...] | None = None,
        content: bool = False,
        *,
        leaves: int | None = None,
        body: str = "",
    ) -> None:
        self.batch = batch
        self.network = network
        self.root = root
        self.commit = commit
        self.content = content
        self._entries = entries
        self._body = body  # the entry lines, when parsed from a file
        self.leaves = len(entries) if entries is not None else int(leaves or 0)

    @property
    def entries(self) -> tuple[StampEntry, ...]:
        if self._entries is None:
            rows = [line.split(" ") for line in self._body.splitlines()]
            if len(rows) != self.leaves or any(len(row) != 3 for row in rows):
                raise InvalidFormat(f"stamp record of batch {self.batch} is damaged (truncated)")
            self._entries = tuple(
                StampEntry(Nid(asset), Nid(commit), Nid(proof), index)
                for index, (asset, commit, proof) in enumerate(rows)
            )
        return self._entries

    def render(self) -> str:
        head = (
            f"{_MAGIC}\nnetwork {self.network}\nroot {self.root}\n"
            f"commit {self.commit}\ncontent {'yes' if self.content else 'no'}\n"
            f"leaves {self.leaves}\n"
        )
        return head + "".join(f"{e.asset} {e.commit} {e.proof}\n" for e in self.entries)

    @classmethod
    def parse(cls, batch: str, text: str) -> BatchRecord:
        try:
            lines = text.split("\n", _HEADER_LINES)
            if lines[0] != _MAGIC or len(lines) <= _HEADER_LINES:
                raise ValueError("unknown record format")
            fields = dict(line.split(" ", 1) for line in lines[1:_HEADER_LINES])
            return cls(
                Nid(batch),
                fields["network"],
                fields["root"],
                Nid(fields["commit"]),
                None,
                fields["content"] == "yes",
                leaves=int(fields["leaves"]),
                body=lines[_HEADER_LINES],
            )
        except (IndexError, KeyError, ValueError) as exc:
            raise InvalidFormat(f"stamp record of batch {batch} is damaged ({exc})") from None

    def find(self, nid: str, column: int) -> StampEntry | None:
        """The entry whose asset (`column` 0) or commit (1) is `nid`, by searching the text."""
        if self._entries is not None:
            return next((e for e in self._entries if (e.asset, e.commit)[column] == nid), None)
        body = self._body
        pos = body.find(nid)
        while pos != -1:
            start = body.rfind("\n", 0, pos) + 1
            end = body.find("\n", pos)
            row = body[start : end if end != -1 else len(body)].split(" ")
            if len(row) == 3 and row[column] == nid:
                return StampEntry(Nid(row[0]), Nid(row[1]), Nid(row[2]), body.count("\n", 0, start))
            pos = body.find(nid, pos + 1)
        return None


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
            entry = record.find(asset, 0)
            if entry is not None:
                found.append((record, entry))
        return found

    def of_commit(self, commit: str) -> tuple[BatchRecord, StampEntry] | None:
        """The batch and leaf that anchor `commit`, if it was stamped."""
        for record in self.batches():
            entry = record.find(commit, 1)
            if entry is not None:
                return record, entry
        return None

    def stamped_commits(self) -> set[Nid]:
        """Commits registered through a batch rather than one transaction each:
        `nit push` leaves them alone (their batch's commit is what it registers)."""
        return {entry.commit for record in self.batches() for entry in record.entries}
