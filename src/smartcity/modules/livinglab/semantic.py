"""Closeness in meaning of challenges and proposals, through the search service.

A challenge and a proposal are compared as whole texts (title and body, one vector each): on
the look-alike sets, where a wrong proposal repeats the challenge's words about another need,
the whole text's gist ranked the right ones higher than sentence-aligned cosines did. The
cosines are standardised over every offer ranked, so a short challenge's uniformly high
cosines weigh the same as a long one's. Beside the cosine, the whole texts' *latent terms*
(the model's sparse head: the concepts a text activates) are compared by a dot product, also
standardised; a look-alike that repeats the challenge's topic about another need shares fewer
of them than the right proposal, and on the look-alike sets' tuning halves they ranked better
than the cosine (docs/benchmarks.md). The closeness is the latent terms' z-score plus
`DENSE_SHARE` of the cosine's. Sentences still meet one by one for the reason shown to the
reviewing officer: the pair that met best. Both sides are embedded with e5's query prefix, its
prefix for comparing peers (passage vectors ranked worse on the tuning halves). Texts are
embedded by search's job when a challenge or proposal is stored; a need not embedded yet (a
vendor's unsaved draft) is embedded on the spot, a few texts at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import smartcity.modules.search.service as search
from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.livinglab.matching import Meaning
from smartcity.modules.livinglab.models import Challenge, Proposal

KIND = search.TextKind.QUERY
LATENT = search.TextKind.LATENT
# The cosine's z-score counts half as much as the latent terms' (chosen on the tuning halves
# of the look-alike sets, with matching.DENSE_WEIGHT; bench_livinglab_matching.py).
DENSE_SHARE = 0.5


@dataclass(frozen=True)
class Texts:
    """What a challenge or proposal is matched by in meaning."""

    whole: str
    """Title and body as one text: what closeness is measured on."""
    sentences: tuple[str, ...]
    """The title and each sentence of the body: the pair that met best is shown."""

    def all(self) -> list[str]:
        """Every text to embed."""
        return [self.whole, *self.sentences]


def texts(title: str, *parts: str) -> Texts:
    """A title and its body's parts, as matching by meaning reads them."""
    body = "\n".join(p for p in parts if p.strip())
    return Texts(
        whole=f"{title}\n{body}" if body else title,
        sentences=(title, *search.sentences(body)),
    )


def challenge_texts(challenge: Challenge) -> Texts:
    """What a challenge is matched by."""
    return texts(challenge.title, challenge.description, challenge.expected_outcome)


def proposal_texts(title: str, summary: str, technology: str = "", data: str = "") -> Texts:
    """What a proposal is matched by."""
    return texts(title, summary, technology, data)


def of_proposal(proposal: Proposal) -> Texts:
    """A stored proposal's texts."""
    return proposal_texts(
        proposal.title, proposal.summary, proposal.technology, proposal.data_produced
    )


def wanted(rows: Sequence[Texts]) -> dict[search.TextKind, list[str]]:
    """What matching reads of `rows`, by kind: every text's vector, the whole texts' latent
    terms."""
    return {KIND: [t for r in rows for t in r.all()], LATENT: [r.whole for r in rows]}


def request(uow: UnitOfWork, of: Texts) -> None:
    """Have the texts embedded once this transaction commits."""
    for kind, texts_of_kind in wanted([of]).items():
        search.request_embeddings(uow, texts_of_kind, kind)


def request_missing(uow: UnitOfWork, platform: Platform) -> int:
    """Have every challenge's and proposal's texts that have no vector yet embedded (rows
    stored before matching read these vectors, e.g. after an upgrade): one job for them all.
    Returns how many texts were asked for (none while ranking is lexical only)."""
    if not search.embedder_of(platform).model:
        return 0
    rows: list[Texts] = [challenge_texts(c) for c in uow.session.scalars(select(Challenge))]
    rows += [of_proposal(p) for p in uow.session.scalars(select(Proposal))]
    asked = 0
    for kind, texts_of_kind in wanted(rows).items():
        stored = search.stored_vectors(uow.session, platform, texts_of_kind, kind)
        missing = [t for t in dict.fromkeys(texts_of_kind) if t.strip() and t not in stored]
        search.request_embeddings(uow, missing, kind)
        asked += len(missing)
    return asked


def _vectors(session: Session, platform: Platform, wanted: Sequence[str]) -> dict[str, np.ndarray]:
    return search.stored_vectors(session, platform, wanted, KIND)


def _closest_pair(need: Texts, offer: Texts, stored: dict[str, np.ndarray]) -> tuple[str, str]:
    """The need's and the offer's sentences that meet best (the whole texts, before the
    sentences have their vectors)."""
    need_rows = [s for s in need.sentences if s in stored] or [need.whole]
    offer_rows = [s for s in offer.sentences if s in stored] or [offer.whole]
    cosines = (
        np.vstack([stored[s] for s in need_rows]) @ np.vstack([stored[s] for s in offer_rows]).T
    )
    i, j = np.unravel_index(int(np.argmax(cosines)), cosines.shape)
    return need_rows[int(i)], offer_rows[int(j)]


def meanings(
    session: Session,
    platform: Platform,
    need: Texts,
    offers: dict[str, Texts],
) -> dict[str, Meaning]:
    """Each offer's closeness in meaning to the need (none without the model)."""
    if search.embedder_of(platform).embedder is None or not offers:
        return {}
    stored = _vectors(
        session, platform, [*need.all(), *(t for o in offers.values() for t in o.all())]
    )
    for text in need.all():
        if text not in stored:
            vector = search.embed_query(platform, text, KIND)
            if vector is not None:
                stored[text] = vector
    if need.whole not in stored:
        return {}
    cosines = {
        offer_id: float(stored[need.whole] @ stored[of.whole])
        for offer_id, of in offers.items()
        if of.whole in stored
    }
    if not cosines:
        return {}
    lifts = search.standardise(np.array(list(cosines.values()))) * DENSE_SHARE
    lifts += _latent_lifts(session, platform, need, {i: offers[i] for i in cosines})
    result = {}
    for offer_id, lift in zip(cosines, lifts, strict=True):
        need_sentence, offer_sentence = _closest_pair(need, offers[offer_id], stored)
        result[offer_id] = Meaning(round(float(lift), 4), need_sentence, offer_sentence)
    return result


def _latent_lifts(
    session: Session, platform: Platform, need: Texts, offers: dict[str, Texts]
) -> np.ndarray:
    """Each offer's latent-term dot product with the need, standardised over the offers that
    have their terms (0, the average, for one whose terms are not stored yet, and for all when
    the model has no sparse head)."""
    wholes = [offer.whole for offer in offers.values()]
    terms = search.stored_vectors(session, platform, [need.whole, *wholes], LATENT)
    if need.whole not in terms:
        found = search.embed_query(platform, need.whole, LATENT)
        if found is None:
            return np.zeros(len(offers))
        terms[need.whole] = found
    have = [i for i, whole in enumerate(wholes) if whole in terms]
    lifts = np.zeros(len(offers))
    if have:
        dots = np.array([search.latent_dot(terms[need.whole], terms[wholes[i]]) for i in have])
        lifts[have] = search.standardise(dots)
    return lifts
