"""eth-account, imported without py_ecc's process-wide recursion limit.

Importing eth-account imports eth-keyfile, which imports py_ecc, whose package
`__init__` calls `sys.setrecursionlimit(max(100000, ...))`. With that limit,
any recursion the C stack cannot hold (the json parser on a reply of 100,000
`[`, a deep repr) is a segfault instead of a RecursionError. nit uses none of
py_ecc's recursive code (BLS pairings), so the limit is put back right after
the import. Every import of eth-account in nit goes through here.
(model.json_input also refuses over-deep JSON, whatever the limit is.)
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def eth_account_module(name: str = "eth_account") -> ModuleType:
    """`import name` (eth_account or one of its modules), the recursion limit kept as it was."""
    limit = sys.getrecursionlimit()
    try:
        return importlib.import_module(name)
    finally:
        if sys.getrecursionlimit() != limit:
            sys.setrecursionlimit(limit)
