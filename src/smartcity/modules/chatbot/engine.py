"""The answering index: BM25 over every item's question, keywords and variants, and its answer.

Each item is scored two ways: the best of its *units* (the official question, each
citizen-phrased variant, the keywords) and its whole *document* (question, keywords and the
start of the answer). Scores are divided by the query's own weight (the score a document
holding every query token once would get), so they read as "how much of what was asked is
covered" and are comparable across questions; a logistic curve turns that into a confidence.

The index keeps every unit's token counts, so a change re-tokenises only the items that
changed and then rebuilds the sparse matrices from those counts (fast). It is per platform,
in memory, and refreshed whenever the knowledge base's version number moves.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy import sparse

from smartcity.modules.chatbot import text as textmod

K1 = 1.2
B = 0.75
# How much each kind of token counts: words and bigrams carry meaning; a lone character little.
TOKEN_WEIGHT = {"w": 1.0, "b": 1.0, "c": 0.3}
# A query token the knowledge base has never seen counts as if one document held it:
# unknown words are the best sign that a question is about something the city does not answer.
OOV_FACTOR = 1.0
UNIT_SHARE = 0.4
ANSWER_CHARS = 1000
# Logistic calibration of the coverage score into a confidence (see docs/chatbot.md).
CAL_CENTRE = 0.27
CAL_SLOPE = 12.0
MARGIN_WEIGHT = 0.6


@dataclass
class Doc:
    """What the index knows of one item."""

    item_id: str
    question: str
    answer: str = ""
    source_id: str | None = None
    department_code: str | None = None
    department_name: str = ""
    keywords: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass
class Candidate:
    """One item the question may be about."""

    doc: Doc
    score: float
    confidence: float


@dataclass
class Result:
    """Ranked candidates and the confidence in the best one."""

    candidates: list[Candidate]
    confidence: float
    query_tokens: int


class _Bm25:
    """A BM25 weight matrix (documents × terms) over token counts."""

    def __init__(self, rows: list[Counter[str]], vocab: dict[str, int]) -> None:
        n_docs = len(rows)
        self.n_docs = n_docs
        lengths = np.array([sum(row.values()) for row in rows], dtype=np.float64)
        avg = float(lengths.mean()) if n_docs else 1.0
        indptr = [0]
        indices: list[int] = []
        tfs: list[float] = []
        for row in rows:
            for term, tf in row.items():
                indices.append(vocab[term])
                tfs.append(tf)
            indptr.append(len(indices))
        tf_arr = np.array(tfs, dtype=np.float64)
        idx_arr = np.array(indices, dtype=np.int64)
        df = np.bincount(idx_arr, minlength=len(vocab)).astype(np.float64)
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self.oov_idf = math.log(1.0 + (n_docs - 1 + 0.5) / 1.5) * OOV_FACTOR if n_docs else 1.0
        row_len = np.repeat(lengths, np.diff(indptr))
        norm = K1 * (1 - B + B * row_len / (avg or 1.0))
        weights = self.idf[idx_arr] * tf_arr * (K1 + 1) / (tf_arr + norm)
        self.matrix = sparse.csr_matrix(
            (weights, idx_arr, np.array(indptr)), shape=(n_docs, len(vocab))
        ).tocsc()

    def score(self, term_ids: list[int], weights: list[float]) -> np.ndarray:
        if not term_ids or self.n_docs == 0:
            return np.zeros(self.n_docs)
        sub = self.matrix[:, term_ids]
        return np.asarray(sub @ np.array(weights)).ravel()


class AnswerIndex:
    """In-memory retrieval over the knowledge base; safe to share between threads."""

    def __init__(self) -> None:
        self.version = -1
        self.docs: dict[str, Doc] = {}
        self._units: dict[str, list[Counter[str]]] = {}
        self._bodies: dict[str, Counter[str]] = {}
        self._lock = threading.RLock()
        self._built: _Built | None = None

    # -- changes ------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Doc]) -> int:
        """Add or replace items (re-tokenising only these); returns how many."""
        count = 0
        prepared = []
        for doc in docs:
            units = [textmod.counts(doc.question, convert=False)]
            units += [textmod.counts(v) for v in doc.variants]
            if doc.keywords:
                units.append(textmod.counts(" ".join(doc.keywords), convert=False))
            body = textmod.counts(
                " ".join([doc.question, *doc.keywords, doc.answer[:ANSWER_CHARS]]), convert=False
            )
            prepared.append((doc, units, body))
            count += 1
        with self._lock:
            for doc, units, body in prepared:
                self.docs[doc.item_id] = doc
                self._units[doc.item_id] = units
                self._bodies[doc.item_id] = body
            self._built = None
        return count

    def remove(self, item_ids: Iterable[str]) -> None:
        """Forget items (retired or deleted)."""
        with self._lock:
            for item_id in item_ids:
                self.docs.pop(item_id, None)
                self._units.pop(item_id, None)
                self._bodies.pop(item_id, None)
            self._built = None

    def rebuild(self) -> None:
        """Rebuild the matrices from the cached token counts."""
        with self._lock:
            self._built = _Built(self.docs, self._units, self._bodies)

    def _current(self) -> _Built:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = _Built(self.docs, self._units, self._bodies)
                built = self._built
        return built

    # -- answering -------------------------------------------------------------------------

    def search(self, question: str, *, limit: int = 3, today: date | None = None) -> Result:
        """The best items for `question`, with a calibrated confidence in the first."""
        return self._current().search(question, limit, today)


class _Built:
    def __init__(
        self,
        docs: dict[str, Doc],
        units: dict[str, list[Counter[str]]],
        bodies: dict[str, Counter[str]],
    ) -> None:
        self.item_ids = list(docs)
        self.docs = [docs[i] for i in self.item_ids]
        vocab: dict[str, int] = {}
        unit_rows: list[Counter[str]] = []
        unit_item: list[int] = []
        body_rows: list[Counter[str]] = []
        for position, item_id in enumerate(self.item_ids):
            for unit in units[item_id]:
                unit_rows.append(unit)
                unit_item.append(position)
                for term in unit:
                    vocab.setdefault(term, len(vocab))
            body_rows.append(bodies[item_id])
            for term in bodies[item_id]:
                vocab.setdefault(term, len(vocab))
        self.vocab = vocab
        self.unit_item = np.array(unit_item, dtype=np.int64)
        self.units = _Bm25(unit_rows, vocab)
        self.bodies = _Bm25(body_rows, vocab)

    def _query(self, index: _Bm25, terms: Counter[str]) -> tuple[list[int], list[float], float]:
        ids: list[int] = []
        weights: list[float] = []
        own = 0.0
        for term, tf in terms.items():
            weight = TOKEN_WEIGHT.get(term[0], 1.0) * (1.0 + 0.2 * (tf - 1))
            position = self.vocab.get(term)
            if position is None or index.idf[position] <= 0:
                own += weight * index.oov_idf
                continue
            ids.append(position)
            weights.append(weight)
            own += weight * float(index.idf[position])
        return ids, weights, own

    def search(self, question: str, limit: int, today: date | None) -> Result:
        terms = textmod.counts(question)
        n_items = len(self.item_ids)
        if not terms or n_items == 0:
            return Result([], 0.0, len(terms))
        ids, weights, own_u = self._query(self.units, terms)
        unit_scores = self.units.score(ids, weights)
        best_unit = np.zeros(n_items)
        np.maximum.at(best_unit, self.unit_item, unit_scores)
        _ids, _weights, own_b = self._query(self.bodies, terms)
        body_scores = self.bodies.score(ids, weights)
        coverage = UNIT_SHARE * best_unit / (own_u or 1.0) + (1 - UNIT_SHARE) * body_scores / (
            own_b or 1.0
        )
        order = np.argsort(-coverage, kind="stable")
        picked: list[int] = []
        for position in order[: max(limit * 4, 12)]:
            doc = self.docs[int(position)]
            if today and (
                (doc.valid_from and doc.valid_from > today)
                or (doc.valid_until and doc.valid_until < today)
            ):
                continue
            if coverage[position] <= 0:
                break
            picked.append(int(position))
            if len(picked) >= limit + 1:
                break
        if not picked:
            return Result([], 0.0, len(terms))
        top = float(coverage[picked[0]])
        second = float(coverage[picked[1]]) if len(picked) > 1 else 0.0
        margin = (top - second) / top if top > 0 else 0.0
        confidence = calibrate(top, margin)
        candidates = [
            Candidate(
                self.docs[p],
                float(coverage[p]),
                confidence if i == 0 else calibrate(float(coverage[p]), 0.0),
            )
            for i, p in enumerate(picked[:limit])
        ]
        return Result(candidates, confidence, len(terms))


def calibrate(coverage: float, margin: float) -> float:
    """Confidence in [0, 1] from coverage and the lead over the runner-up."""
    x = CAL_SLOPE * (coverage - CAL_CENTRE) + MARGIN_WEIGHT * CAL_SLOPE * 0.1 * margin
    return round(1.0 / (1.0 + math.exp(-x)), 4)
