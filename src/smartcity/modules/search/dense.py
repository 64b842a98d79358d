"""The dense channel in memory: documents' unit vectors and a document's best cosine."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np


class DenseIndex:
    """Unit vectors per document; a document scores the best cosine of its units.

    Units are what a document is matched by (an item's official question and each taught
    phrasing, a proposal's sentences). Changing one document re-reads only its vectors; the
    matrix is stacked again on the next search (stacking is a copy, not a re-embedding).
    """

    def __init__(self) -> None:
        self._units: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._built: tuple[list[str], np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._units)

    def set(self, doc_id: str, vectors: Sequence[np.ndarray]) -> None:
        """Replace a document's unit vectors (none: the document has no dense signal yet)."""
        with self._lock:
            if vectors:
                self._units[doc_id] = np.vstack(vectors).astype(np.float32)
            else:
                self._units.pop(doc_id, None)
            self._built = None

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Forget documents."""
        with self._lock:
            for doc_id in doc_ids:
                self._units.pop(doc_id, None)
            self._built = None

    def has(self, doc_id: str) -> bool:
        """Whether the document has any vector."""
        return doc_id in self._units

    def _matrix(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        built = self._built
        if built is None:
            with self._lock:
                ids = list(self._units)
                blocks = [self._units[i] for i in ids]
                owner = np.repeat(np.arange(len(ids)), [len(b) for b in blocks])
                dim = blocks[0].shape[1] if blocks else 0
                matrix = np.vstack(blocks) if blocks else np.zeros((0, dim), dtype=np.float32)
                built = self._built = (ids, matrix, owner)
        return built

    def best_units(self, query: np.ndarray) -> dict[str, float]:
        """Every document's best unit cosine with `query` (an L2-normalised vector)."""
        ids, matrix, owner = self._matrix()
        if not ids:
            return {}
        sims = matrix @ query.astype(np.float32)
        best = np.full(len(ids), -1.0, dtype=np.float32)
        np.maximum.at(best, owner, sims)
        return dict(zip(ids, best.tolist(), strict=True))

    def scores(self, query: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
        """The best unit cosine of each of `doc_ids` in that order (NaN: no vector)."""
        best = self.best_units(query)
        return np.array([best.get(d, np.nan) for d in doc_ids], dtype=np.float64)
