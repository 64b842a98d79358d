"""Matching: rank proposals for a challenge, and challenges, departments and fields for a
bottom-up proposal — text similarity plus domain, field and availability constraints, with
the reasons shown to the reviewing officer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from smartcity.modules.livinglab.textindex import CONCEPTS, tokens
from smartcity.modules.livinglab.values import DOMAIN_NAMES, FIELD_KIND_NAMES, Domain, FieldKind
from smartcity.modules.search.service import BM25

TEXT_WEIGHT = 0.6
# Departments publish needs by domain, and a proposal from another domain is seldom the one:
# on the look-alike sets' tuning halves a prior this strong ranked best (bench_livinglab_matching).
DOMAIN_BONUS = 2.0
SAME_CHALLENGE_BONUS = 0.3
FIELD_BONUS = 0.1
KIND_BONUS = 0.05
LATE_PENALTY = 0.1
# The dense channel (search): an offer's closeness in meaning (semantic.py: latent terms' and
# cosine's z-scores over the offers ranked) is added to the normalised lexical score with this
# weight (bench_livinglab_matching).
DENSE_WEIGHT = 1.5


@dataclass(frozen=True)
class Meaning:
    """How close an offer is to a need by meaning, and the sentences that meet best."""

    lift: float
    """Closeness over the offers ranked: the latent terms' z-score plus a share of the cosine's."""
    need_sentence: str
    offer_sentence: str


@dataclass(frozen=True)
class Need:
    """What a challenge asks for, as matching sees it."""

    id: str
    title: str
    text: str
    domain: str
    field_ids: frozenset[str] = frozenset()
    field_kinds: frozenset[str] = frozenset()
    closes_on: date | None = None


@dataclass(frozen=True)
class Offer:
    """What a proposal offers, as matching sees it."""

    id: str
    title: str
    text: str
    domain: str
    challenge_id: str | None = None
    field_ids: frozenset[str] = frozenset()
    field_kinds: frozenset[str] = frozenset()
    earliest_start: date | None = None


@dataclass
class Ranked:
    """One ranked candidate."""

    id: str
    score: float
    reasons: list[str] = field(default_factory=list)


def _domain_label(domain: str) -> str:
    try:
        return DOMAIN_NAMES[Domain(domain)]
    except ValueError:
        return domain


def _kind_label(kind: str) -> str:
    try:
        return FIELD_KIND_NAMES[FieldKind(kind)]
    except ValueError:
        return kind


def _term_label(term: str) -> str:
    if term.startswith("#"):
        return CONCEPTS[term[1:]][0]
    return term


def _text_scores(query: str, texts: list[str]) -> tuple[BM25, list[str], list[float]]:
    index = BM25([tokens(t) for t in texts])
    query_tokens = tokens(query)
    raw = index.scores(query_tokens)
    top = max(raw, default=0.0) or 1.0
    return index, query_tokens, [r / top for r in raw]


def _shared_reason(index: BM25, query_tokens: list[str], i: int, similarity: float) -> str:
    shared = []
    for term in index.shared(query_tokens, i, limit=8):
        label = _term_label(term)
        if label not in shared:
            shared.append(label)
    words = "、".join(shared[:5]) or "—"
    return f"文字相近 text similarity {similarity:.2f}: {words}"


def _meaning_reason(meaning: Meaning) -> str:
    return (
        f"語意相近 closest in meaning ({meaning.lift:+.2f}): "
        f"「{meaning.need_sentence}」↔「{meaning.offer_sentence}」"
    )


def rank_offers(
    need: Need,
    offers: list[Offer],
    today: date | None = None,
    meanings: Mapping[str, Meaning] | None = None,
) -> list[Ranked]:
    """Every offer ranked for `need`, best first, each with its reasons.

    With `meanings` (by offer id, from search's dense channel), closeness in meaning adds
    to the text score and the sentences that met are shown.
    """
    if not offers:
        return []
    index, query_tokens, similarity = _text_scores(
        f"{need.title} {need.title} {need.text}", [f"{o.title} {o.text}" for o in offers]
    )
    ranked = []
    for i, offer in enumerate(offers):
        score = TEXT_WEIGHT * similarity[i]
        reasons = [_shared_reason(index, query_tokens, i, similarity[i])]
        meaning = (meanings or {}).get(offer.id)
        if meaning is not None:
            score += DENSE_WEIGHT * meaning.lift
            reasons.append(_meaning_reason(meaning))
        if offer.domain == need.domain:
            score += DOMAIN_BONUS
            reasons.append(f"同領域 same domain: {_domain_label(need.domain)}")
        else:
            reasons.append(f"不同領域 other domain: {_domain_label(offer.domain)}")
        if offer.challenge_id and offer.challenge_id == need.id:
            score += SAME_CHALLENGE_BONUS
            reasons.append("投件至本徵案 submitted to this challenge")
        elif offer.challenge_id is None:
            reasons.append("由下而上提案 bottom-up proposal")
        if offer.field_ids & need.field_ids:
            score += FIELD_BONUS
            reasons.append("希望場域在徵案名單中 wants one of the candidate fields")
        elif offer.field_kinds & need.field_kinds:
            score += KIND_BONUS
            kinds = "、".join(_kind_label(k) for k in sorted(offer.field_kinds & need.field_kinds))
            reasons.append(f"場域類型相符 field kind fits: {kinds}")
        if (
            need.closes_on
            and offer.earliest_start
            and offer.earliest_start > need.closes_on + timedelta(days=180)
        ):
            score -= LATE_PENALTY
            reasons.append(f"最早開始日太晚 starts late: {offer.earliest_start.isoformat()}")
        ranked.append(Ranked(offer.id, round(score, 4), reasons))
    ranked.sort(key=lambda r: (-r.score, r.id))
    return ranked


def rank_needs(
    offer: Offer, needs: list[Need], meanings: Mapping[str, Meaning] | None = None
) -> list[Ranked]:
    """Open challenges ranked for a proposal, best first.

    With `meanings` (by challenge id, the proposal's sentences met against each challenge's),
    closeness in meaning adds to the text score as in `rank_offers`, and the sentences that
    met are shown challenge first.
    """
    if not needs:
        return []
    index, query_tokens, similarity = _text_scores(
        f"{offer.title} {offer.text}", [f"{n.title} {n.title} {n.text}" for n in needs]
    )
    ranked = []
    for i, need in enumerate(needs):
        score = TEXT_WEIGHT * similarity[i]
        reasons = [_shared_reason(index, query_tokens, i, similarity[i])]
        meaning = (meanings or {}).get(need.id)
        if meaning is not None:
            score += DENSE_WEIGHT * meaning.lift
            # Met from the proposal's side: its sentence is the meaning's "need" sentence.
            reasons.append(
                _meaning_reason(
                    Meaning(meaning.lift, meaning.offer_sentence, meaning.need_sentence)
                )
            )
        if need.domain == offer.domain:
            score += DOMAIN_BONUS
            reasons.append(f"同領域 same domain: {_domain_label(need.domain)}")
        if offer.field_ids & need.field_ids:
            score += FIELD_BONUS
            reasons.append("希望場域在徵案名單中 wants one of the candidate fields")
        ranked.append(Ranked(need.id, round(score, 4), reasons))
    ranked.sort(key=lambda r: (-r.score, r.id))
    return ranked


@dataclass(frozen=True)
class Site:
    """A field as matching sees it."""

    id: str
    name: str
    kind: str
    department: str
    domains: frozenset[str]
    free_from: date | None
    """The first day the field is free for the proposal's duration (None: not within a year)."""


def rank_sites(offer: Offer, sites: list[Site]) -> list[Ranked]:
    """Fields ranked for a proposal: the ones it asked for, the right kind and domain, free."""
    ranked = []
    for site in sites:
        score = 0.0
        reasons = []
        if site.id in offer.field_ids:
            score += 0.5
            reasons.append("提案指定此場域 asked for by the proposal")
        if site.kind in offer.field_kinds:
            score += 0.25
            reasons.append(f"場域類型相符 field kind fits: {_kind_label(site.kind)}")
        if offer.domain in site.domains:
            score += 0.15
            reasons.append(f"場域適用領域 field serves: {_domain_label(offer.domain)}")
        if site.free_from is None:
            score -= 0.3
            reasons.append("一年內無空檔 not free within a year")
        else:
            score += 0.1
            reasons.append(f"可用日期 free from {site.free_from.isoformat()}")
        ranked.append(Ranked(site.id, round(score, 4), reasons))
    ranked.sort(key=lambda r: (-r.score, r.id))
    return ranked


def rank_departments(challenges: list[Ranked], owner: dict[str, str]) -> list[Ranked]:
    """Departments ranked by their best-matching challenge or field."""
    best: dict[str, Ranked] = {}
    for item in challenges:
        department = owner.get(item.id)
        if department is None:
            continue
        if department not in best or best[department].score < item.score:
            best[department] = Ranked(
                department, item.score, [f"最相近的需求或場域 closest need or field: {item.id}"]
            )
    return sorted(best.values(), key=lambda r: (-r.score, r.id))
