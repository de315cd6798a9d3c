"""Fixtures for compatibility tests: a real IPFS node and the reference Nid importer.

Why a separate suite: like dulwich's ``tests/compat`` (which runs real C git
next to dulwich), these tests check our formats against independent, real
implementations instead of against our own idea of them.

Both fixtures skip their tests when ``scripts/setup`` has not been run, and
fail them when ``CI`` is set (see ``tests/support/tools.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make ``tests.support`` importable however pytest was started (``pytest`` does
# not put the repository root on sys.path; ``python -m pytest`` does). Setting
# ``pythonpath = ["."]`` in pyproject's pytest options would make this moot.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.reference_nid import ReferenceNid, require_reference_tools  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``ipfs``, so ``-m 'not ipfs'`` deselects them all."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.ipfs)


@pytest.fixture(scope="session")
def reference_nid() -> ReferenceNid:
    """Compute Nids with ipfs-unixfs-importer: ``reference_nid(path)`` or ``.many(paths)``."""
    require_reference_tools()
    return ReferenceNid()
