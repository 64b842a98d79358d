"""The dense channel in memory: documents' unit vectors and a document's best cosine."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np


class DenseIndex:
    """Unit vectors per document; a document scores the best cosine of its units, mixed,
    by `centre_share`, with the cosine of its centre.

    Units are what a document is matched by (an item's official question and each taught
    phrasing, a proposal's sentences). The centre is the normalised mean of the units and of
    any vectors given `with_centre` (an item's passage): what its phrasings share. A question
    worded unlike every phrasing can still be near what they have in common, so a phrasing
    taught moves the centre toward how people ask (ADR 38). Changing one document re-reads
    only its vectors; the matrix is stacked again on the next search (stacking is a copy, not
    a re-embedding).
    """

    def __init__(self, centre_share: float = 0.0) -> None:
        if not 0.0 <= centre_share <= 1.0:
            raise ValueError("centre_share is a share: 0 to 1")
        self.centre_share = centre_share
        self._units: dict[str, np.ndarray] = {}
        self._centres: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._built: _Stacked | None = None

    def __len__(self) -> int:
        return len(self._units)

    def set(
        self, doc_id: str, vectors: Sequence[np.ndarray], with_centre: Sequence[np.ndarray] = ()
    ) -> None:
        """Replace a document's unit vectors (none: the document has no dense signal yet) and
        the further vectors its centre averages (read only with a `centre_share`)."""
        with self._lock:
            if vectors:
                self._units[doc_id] = np.vstack(vectors).astype(np.float32)
                if self.centre_share:
                    mean = np.vstack([*vectors, *with_centre]).astype(np.float64).mean(axis=0)
                    centre = mean / (np.linalg.norm(mean) or 1.0)
                    self._centres[doc_id] = centre.astype(np.float32)
            else:
                self._units.pop(doc_id, None)
                self._centres.pop(doc_id, None)
            self._built = None

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Forget documents."""
        with self._lock:
            for doc_id in doc_ids:
                self._units.pop(doc_id, None)
                self._centres.pop(doc_id, None)
            self._built = None

    def has(self, doc_id: str) -> bool:
        """Whether the document has any vector."""
        return doc_id in self._units

    def _matrix(self) -> _Stacked:
        built = self._built
        if built is None:
            with self._lock:
                ids = list(self._units)
                blocks = [self._units[i] for i in ids]
                dim = blocks[0].shape[1] if blocks else 0
                matrix = np.vstack(blocks) if blocks else np.zeros((0, dim), dtype=np.float32)
                # Each document's units are one contiguous block: its best cosine is a
                # reduceat over block starts (one pass, no per-unit Python or ufunc.at).
                starts = np.zeros(len(ids), dtype=np.int64)
                np.cumsum([len(b) for b in blocks[:-1]], out=starts[1:])
                centres = (
                    np.vstack([self._centres[i] for i in ids])
                    if self.centre_share and ids
                    else None
                )
                built = self._built = _Stacked(ids, matrix, starts, centres, self.centre_share)
        return built

    def best_units(self, query: np.ndarray) -> dict[str, float]:
        """Every document's score for `query` (an L2-normalised vector): its best unit's
        cosine, mixed with its centre's by `centre_share`."""
        built = self._matrix()
        if not built.ids:
            return {}
        return dict(zip(built.ids, built.best(query).tolist(), strict=True))

    def scores(self, query: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
        """The score (as `best_units`) of each of `doc_ids` in that order (NaN: no vector)."""
        built = self._matrix()
        if not built.ids:
            return np.full(len(doc_ids), np.nan)
        padded: np.ndarray = np.append(built.best(query).astype(np.float64), np.nan)
        aligned: np.ndarray = padded[built.align(doc_ids)]
        return aligned


class _Stacked:
    """One state of a DenseIndex: every unit vector in one matrix, documents as blocks."""

    def __init__(
        self,
        ids: list[str],
        matrix: np.ndarray,
        starts: np.ndarray,
        centres: np.ndarray | None = None,
        centre_share: float = 0.0,
    ) -> None:
        self.ids = ids
        self.matrix = matrix
        self.starts = starts
        self.centres = centres
        self.centre_share = centre_share
        self._aligned: tuple[Sequence[str], np.ndarray] | None = None

    def best(self, query: np.ndarray) -> np.ndarray:
        """Each document's score, in `ids` order."""
        # einsum, not `@`: the BLAS behind `@` spreads one matrix-vector product over every
        # core and, on a busy machine, waits for them (28 ms at the median against 0.4 ms for
        # einsum's single loop on 7,500 × 384, docs/benchmarks.md).
        query = query.astype(np.float32, copy=False)
        best = np.maximum.reduceat(np.einsum("ij,j->i", self.matrix, query), self.starts)
        if self.centres is None:
            return best
        centre = np.einsum("ij,j->i", self.centres, query)
        mixed: np.ndarray = (1 - self.centre_share) * best + self.centre_share * centre
        return mixed

    def align(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Positions of `doc_ids` in `ids` (len(ids) for a document without vectors).

        Kept for the last sequence asked about: a caller asks with the same list (its own
        index's order) until that index changes.
        """
        aligned = self._aligned
        if aligned is None or aligned[0] is not doc_ids:
            position = {doc_id: i for i, doc_id in enumerate(self.ids)}
            missing = len(self.ids)
            order = np.array([position.get(d, missing) for d in doc_ids], dtype=np.int64)
            aligned = self._aligned = (doc_ids, order)
        return aligned[1]
