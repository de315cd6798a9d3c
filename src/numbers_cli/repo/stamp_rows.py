"""Stamp rows as stored (`repo/stamps.py`): what a sound batch row looks like, and
the two repairs `nit fsck --repair` makes to rows it cannot read as a record.

A damaged page's salvage or a hand edit can leave values `nit stamp` never
writes; reading such a row as a record would mislead every command (a garbled
root reads as "the proof does not lead to the root", a garbled network as
"not registered yet"), so the reader refuses it with the row's problem, and
fsck names it (ops/stamp/damage.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from numbers_cli.errors import InvalidFormat
from numbers_cli.model.nid import Nid
from numbers_cli.repo.store import Store

__all__ = ["batch_row_problem", "drop_covered_orphans", "forget_row", "is_network_name"]

#: A batch row's values as `nit stamp` writes them: a network name as
#: ops.networks.check_name allows (or unknown), a Merkle root as 0x + 64 hex.
_NETWORK_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_ROOT_RE = re.compile(r"0x[0-9a-f]{64}")


def is_network_name(value: object) -> bool:
    """`value` can name a network (the rule of ops.networks.check_name)."""
    return isinstance(value, str) and _NETWORK_RE.fullmatch(value) is not None


def batch_row_problem(row: Sequence[object]) -> str | None:
    """What is wrong with a `stamp_batches` row (`_BATCH_COLUMNS`), or None: a
    damaged page's garbage or a hand edit, never something `nit stamp` writes."""
    _id, batch, network, root, commit, content, leaves = row
    for what, value in (("batch", batch), ("commit", commit)):
        try:
            Nid.parse(str(value))
        except InvalidFormat:
            return f"its {what} {str(value)[:80]!r} is not a Nid"
    if not isinstance(root, str) or not _ROOT_RE.fullmatch(root):
        return f"its root {str(root)[:80]!r} is not a Merkle root"
    if not isinstance(leaves, int) or isinstance(leaves, bool) or leaves < 1:
        return f"it holds {str(leaves)[:20]} leaves"
    if network != "" and not is_network_name(network):
        return f"its network {str(network)[:80]!r} is not a network's name"
    if content not in (0, 1):
        return f"its content flag {str(content)[:20]!r} is neither 0 nor 1"
    return None


def forget_row(store: Store, row_id: int) -> int:
    """Drop one batch row and the leaf rows under its id (a row too damaged to say
    which batch it is); returns the leaf rows dropped."""
    with store.write():
        leaves = store.execute("DELETE FROM stamps WHERE batch = ?", (row_id,)).rowcount
        store.execute("DELETE FROM stamp_batches WHERE id = ?", (row_id,))
    return int(leaves)


def drop_covered_orphans(store: Store) -> int:
    """Drop the leaf rows whose batch row is gone and whose commit a batch on
    record anchors (fsck --repair, once it re-made that batch); returns how many."""
    with store.write():
        cursor = store.execute(
            "DELETE FROM stamps WHERE batch NOT IN (SELECT id FROM stamp_batches) "
            "AND commit_nid IN (SELECT s.commit_nid FROM stamps s "
            "JOIN stamp_batches b ON b.id = s.batch)"
        )
    return int(cursor.rowcount)
