"""Nearest prints by Hamming distance: a faiss binary index over the index's prints.

Exhaustive search (IndexBinaryFlat): exact, no training, and measured at a
median 42 ms for a query's ten codes against 1,000,000 prints on one core of a
loaded 2-core machine (bench/bench_monitor.py, docs/monitor.md). faiss runs on
one thread: its OpenMP threads fight the scan's own workers on a loaded
2-core machine and were measured slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Hit:
    row: int  # row of the print in the index
    code: int  # which of the query's codes
    distance: int


class PrintSearch:
    def __init__(self, prints: np.ndarray) -> None:
        import faiss

        faiss.omp_set_num_threads(1)
        self._index = faiss.IndexBinaryFlat(256)
        if len(prints):
            self._index.add(prints)
        self.size = len(prints)

    def nearest(self, codes: np.ndarray, k: int) -> list[Hit]:
        """For each query code its k nearest prints, all hits sorted by distance."""
        if self.size == 0:
            return []
        distances, rows = self._index.search(codes, min(k, self.size))
        hits = [
            Hit(int(row), code, int(distance))
            for code, (drow, rrow) in enumerate(zip(distances, rows, strict=True))
            for distance, row in zip(drow, rrow, strict=True)
            if row >= 0
        ]
        hits.sort(key=lambda hit: hit.distance)
        return hits
