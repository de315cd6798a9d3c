"""What walking one UnixFS file DAG from a remote may cost, fixed by its root.

Every block is hashed against its CID, so a remote cannot alter a DAG; but
anyone can publish a root that declares 256 KiB and links, over and over, to
blocks that hold gigabytes (a link may repeat, and so may the node holding it,
level after level), or to a million empty leaves. The root's declared
`filesize` is what the caller expects, so the walk is bounded by it: the
content may not exceed it, and the blocks read (each charged PER_BLOCK on top
of its bytes, so that empty leaves cost something) may not exceed it by more
than a quarter plus OVERHEAD_BASE. Real DAGs stay far inside: with 256 KiB
leaves and 174 links per node the nodes add about 0.02 %; even 1 KiB leaves
add about 11 %.
"""

from __future__ import annotations

from numbers_cli.errors import IntegrityError

__all__ = ["OVERHEAD_BASE", "PER_BLOCK", "DagBudget", "DagTooLarge"]

OVERHEAD_BASE = 64 * 1024
PER_BLOCK = 64


class DagTooLarge(IntegrityError):
    """The DAG holds more than its root declares: the walk was stopped."""


class DagBudget:
    """Counts a walk's blocks against its root's declared size; DagTooLarge past it."""

    def __init__(self, root: object, filesize: int) -> None:
        self.root = root
        self.filesize = filesize
        self.limit = filesize + filesize // 4 + OVERHEAD_BASE
        self.content = 0  # file bytes met so far
        self.spent = 0  # block bytes read so far, each block charged PER_BLOCK more

    def charge(self, block_bytes: int, content_bytes: int) -> None:
        """Count one block read (its size, and the file content it carries)."""
        self.content += content_bytes
        self.spent += block_bytes + PER_BLOCK
        if self.content > self.filesize or self.spent > self.limit:
            raise DagTooLarge(
                f"{self.root} holds more than its declared {self.filesize:,} bytes "
                "(its links repeat or lie); stopped, nothing was kept"
            )
