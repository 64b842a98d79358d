"""Calibrated fusion of a lexical and a dense score into one ranking and one confidence.

The two channels fail on different questions: a lexical score misses a question that names
none of the document's words; a dense score misses a rare name or number the words carry.
Each channel's score is first made comparable across questions (the lexical one as a share of
the question covered, the dense one as its lift over the question's typical cosine), then a
logistic model, fitted on a tuning set only, turns the pair into the probability that the
top document is right — so 0.9 means right about nine times in ten (the bench's reliability
table checks it on held-out questions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Weights of the logistic model over the top document's features."""

    lexical: float
    """Weight of the lexical score (already comparable across questions)."""
    dense: float
    """Weight of the dense lift: the top cosine minus the question's median cosine."""
    margin: float
    """Weight of the fused score's lead over the runner-up."""
    bias: float
    dense_first: float = 0.0
    """Added when the dense channel alone would also have put the top document first."""
    lexical_first: float = 0.0
    """Added when the lexical channel alone would also have put the top document first."""

    def confidence(
        self,
        lexical: float,
        dense_lift: float,
        margin: float,
        *,
        dense_first: bool = False,
        lexical_first: bool = False,
    ) -> float:
        """The probability that the top document is the right one.

        The channels fail on different questions, so their agreement on the first document
        says more than either score: a top document both would have chosen is seldom wrong.
        """
        x = (
            self.lexical * lexical
            + self.dense * dense_lift
            + self.margin * margin
            + self.dense_first * dense_first
            + self.lexical_first * lexical_first
            + self.bias
        )
        return round(1.0 / (1.0 + math.exp(-x)), 4)


def dense_lift(cosines: np.ndarray) -> np.ndarray:
    """Cosines minus the question's median over the documents that have a vector.

    An e5 cosine of 0.85 is weak for one question and strong for another (every cosine of
    a short question is high): the lift over the typical document is what carries meaning.
    """
    known = cosines[~np.isnan(cosines)]
    if not len(known):
        return np.zeros_like(cosines)
    centred = cosines - float(np.median(known))
    return np.where(np.isnan(centred), 0.0, centred)


def fuse(lexical: np.ndarray, lifts: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """The ranking score: lexical plus each dense reading's lift × its weight."""
    total = lexical.astype(np.float64, copy=True)
    for lift, weight in lifts:
        total += weight * lift
    return total
