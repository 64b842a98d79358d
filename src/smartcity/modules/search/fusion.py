"""Calibrated fusion of a lexical and dense scores into one ranking and one confidence.

The channels fail on different questions: a lexical score misses a question that names none
of the document's words; a dense score misses a rare name or number the words carry. Raw
cosines differ from question to question (a short question's are all high), so each dense
channel is standardised over every document (`standardise`); the candidates are a pool
(`pool`: the best few of every channel), and a linear `Ranker`, fitted on a tuning set only,
weighs the channels. Standardised over the pool instead, the scores depended on the bank's
size: in a bank of a few dozen documents the pool is every document, and the best of them
stood far above the pool's mean even for a question none of them answers (ADR 0035). A
logistic `Calibration`, fitted the same way, turns the top document's features into the
probability that it is right — so 0.9 means right about nine times in ten (the bench's
reliability table checks it on held-out questions).
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
    """Weight of the dense channels' part of the top document's ranking score."""
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


def pool(channels: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Positions of the documents among the best `size` of any channel, in position order."""
    tops = [
        np.argpartition(-c, size - 1)[:size] if len(c) > size else np.arange(len(c))
        for c in channels
    ]
    return np.unique(np.concatenate(tops))


def standardise(scores: np.ndarray) -> np.ndarray:
    """Scores as z-scores over themselves (every document's): comparable across questions."""
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)


@dataclass(frozen=True)
class Ranker:
    """A linear ranking over features of each candidate (one weight a feature, in order).

    Fitted on a tuning set by a listwise softmax (the right document's share of the pool), so
    the weights say how far one standardised channel counts against another.
    """

    weights: tuple[float, ...]

    def scores(self, features: np.ndarray) -> np.ndarray:
        """One score per row of `features` (candidates × features)."""
        result: np.ndarray = features @ np.asarray(self.weights)
        return result
