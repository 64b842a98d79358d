"""The lexical channel for documents without a tuned engine of their own: BM25 over
character bigrams of CJK runs, Latin words and a module's concept tokens.

Chinese has no spaces, and bigrams are the classic segmentation-free unit for it; a module's
*concepts* fold synonyms that share no characters (停車格 / 車位) into one token. BM25 follows
Robertson & Zaragoza, "The Probabilistic Relevance Framework" (2009). The BM25 arithmetic
(`stack_rows`, `bm25_idf`, `bm25_weights`) is the one the chatbot's engine builds its tuned index on
(jieba words, synonyms, aspects and its own vocabulary are the chatbot's).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-+.]*|\d+(?:\.\d+)?")
# Sentence ends in Chinese and Latin text, and line breaks.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+|(?<=\. )")

ConceptFinder = Callable[[str], set[str]]


def tokens(text: str, concepts: ConceptFinder | None = None) -> list[str]:
    """Character bigrams of CJK runs, Latin words and (given a finder) concept tokens."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    out.extend(word.lower() for word in _LATIN.findall(text))
    if concepts is not None:
        # A concept counts as much as a few shared bigrams: it bridges synonyms.
        for concept in concepts(text):
            out.extend([f"#{concept}"] * 2)
    return out


def sentences(text: str, *, shortest: int = 4, most: int = 16) -> list[str]:
    """A text's sentences (fragments shorter than `shortest` characters dropped)."""
    parts = (part.strip(" ，,、") for part in _SENTENCE_END.split(text))
    return [part for part in parts if len(part) >= shortest][:most]


# One text's tokens as (term numbers, counts) in an index's vocabulary.
Row = tuple[np.ndarray, np.ndarray]


def stack_rows(rows: Sequence[Row], n_terms: int) -> sparse.csr_matrix:
    """Encoded rows as a documents × terms matrix (a concatenation, no Python loop per term)."""
    lengths = [len(ids) for ids, _ in rows]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.concatenate([ids for ids, _ in rows]) if rows else np.zeros(0, np.int64)
    values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
    return sparse.csr_matrix((values, indices, indptr), shape=(len(rows), max(n_terms, 1)))


def bm25_idf(counts: sparse.csr_matrix, n_terms: int) -> np.ndarray:
    """BM25's inverse document frequency of every term (0 for a term no document has)."""
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=n_terms).astype(np.float64)
    result: np.ndarray = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
    result[df == 0] = 0.0
    return result


def bm25_weights(
    counts: sparse.csr_matrix, term_idf: np.ndarray, k1: float, b: float
) -> sparse.csc_matrix:
    """Each document's BM25 weight of each of its terms: a query's score of every document
    is then one sparse product with the query's term weights."""
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    average = float(lengths.mean()) if counts.shape[0] else 1.0
    row_length = np.repeat(lengths, np.diff(counts.indptr))
    tf = counts.data
    norm = k1 * (1 - b + b * row_length / (average or 1.0))
    weights = counts.copy()
    weights.data = term_idf[counts.indices] * tf * (k1 + 1) / (tf + norm)
    return weights.tocsc()


class BM25:
    """Okapi BM25 over pre-tokenised documents (a small collection, built per question)."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.4, b: float = 0.6):
        self.vocabulary: dict[str, int] = {}
        self.docs = [Counter(doc) for doc in documents]
        rows = [self._encode(doc) for doc in self.docs]
        n_terms = len(self.vocabulary)
        counts = stack_rows(rows, n_terms)
        self._idf = bm25_idf(counts, n_terms)
        self._weights = bm25_weights(counts, self._idf, k1, b)

    def _encode(self, doc: Counter[str]) -> Row:
        ids = [self.vocabulary.setdefault(term, len(self.vocabulary)) for term in doc]
        return np.array(ids, dtype=np.int64), np.array(list(doc.values()), dtype=np.float64)

    def scores(self, query: Iterable[str]) -> list[float]:
        """The BM25 score of every document for `query` (each distinct term once)."""
        known = [self.vocabulary[t] for t in set(query) if t in self.vocabulary]
        if not known or not self.docs:
            return [0.0] * len(self.docs)
        total = self._weights[:, known].sum(axis=1)
        return [float(x) for x in np.asarray(total).ravel()]

    def shared(self, query: Iterable[str], index: int, limit: int = 5) -> list[str]:
        """The most telling query terms document `index` shares (for reasons)."""
        doc = self.docs[index]
        common = {t for t in query if t in doc}
        return sorted(common, key=lambda t: -float(self._idf[self.vocabulary[t]]))[:limit]


def tfidf_cosine(query: str, documents: Sequence[str]) -> list[float]:
    """Plain TF-IDF cosine over character bigrams: the reference ranking in the benches."""
    docs = [Counter(tokens(d)) for d in documents]
    n = len(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    idf = {t: math.log((1 + n) / (1 + f)) + 1 for t, f in df.items()}

    def vector(counts: Counter[str]) -> dict[str, float]:
        return {t: c * idf.get(t, math.log(1 + n) + 1) for t, c in counts.items()}

    q = vector(Counter(tokens(query)))
    q_norm = math.sqrt(sum(v * v for v in q.values())) or 1.0
    result = []
    for doc in docs:
        d = vector(doc)
        d_norm = math.sqrt(sum(v * v for v in d.values())) or 1.0
        result.append(sum(v * d.get(t, 0.0) for t, v in q.items()) / (q_norm * d_norm))
    return result
