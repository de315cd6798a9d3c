"""What makes a lineage one: parents that are Nids, and no asset its own ancestor.

Everything else a trace meets (an unreachable chain, a tree nobody has) only
marks a node missing; these two stop it (LineageError, exit 17), because a
graph built over them would show a history that cannot exist. Shared by the
walk (`gather`) and the chain scan (`scan`).
"""

from __future__ import annotations

from typing import Any

from numbers_cli.errors import InvalidFormat, LineageError
from numbers_cli.model import jsjson
from numbers_cli.model.nid import Nid
from numbers_cli.ops.trace.graph import Trace

__all__ = ["check_acyclic", "parse_nid", "parse_tree"]


def parse_nid(value: Any) -> Nid:
    """A Nid from a document field (`Nid.parse` reads the common form without multiformats)."""
    return Nid.parse(str(value))


def parse_tree(data: bytes, where: str) -> dict[str, Any]:
    """A tree's JSON ({} if it is none), refused when its parentAssetCid is not a Nid.

    An unreadable tree is only a missing link; a parent that is not a Nid would
    make a lineage that cannot be one, so it stops the trace.
    """
    try:
        value = jsjson.parse(data)
    except InvalidFormat:
        return {}
    if not isinstance(value, dict):
        return {}
    parent = value.get("parentAssetCid")
    if parent is not None:
        try:
            parse_nid(parent)
        except InvalidFormat:
            raise LineageError(
                f"the tree {where} names parentAssetCid {str(parent)[:80]!r}, which is not a Nid"
            ) from None
    return value


def check_acyclic(result: Trace) -> None:
    """Refuse a graph whose parentAssetCid links form a cycle (no asset is its own
    ancestor, itself included). Iterative: a lineage thousands of generations deep
    is walked without Python's recursion limit."""
    children: dict[str, list[str]] = {}
    for parent, child in result.edges:
        children.setdefault(parent, []).append(child)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for start in list(children):
        if start in state:
            continue
        state[start] = 1
        path = [start]
        stack = [iter(children.get(start, ()))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                raise LineageError(
                    "the lineage has a cycle of parentAssetCid: " + " → ".join(cycle)
                )
            if child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(children.get(child, ())))
