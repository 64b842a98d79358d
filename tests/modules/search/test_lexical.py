"""search's BM25: the arithmetic the chatbot's engine and livinglab's matching both rank by."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.modules.search.service import BM25

K1, B = 1.4, 0.6
TERMS = ["停車", "車位", "路邊", "收費", "空氣", "品質", "學校", "公車", "到站"]
words = st.lists(st.sampled_from(TERMS), max_size=8)


def textbook_bm25(query: list[str], documents: list[list[str]]) -> list[float]:
    """Okapi BM25 written out term by term, as Robertson & Zaragoza give it."""
    n = len(documents)
    average = sum(map(len, documents)) / n
    df = Counter(term for doc in documents for term in set(doc))
    scores = []
    for doc in documents:
        tf = Counter(doc)
        norm = K1 * (1 - B + B * len(doc) / (average or 1))
        scores.append(
            sum(
                math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] * (K1 + 1) / (tf[t] + norm)
                for t in set(query)
                if tf[t]
            )
        )
    return scores


@given(st.lists(words, min_size=1, max_size=12), words)
def test_scores_are_textbook_bm25_over_any_collection(
    documents: list[list[str]], query: list[str]
) -> None:
    found = BM25(documents, k1=K1, b=B).scores(query)
    assert found == [pytest.approx(expected) for expected in textbook_bm25(query, documents)]


def test_a_rarer_shared_term_counts_more_and_is_named_first_in_reasons() -> None:
    documents = [["停車", "收費"], ["停車", "路邊"], ["停車", "空氣"]]
    index = BM25(documents)
    scores = index.scores(["停車", "路邊"])
    assert scores[1] > scores[0] == scores[2] > 0
    assert index.shared(["停車", "路邊"], 1) == ["路邊", "停車"]


def test_a_query_sharing_nothing_scores_every_document_zero() -> None:
    assert BM25([["停車"], ["空氣"]]).scores(["公車"]) == [0.0, 0.0]
    assert BM25([]).scores(["公車"]) == []
