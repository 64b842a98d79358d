"""Closeness in meaning of challenges and proposals, through the search service.

A text is compared sentence by sentence: each sentence of the challenge meets its closest
sentence of the proposal, and the proposal's closeness is the mean of those cosines — a
proposal that answers every part of the need beats one that repeats its words in one place.
The pair that met best is the reason shown to the reviewing officer. Sentences are embedded
as passages by search's job when a challenge or proposal is stored; one not embedded yet
(a vendor's unsaved draft) is embedded on the spot, a few sentences at most.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

import smartcity.modules.search.service as search
from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.livinglab.matching import Meaning
from smartcity.modules.livinglab.models import Challenge, Proposal

PASSAGE = search.TextKind.PASSAGE


def challenge_sentences(challenge: Challenge) -> list[str]:
    """What a challenge is matched by."""
    return [
        challenge.title,
        *search.sentences(f"{challenge.description}\n{challenge.expected_outcome}"),
    ]


def proposal_sentences(title: str, summary: str, technology: str = "", data: str = "") -> list[str]:
    """What a proposal is matched by."""
    return [title, *search.sentences(f"{summary}\n{technology}\n{data}")]


def of_proposal(proposal: Proposal) -> list[str]:
    """A stored proposal's sentences."""
    return proposal_sentences(
        proposal.title, proposal.summary, proposal.technology, proposal.data_produced
    )


def request(uow: UnitOfWork, sentences: Sequence[str]) -> None:
    """Have the sentences embedded once this transaction commits."""
    search.request_embeddings(uow, sentences, PASSAGE)


def _vectors(session: Session, platform: Platform, texts: Sequence[str]) -> dict[str, np.ndarray]:
    return search.stored_vectors(session, platform, texts, PASSAGE)


def meanings(
    session: Session,
    platform: Platform,
    need: Sequence[str],
    offers: dict[str, list[str]],
) -> dict[str, Meaning]:
    """Each offer's closeness in meaning to the need (none without the model)."""
    if search.embedder_of(platform).embedder is None or not need or not offers:
        return {}
    stored = _vectors(session, platform, [*need, *(s for texts in offers.values() for s in texts)])
    for sentence in need:
        if sentence not in stored:
            vector = search.embed_query(platform, sentence, PASSAGE)
            if vector is not None:
                stored[sentence] = vector
    need_rows = [s for s in need if s in stored]
    if not need_rows:
        return {}
    need_matrix = np.vstack([stored[s] for s in need_rows])
    closeness: dict[str, tuple[float, str, str]] = {}
    for offer_id, texts in offers.items():
        have = [s for s in texts if s in stored]
        if not have:
            continue
        cosines = need_matrix @ np.vstack([stored[s] for s in have]).T
        best = cosines.max(axis=1)
        i, j = np.unravel_index(int(np.argmax(cosines)), cosines.shape)
        closeness[offer_id] = (float(best.mean()), need_rows[int(i)], have[int(j)])
    if not closeness:
        return {}
    median = float(np.median([c for c, _, _ in closeness.values()]))
    return {
        offer_id: Meaning(round(c - median, 4), need_sentence, offer_sentence)
        for offer_id, (c, need_sentence, offer_sentence) in closeness.items()
    }
