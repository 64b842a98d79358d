"""The lexical channel for documents without a tuned engine of their own: BM25 over
character bigrams of CJK runs, Latin words and a module's concept tokens.

Chinese has no spaces, and bigrams are the classic segmentation-free unit for it; a module's
*concepts* fold synonyms that share no characters (停車格 / 車位) into one token. BM25 follows
Robertson & Zaragoza, "The Probabilistic Relevance Framework" (2009). The chatbot's engine
(BM25F with jieba words, synonyms and aspects) is the tuned one for its FAQ.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

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


class BM25:
    """Okapi BM25 over pre-tokenised documents."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.4, b: float = 0.6):
        self.k1 = k1
        self.b = b
        self.docs = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {
            term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }

    def scores(self, query: Iterable[str]) -> list[float]:
        """The BM25 score of every document for `query`."""
        terms = Counter(query)
        result = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            total = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / (self.average or 1))
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    total += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
            result.append(total)
        return result

    def shared(self, query: Iterable[str], index: int, limit: int = 5) -> list[str]:
        """The most telling query terms document `index` shares (for reasons)."""
        doc = self.docs[index]
        common = {t for t in query if t in doc}
        return sorted(common, key=lambda t: -self.idf.get(t, 0))[:limit]


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
