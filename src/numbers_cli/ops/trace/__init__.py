"""`nit trace`: an asset's whole provenance as a graph, every link checked.

graph.py is the result (and its versioned JSON), subject.py says which asset
a target names, gather.py walks history, ancestors and descendants,
lineage.py refuses a lineage that cannot be one, scan.py finds descendants
among all the register's commits through the repository's scan cache.
"""

from __future__ import annotations

from numbers_cli.ops.trace.gather import ChildFinder, resolve_subject, trace
from numbers_cli.ops.trace.graph import SCHEMA_VERSION, AssetNode, Trace, Version
from numbers_cli.ops.trace.scan import ScanFinder, ScanReport, scan_chain

__all__ = [
    "SCHEMA_VERSION",
    "AssetNode",
    "ChildFinder",
    "ScanFinder",
    "ScanReport",
    "Trace",
    "Version",
    "resolve_subject",
    "scan_chain",
    "trace",
]
