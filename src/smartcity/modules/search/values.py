"""search's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class TextKind(StrEnum):
    """How a text is embedded: e5 models mark each input as one or the other."""

    QUERY = "query"
    """A question or a short phrasing, matched against other questions (symmetric use)."""
    PASSAGE = "passage"
    """A longer text that answers or describes (a proposal, a challenge, an answer)."""
    LATENT = "latent"
    """A whole text's latent terms: the model's sparse head over its embedding, stored as
    (term, weight) pairs and compared by a dot product (texts of one kind, compared as peers)."""


class Channel(StrEnum):
    """What the ranking of a search used."""

    FUSED = "fused"
    """Lexical and dense scores together, calibrated."""
    LEXICAL = "lexical"
    """Lexical scores only: the model is off or could not be loaded, or vectors are missing."""
