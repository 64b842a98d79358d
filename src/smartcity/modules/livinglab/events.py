"""Events livinglab raises (dispatched after commit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from smartcity.core.events import Event


@dataclass(frozen=True)
class PilotTransitioned(Event):
    """A pilot moved from one state to another."""

    pilot_id: uuid.UUID
    from_state: str | None
    to_state: str


@dataclass(frozen=True)
class FeedbackGiven(Event):
    """A verified citizen rated a pilot (a future i-Voting module may listen)."""

    pilot_id: uuid.UUID
    rating: int


@dataclass(frozen=True)
class ChallengePublished(Event):
    """A department published a challenge."""

    challenge_id: uuid.UUID
    domain: str
