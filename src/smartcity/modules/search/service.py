"""search's public face: what other modules call to rank their documents semantically.

A module keeps its own in-memory index of its documents (the chatbot's items, livinglab's
proposals) and asks search for three things: the stored vectors of its texts
(`stored_vectors`), the vector of a question (`embed_query`), and that new or changed texts
be embedded (`request_embeddings`, a job after the commit: a write never waits for the model).
Vectors are addressed by their text, so an index that starts cold reads them from the
database and embeds nothing; `DenseIndex` and `fusion` (candidate pool, per-question
standardisation, `Ranker`, `Calibration`) do the ranking.
`embed_missing` takes the platform and opens its own transaction: it is what the job and the
CLI share.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from smartcity.core.auth import system_actor
from smartcity.core.jobs import queue
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of
from smartcity.core.uow import UnitOfWork
from smartcity.modules.search import embedder as embedders
from smartcity.modules.search import repository as repo
from smartcity.modules.search.dense import DenseIndex
from smartcity.modules.search.embedder import latent_dot
from smartcity.modules.search.fusion import Calibration, Ranker, pool, standardise
from smartcity.modules.search.lexical import (
    BM25,
    Row,
    bm25_idf,
    bm25_weights,
    sentences,
    stack_rows,
    tfidf_cosine,
)
from smartcity.modules.search.lexical import tokens as lexical_tokens
from smartcity.modules.search.settings import SearchSettings
from smartcity.modules.search.values import Channel, TextKind

__all__ = [
    "BM25",
    "Calibration",
    "Channel",
    "DenseIndex",
    "Ranker",
    "Row",
    "TextKind",
    "bm25_idf",
    "bm25_weights",
    "embed_missing",
    "embed_query",
    "embedder_of",
    "key_of",
    "latent_dot",
    "lexical_tokens",
    "pool",
    "report_health",
    "request_embeddings",
    "sentences",
    "stack_rows",
    "standardise",
    "status",
    "stored_vectors",
    "tfidf_cosine",
    "vectors_version",
]

EMBEDDER_SERVICE = "search.embedder"
QUERY_CACHE = "search.query_cache"
EMBED_TASK = "search.embed"
# Questions repeat (quick replies, the same FAQ asked by many): their vectors are kept.
QUERY_CACHE_SIZE = 2048
_loading = threading.Lock()
_cache_lock = threading.Lock()


def key_of(model: str, kind: TextKind, text: str) -> str:
    """The address of a text's vector under a model."""
    return hashlib.sha256(f"{model}\x00{kind.value}\x00{text}".encode()).hexdigest()


def embedder_of(platform: Platform) -> embedders.Loaded:
    """The platform's embedder, loaded on first use (or why there is none)."""
    loaded = platform.services.get(EMBEDDER_SERVICE)
    if loaded is None:
        with _loading:
            loaded = platform.services.get(EMBEDDER_SERVICE)
            if loaded is None:
                loaded = embedders.load(settings_of(platform, "search", SearchSettings))
                platform.services[EMBEDDER_SERVICE] = loaded
    if not isinstance(loaded, embedders.Loaded):
        raise TypeError("the search embedder service has the wrong type")
    return loaded


def status(platform: Platform) -> dict[str, Any]:
    """Which ranking search gives, with which model, or why it ranks lexically."""
    loaded = embedder_of(platform)
    if loaded.embedder is None:
        return {"ranking": Channel.LEXICAL.value, "model": None, "reason": loaded.reason}
    return {"ranking": Channel.FUSED.value, "model": loaded.model, "reason": ""}


def waiting(session: Session, platform: Platform) -> int:
    """How many texts are queued to be embedded and have no vector yet: until a module's
    have theirs, it ranks by words alone. None wait while ranking is lexical only: the jobs
    then embed nothing."""
    if not embedder_of(platform).model:
        return 0
    asked: dict[TextKind, set[str]] = {}
    for payload in queue.pending_payloads(session, EMBED_TASK):
        asked.setdefault(TextKind(payload["kind"]), set()).update(payload.get("texts", []))
    return sum(
        len(texts) - len(stored_vectors(session, platform, list(texts), kind))
        for kind, texts in asked.items()
    )


def request_embeddings(uow: UnitOfWork, texts: Sequence[str], kind: TextKind) -> None:
    """Have `texts` embedded after this transaction commits (texts already stored are skipped,
    and the job does nothing when ranking is lexical only)."""
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    if unique:
        uow.enqueue(EMBED_TASK, {"kind": kind.value, "texts": unique})


def vectors_version(session: Session) -> int:
    """A number that moves whenever vectors are stored (indexes reload what they lacked)."""
    return repo.version(session)


def stored_vectors(
    session: Session, platform: Platform, texts: Sequence[str], kind: TextKind
) -> dict[str, np.ndarray]:
    """The stored vectors of `texts` under the loaded model (texts without one are left out)."""
    model = embedder_of(platform).model
    if not model or not texts:
        return {}
    keys = {key_of(model, kind, t): t for t in dict.fromkeys(texts)}
    return {keys[k]: v for k, v in repo.vectors(session, list(keys)).items()}


def embed_query(
    platform: Platform, text: str, kind: TextKind = TextKind.QUERY
) -> np.ndarray | None:
    """The vector of a question (kept for repeats), or None when ranking is lexical only."""
    loaded = embedder_of(platform)
    if loaded.embedder is None:
        return None
    cache: OrderedDict[tuple[str, str], np.ndarray] = platform.services.setdefault(
        QUERY_CACHE, OrderedDict()
    )
    key = (kind.value, text)
    with _cache_lock:
        vector = cache.get(key)
        if vector is not None:
            cache.move_to_end(key)
            return vector
    rows = loaded.embedder.embed([text], kind)
    if len(rows) == 0:  # latent terms from a model without a sparse head
        return None
    vector = np.asarray(rows[0], dtype=np.float32)
    with _cache_lock:
        cache[key] = vector
        while len(cache) > QUERY_CACHE_SIZE:
            cache.popitem(last=False)
    return vector


def embed_missing(platform: Platform, texts: Sequence[str], kind: TextKind) -> int:
    """Embed and store the `texts` that have no vector yet; returns how many were stored."""
    loaded = embedder_of(platform)
    if loaded.embedder is None or not texts:
        return 0
    model, embedder = loaded.model, loaded.embedder
    keys = {key_of(model, kind, t): t for t in dict.fromkeys(texts)}
    with platform.db.read_session() as session:
        todo = [k for k in keys if k not in repo.stored_keys(session, list(keys))]
    batch = settings_of(platform, "search", SearchSettings).batch
    stored = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        # The model runs outside any transaction: a write lock is never held while it thinks.
        rows = embedder.embed([keys[k] for k in chunk], kind)
        if len(rows) != len(chunk):  # latent terms from a model without a sparse head
            return stored
        with platform.unit_of_work(system_actor("search")) as uow:
            fresh = set(chunk) - repo.stored_keys(uow.session, chunk)  # another job's race
            if not fresh:
                continue
            repo.add_vectors(
                uow.session,
                model,
                {k: row for k, row in zip(chunk, rows, strict=True) if k in fresh},
            )
            repo.bump_version(uow.session)
            uow.audit(
                "search.vectors.store", "vectors", model, {"count": len(fresh), "kind": kind.value}
            )
            stored += len(fresh)
    return stored


def report_health(platform: Platform) -> None:
    """Put search's status on /healthz (the platform's health reports, by module)."""
    platform.services.setdefault("health", {})["search"] = lambda: status(platform)
