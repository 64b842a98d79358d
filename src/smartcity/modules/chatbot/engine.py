"""The answering index: BM25 over every item's question, keywords and variants, and its answer.

Each item is scored two ways: the best of its *units* (the official question, each
citizen-phrased variant, the keywords) and its whole *document* (question, keywords and the
start of the answer). Scores are divided by the query's own weight (the score a document
holding every query token once would get), so they read as "how much of what was asked is
covered" and are comparable across questions; a logistic curve turns that into a confidence.

The index keeps every unit's token counts as term numbers of a vocabulary that only grows,
so a change re-tokenises only the items that changed, and a rebuild of the sparse matrices is
a concatenation of those stored rows (no pass over any text or dictionary). It is per
platform, in memory, and refreshed whenever the knowledge base's version number moves.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

import smartcity.modules.search.service as search
from smartcity.core.city import current_city
from smartcity.modules.chatbot import text as textmod

K1 = 1.2
B = 0.75
# How much each kind of token counts: words and bigrams carry meaning; a lone character little.
TOKEN_WEIGHT = {"w": 1.0, "b": 1.0, "c": 0.3, "a": 0.5}
# A query token the knowledge base has never seen counts as if one document held it:
# unknown words are the best sign that a question is about something the city does not answer.
OOV_FACTOR = 1.0
# An unknown dictionary word counts twice that: an unknown bigram often just spans a word
# boundary, a word the city's FAQ never uses is a topic it does not cover.
OOV_WORD_FACTOR = 2.0
# Unit similarity = shared / (query ** (1 - ALPHA) * unit ** ALPHA): ALPHA 0 is "how much of
# the question the unit covers", 0.5 a cosine of binary idf-weighted vectors.
ALPHA = 0.2
# What each kind of unit is worth: the official question, a taught citizen phrasing, keywords.
KIND_WEIGHT = {"t": 1.0, "v": 1.3, "k": 0.8}
# Soft maximum over an item's units: the best counts whole, the others add SOFT × their sum
# (capped at the best), so an item several phrasings agree on beats one lucky match.
SOFT = 1.0
UNIT_SHARE = 0.3
# The body is one BM25 document whose fields count with these weights (BM25F-style: a term's
# weighted counts are summed before saturation): the official question, keywords, taught
# variants and the whole answer.
FIELD_WEIGHT = {"t": 8, "k": 2, "v": 2, "a": 1}
# Added to the coverage × the share of the question's aspects (when, where, cost …) that the
# item's official question or a taught variant also asks about: within one topic the items
# differ mostly by aspect, and aspect words are too common to weigh much by idf.
ASPECT_BONUS = 0.06
# Coverage of an item that does not name the place outside the city a question names (臺中,
# 日本 …) is multiplied by this: the question is about another city's services.
OTHER_PLACE_FACTOR = 0.3
# Coverage of an item whose official question or keywords name districts of the city, none of
# them a district the question names, is multiplied by this: one district's office, childcare
# centre or sports centre does not answer for another's.
DISTRICT_FACTOR = 0.5
# Logistic calibration of the coverage score into a confidence (see docs/chatbot.md).
CAL_CENTRE = 0.261
CAL_SLOPE = 12.0
# Coverage is a share of the question, and a long question's right item covers less of it
# (citizens add context the FAQ never states): the confidence adds LENGTH_SLOPE × ln(n / REF)
# for a question of n distinct tokens, REF the typical length, n capped at twice REF.
LENGTH_SLOPE = 0.16
LENGTH_REF = 17
PASSED_OVER = 8
"""Extra candidates looked at when some are not kept (the platform needs, four today)."""
# The dense channel (search) reads an item two ways: its best cosine among its official
# question and taught phrasings (e5's `query:` on both sides, question against question), and
# the cosine of its passage (`passage:` — the question and the answer's first sentence, so an
# item is found by what it answers, not only by how it is asked).
# With both, items are ranked within a pool — the POOL best of each channel (lexical
# coverage, phrasing cosine, passage cosine) — by search's linear Ranker over FEATURES: the
# coverage (already a share of the question), each cosine standardised over the whole bank
# (raw cosines differ from question to question), the coverage's gap to the pool's best (a
# clear lexical winner is seldom wrong) and the share of the question's aspects the item asks
# about. Not over the pool: in a bank of a few dozen items the pool is the whole bank, every
# item in it looks far above the pool's mean, and an out-of-scope question was answered
# confidently (ADR 0035). Fitted on the tuning halves only (bench_search_chatbot.py --tune,
# docs/benchmarks.md).
POOL = 30
FEATURES = ("lexical", "phrasing", "passage", "lexical gap", "aspect")
RANKER = search.Ranker((4.14, 0.91, 1.78, 4.14, 1.65))
# How much of an item's phrasing score is the cosine of its centre (the mean of its question,
# its taught phrasings and its passage) rather than of its best phrasing: teaching one
# phrasing then helps the next, different one (ADR 38; chosen on the tuning halves).
CENTRE_SHARE = 0.3
# Characters of the answer's first sentence in an item's passage.
PASSAGE_HEAD = 80
# The fused confidence: a logistic model of the lexical confidence and the dense channels'
# part of the ranking score, fitted on the tuning halves (bench_search_chatbot.py --tune).
# The lead over the runner-up and which channel alone puts the item first are left out (0):
# among a few dozen items they are often there by chance, and the demo's bank then answered
# a question none of its items answers (ADR 0035).
FUSED = search.Calibration(
    lexical=3.49, dense=0.18, margin=0.0, bias=-3.80, dense_first=0.0, lexical_first=0.0
)


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
    lexical: float = 0.0
    """The lexical channel's confidence alone."""
    lift: float = 0.0
    """The dense channels' part of the ranking score, both readings (0 without vectors)."""
    lead: float = 0.0
    """The score's lead over the best other candidate (negative below the first)."""
    dense_first: bool = False
    """Whether the dense channel alone would rank this item first."""
    lexical_first: bool = False
    """Whether the lexical channel alone would rank this item first."""


@dataclass
class Scores:
    """Per-item scores of one question (arrays over the items in index order)."""

    unit: np.ndarray  # soft maximum of the units' similarities, weighted by kind
    plain: np.ndarray  # the same with no kind weighing above 1 (for the confidence)
    body: np.ndarray  # BM25 of the field-weighted body ÷ the question's own weight
    aspect: np.ndarray  # share of the question's aspects the item's questions ask about
    n_terms: int


@dataclass
class Result:
    """Ranked candidates and the confidence in the best one."""

    candidates: list[Candidate]
    confidence: float
    query_tokens: int


# One text's tokens as (term numbers, counts) in the index's vocabulary.
Row = search.Row


def _oov_idf(n_docs: int) -> float:
    return math.log(1.0 + (n_docs - 1 + 0.5) / 1.5) * OOV_FACTOR if n_docs else 1.0


class AnswerIndex:
    """In-memory retrieval over the knowledge base; safe to share between threads."""

    def __init__(
        self,
        home_places: Sequence[str] | None = None,
        districts: Sequence[str] | None = None,
    ) -> None:
        self.version = -1
        # Without names given, the city being served.
        city = current_city()
        self._elsewhere = textmod.elsewhere_pattern(
            city.short_names if home_places is None else home_places
        )
        self._district_re = textmod.district_pattern(
            textmod.city_districts(city) if districts is None else districts
        )
        self.docs: dict[str, Doc] = {}
        # Terms are numbered once and never renumbered, so stored rows stay valid; a term only
        # removed items used stays with idf 0 (the vocabulary grows with new words, not edits).
        self._vocab: dict[str, int] = {}
        self._term_weight: list[float] = []
        self._units: dict[str, list[tuple[float, Row]]] = {}
        self._bodies: dict[str, Row] = {}
        self._aspects: dict[str, frozenset[str]] = {}
        self._places: dict[str, frozenset[str]] = {}
        self._districts: dict[str, frozenset[str]] = {}
        self._lock = threading.RLock()
        self._built: _Built | None = None
        self.dense = search.DenseIndex(centre_share=CENTRE_SHARE)
        self.passages = search.DenseIndex()

    # -- changes ------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Doc]) -> int:
        """Add or replace items (re-tokenising only texts not seen before); returns how many."""
        count = 0
        prepared = []
        for doc in docs:
            units = [("t", textmod.counts(doc.question, convert=False))]
            units += [("v", textmod.counts(v)) for v in doc.variants]
            if doc.keywords:
                units.append(("k", textmod.counts(" ".join(doc.keywords), convert=False)))
            fields = {
                "a": textmod.normalise(doc.answer, convert=False),
                "t": textmod.normalise(doc.question, convert=False),
                "k": textmod.normalise(" ".join(doc.keywords), convert=False),
                "v": textmod.normalise("\n".join(doc.variants), convert=False),
            }
            body: Counter[str] = Counter()
            for kind, norm in fields.items():
                weight = FIELD_WEIGHT[kind]
                counted = textmod.body_counts(norm, normalised=True)
                if not body:  # the answer, by far the longest: one dict copy
                    body.update({term: weight * tf for term, tf in counted.items()})
                    continue
                for term, tf in counted.items():
                    body[term] += weight * tf
            places = textmod.places("\n".join(fields.values()), self._elsewhere, normalised=True)
            # Answers often list every district's address: only the staff-written title and
            # keywords say which district an item is about.
            districts = textmod.districts(
                fields["t"] + "\n" + fields["k"], self._district_re, normalised=True
            )
            # Which aspects the official question and taught variants ask about.
            aspects = frozenset(
                term[2:] for kind, unit in units if kind != "k" for term in unit if term[0] == "a"
            )
            prepared.append(
                (doc, [(k, u) for k, u in units if u], body, places, districts, aspects)
            )
            count += 1
        with self._lock:
            for doc, units, body, places, districts, aspects in prepared:
                self.docs[doc.item_id] = doc
                self._units[doc.item_id] = [
                    (KIND_WEIGHT.get(kind, 1.0), self._encode(unit)) for kind, unit in units
                ]
                self._bodies[doc.item_id] = self._encode(body)
                self._aspects[doc.item_id] = aspects
                self._places[doc.item_id] = places
                self._districts[doc.item_id] = districts
            self._built = None
        return count

    def _encode(self, counted: Counter[str]) -> Row:
        """Token counts as term numbers (new terms numbered; the caller holds the lock)."""
        vocab = self._vocab
        known = len(vocab)
        # A new term gets the next number: setdefault reads len() before it inserts.
        ids = [vocab.setdefault(term, len(vocab)) for term in counted]
        if len(vocab) > known:  # new terms, in the order they were numbered
            self._term_weight.extend(
                TOKEN_WEIGHT.get(term[0], 1.0) for term in counted if vocab[term] >= known
            )
        return np.array(ids, dtype=np.int64), np.array(list(counted.values()), dtype=np.float64)

    def set_vectors(
        self, item_id: str, phrasings: Sequence[np.ndarray], passage: np.ndarray | None
    ) -> None:
        """An item's stored vectors: its question's and taught phrasings' (read one by one,
        and with the passage as their centre) and its passage's (None: not embedded yet)."""
        passages = [passage] if passage is not None else []
        self.dense.set(item_id, phrasings, with_centre=passages)
        self.passages.set(item_id, passages)

    def remove(self, item_ids: Iterable[str]) -> None:
        """Forget items (retired or deleted)."""
        item_ids = list(item_ids)
        self.dense.remove(item_ids)
        self.passages.remove(item_ids)
        with self._lock:
            for item_id in item_ids:
                self.docs.pop(item_id, None)
                self._units.pop(item_id, None)
                self._bodies.pop(item_id, None)
                self._aspects.pop(item_id, None)
                self._places.pop(item_id, None)
                self._districts.pop(item_id, None)
            self._built = None

    def rebuild(self) -> None:
        """Rebuild the matrices from the cached token counts."""
        with self._lock:
            self._built = self._build()

    def _build(self) -> _Built:
        return _Built(
            self.docs,
            (self._units, self._bodies, self._aspects),
            (dict(self._vocab), np.array(self._term_weight)),
            (self._places, self._elsewhere),
            (self._districts, self._district_re),
        )

    def _current(self) -> _Built:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
                built = self._built
        return built

    # -- answering -------------------------------------------------------------------------

    def search(
        self,
        question: str,
        *,
        limit: int = 3,
        today: date | None = None,
        query_vector: np.ndarray | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> Result:
        """The best items for `question`, with a calibrated confidence in the first.

        With the question's vector (search's dense channel) and items' vectors stored, the
        ranking and the confidence fuse both channels; without, they are lexical. `keep`
        narrows the candidates (by id) without changing how any of them is scored.
        """
        built = self._current()
        return built.search(question, limit, today, self._cosines(built, query_vector), keep)

    def features(self, question: str, query_vector: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The candidate pool's item ids and their ranking features (FEATURES, in order):
        what the bench's tune mode fits RANKER on."""
        built = self._current()
        dense = self._cosines(built, query_vector)
        if not dense:
            return [], np.zeros((0, len(FEATURES)))
        found = built.scores(question)
        coverage, _ = built.coverage(question, found)
        pool, features = built.fused_features(coverage, found.aspect, dense)
        return [built.item_ids[int(p)] for p in pool], features

    def _cosines(self, built: _Built, query_vector: np.ndarray | None) -> list[np.ndarray]:
        """Every item's best phrasing cosine and passage cosine; none until every item has both.

        While the embedding job is still at work (after a demo load or an import), cosines over
        the few items it has embedded are standardised against filled-in gaps and mislead the
        confidence: the demo's own paraphrase was only suggested. Words alone rank until then.
        """
        if query_vector is None or not (len(self.dense) or len(self.passages)):
            return []
        cosines = [
            channel.scores(query_vector, built.item_ids) for channel in (self.dense, self.passages)
        ]
        return [] if any(np.isnan(channel).any() for channel in cosines) else cosines


class _Built:
    """The matrices of one state of the knowledge base.

    Units (each official question, each taught variant, each keyword list) are short
    documents scored on their own: a binary idf-weighted overlap, normalised by both the
    question's and the unit's own weight. An item's unit score is a soft maximum over its
    units. Bodies (question, keywords and answer) are scored by BM25 over bigrams.
    """

    def __init__(
        self,
        docs: dict[str, Doc],
        rows: tuple[dict[str, list[tuple[float, Row]]], dict[str, Row], dict[str, frozenset[str]]],
        vocabulary: tuple[dict[str, int], np.ndarray],
        places: tuple[dict[str, frozenset[str]], re.Pattern[str]],
        districts: tuple[dict[str, frozenset[str]], re.Pattern[str]],
    ) -> None:
        units, bodies, aspects = rows
        self.vocab, self.token_weight = vocabulary
        self.elsewhere = places[1]
        self.district_re = districts[1]
        self.item_ids = list(docs)
        self.docs = [docs[i] for i in self.item_ids]
        self.places = [places[0][i] for i in self.item_ids]
        self.districts = [districts[0][i] for i in self.item_ids]
        unit_rows: list[Row] = []
        unit_item: list[int] = []
        unit_kind: list[float] = []
        for position, item_id in enumerate(self.item_ids):
            for kind_weight, unit in units[item_id]:
                unit_rows.append(unit)
                unit_item.append(position)
                unit_kind.append(kind_weight)
        n_terms = max(len(self.vocab), 1)
        unit_counts = search.stack_rows(unit_rows, n_terms)
        body_counts = search.stack_rows([bodies[i] for i in self.item_ids], n_terms)
        self.n_units = unit_counts.shape[0]
        self.unit_item = np.array(unit_item, dtype=np.int64)
        self.unit_kind = np.array(unit_kind, dtype=np.float64)
        # Units: binary presence × idf × token weight; each unit's own weight.
        self.unit_idf = search.bm25_idf(unit_counts, n_terms)
        self.unit_oov = _oov_idf(self.n_units)
        presence = unit_counts.copy()
        presence.data = (self.unit_idf * self.token_weight)[presence.indices]
        self.unit_self = np.asarray(presence.sum(axis=1)).ravel()
        self.unit_matrix = presence.tocsc()
        # Which aspects each item's official question and taught variants ask about.
        self.aspects = {name: i for i, (name, _) in enumerate(textmod.ASPECTS)}
        self.item_aspects = np.zeros((len(self.item_ids), len(self.aspects)))
        for position, item_id in enumerate(self.item_ids):
            for name in aspects[item_id]:
                self.item_aspects[position, self.aspects[name]] = 1.0
        # Bodies: BM25.
        n_bodies = body_counts.shape[0]
        self.body_idf = search.bm25_idf(body_counts, n_terms)
        self.body_oov = _oov_idf(n_bodies)
        self.body_matrix = search.bm25_weights(body_counts, self.body_idf, K1, B)

    def _query(
        self, terms: Counter[str], idf: np.ndarray, oov: float
    ) -> tuple[list[int], list[float], float]:
        ids: list[int] = []
        weights: list[float] = []
        own = 0.0
        for term, tf in terms.items():
            weight = TOKEN_WEIGHT.get(term[0], 1.0) * (1.0 + 0.2 * (tf - 1))
            position = self.vocab.get(term)
            if position is None or idf[position] <= 0:
                own += weight * oov * (OOV_WORD_FACTOR if term[0] == "w" else 1.0)
                continue
            ids.append(position)
            weights.append(weight)
            own += weight * float(idf[position])
        return ids, weights, own

    def _items(self, sim: np.ndarray) -> np.ndarray:
        """Units' similarities combined per item by the soft maximum."""
        best = np.zeros(len(self.item_ids))
        np.maximum.at(best, self.unit_item, sim)
        if SOFT:
            # The other units add evidence, at most as much again as the best one.
            total = np.zeros(len(self.item_ids))
            np.add.at(total, self.unit_item, sim)
            best = best + SOFT * np.minimum(total - best, best)
        return best

    def scores(self, question: str) -> Scores:
        """Unit and body coverage and aspect agreement of every item."""
        terms = textmod.counts(question)
        n_items = len(self.item_ids)
        zeros = np.zeros(n_items)
        if not terms or n_items == 0:
            return Scores(zeros, zeros, zeros, zeros, len(terms))
        asked = [self.aspects[t[2:]] for t in terms if t[0] == "a"]
        aspect = self.item_aspects[:, asked].sum(axis=1) / len(asked) if asked else zeros
        ids, weights, own_q = self._query(terms, self.unit_idf, self.unit_oov)
        unit = plain = zeros
        if ids and self.n_units:
            shared = self.unit_matrix[:, ids] @ np.minimum(np.array(weights), 1.0)
            shared = np.asarray(shared).ravel()
            sim = shared / (
                (own_q or 1.0) ** (1 - ALPHA) * np.maximum(self.unit_self, 1e-9) ** ALPHA
            )
            unit = self._items(sim * self.unit_kind)
            # A unit's kind ranks the items but never raises the confidence above what
            # an official question as close would earn.
            plain = self._items(sim * np.minimum(self.unit_kind, 1.0))
        body_terms = Counter(
            {t: c for t, c in terms.items() if t[0] == "b" or (t[0] == "w" and t[2:].isascii())}
        )
        # Every character once, at a lone character's low weight: partial words still meet.
        body_terms.update({"c:" + ch: 1 for t in terms if t[0] in "bc" for ch in t[2:]})
        bids, bweights, own_b = self._query(body_terms, self.body_idf, self.body_oov)
        body = zeros
        if bids:
            body = np.asarray(self.body_matrix[:, bids] @ np.array(bweights)).ravel() / (
                own_b or 1.0
            )
        return Scores(unit, plain, body, aspect, len(terms))

    def coverage(self, question: str, found: Scores) -> tuple[np.ndarray, np.ndarray]:
        """The lexical ranking score of every item, and the same without kind weights (for
        the confidence): coverage, aspect agreement, and the place and district factors."""
        rest = (1 - UNIT_SHARE) * found.body + ASPECT_BONUS * found.aspect
        coverage = UNIT_SHARE * found.unit + rest
        sure = UNIT_SHARE * found.plain + rest
        elsewhere = textmod.places(question, self.elsewhere)
        if elsewhere:
            factor = np.array(
                [1.0 if elsewhere & named else OTHER_PLACE_FACTOR for named in self.places]
            )
            coverage, sure = coverage * factor, sure * factor
        asked = textmod.districts(question, self.district_re)
        if asked:
            factor = np.array(
                [
                    DISTRICT_FACTOR if named and not asked & named else 1.0
                    for named in self.districts
                ]
            )
            coverage, sure = coverage * factor, sure * factor
        return coverage, sure

    def fused_features(
        self, coverage: np.ndarray, aspect: np.ndarray, dense: Sequence[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The candidate pool (item positions) and each candidate's FEATURES."""
        pool = search.pool([coverage, *dense], POOL)
        lexical = coverage[pool]
        features = np.column_stack(
            [
                lexical,
                *(search.standardise(cosines)[pool] for cosines in dense),
                lexical - lexical.max(),
                aspect[pool],
            ]
        )
        return pool, features

    def search(
        self,
        question: str,
        limit: int,
        today: date | None,
        dense: Sequence[np.ndarray] = (),
        keep: Callable[[str], bool] | None = None,
    ) -> Result:
        found = self.scores(question)
        n_terms = found.n_terms
        if not len(found.unit):
            return Result([], 0.0, n_terms)
        coverage, sure = self.coverage(question, found)
        # Lexically, an item sharing nothing with the question is no candidate; fused, an item
        # outside the pool is none.
        floor = 0.0
        ranking = coverage
        # What meaning added to each item (None: ranked by words alone).
        lift: np.ndarray | None = None
        if dense:
            pool, features = self.fused_features(coverage, found.aspect, dense)
            floor = -np.inf
            ranking = np.full(len(coverage), -np.inf)
            ranking[pool] = RANKER.scores(features)
            lift = np.full(len(coverage), -np.inf)
            meaning = slice(1, 1 + len(dense))
            lift[pool] = features[:, meaning] @ np.asarray(RANKER.weights[meaning])
        order = np.argsort(-ranking, kind="stable")
        picked: list[int] = []
        # Skipped candidates (outside their dates, or not kept) widen the look a little.
        for position in order[: max(limit * 4, 12) + (PASSED_OVER if keep else 0)]:
            doc = self.docs[int(position)]
            if keep is not None and not keep(doc.item_id):
                continue
            if today and (
                (doc.valid_from and doc.valid_from > today)
                or (doc.valid_until and doc.valid_until < today)
            ):
                continue
            if ranking[position] <= floor:
                break
            picked.append(int(position))
            if len(picked) >= limit + 1:
                break
        if not picked:
            return Result([], 0.0, n_terms)

        lexical_top = int(np.argmax(coverage))
        dense_top = int(np.argmax(lift)) if lift is not None else -1

        def candidate(p: int) -> Candidate:
            lexical = calibrate(float(sure[p]), n_terms)
            rivals = [ranking[q] for q in picked if q != p]
            lead = float(ranking[p] - max(rivals)) if rivals else float(ranking[p])
            if lift is None:
                return Candidate(self.docs[p], float(ranking[p]), lexical, lexical, 0.0, lead)
            firsts = {"dense_first": p == dense_top, "lexical_first": p == lexical_top}
            confidence = FUSED.confidence(lexical, float(lift[p]), lead, **firsts)
            return Candidate(
                self.docs[p], float(ranking[p]), confidence, lexical, float(lift[p]), lead, **firsts
            )

        candidates = [candidate(p) for p in picked[:limit]]
        return Result(candidates, candidates[0].confidence, n_terms)


def passage_of(doc: Doc) -> str:
    """The text an item is embedded by as an e5 passage: its question and the start of its
    answer."""
    head = search.sentences(doc.answer, most=1)
    return f"{doc.question}\n{head[0][:PASSAGE_HEAD]}" if head else doc.question


def calibrate(coverage: float, n_terms: int) -> float:
    """Confidence in [0, 1] from how much of a question of `n_terms` tokens the item covers."""
    # Coverage and length only: the lead over the runner-up did not separate right answers
    # from unanswerable questions on the tuning half (docs/chatbot.md, "What was tuned").
    length = math.log(min(max(n_terms, 1), 2 * LENGTH_REF) / LENGTH_REF)
    x = CAL_SLOPE * (coverage + LENGTH_SLOPE * length - CAL_CENTRE)
    return round(1.0 / (1.0 + math.exp(-x)), 4)
