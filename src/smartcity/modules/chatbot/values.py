"""chatbot's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    """Whether a knowledge-base item may be given as an answer."""

    ACTIVE = "active"
    """Answers questions."""
    RETIRED = "retired"
    """Kept for its history; never answered."""


class VariantSource(StrEnum):
    """Where a citizen-phrased variant of an item's question came from."""

    STAFF = "staff"
    """Written by staff in the knowledge-base editor."""
    TAUGHT = "taught"
    """A real question attached to the item from the triage queue or `teach`."""
    IMPORTED = "imported"
    """Came with a JSONL import."""


class Outcome(StrEnum):
    """What the chatbot did with a question."""

    ANSWERED = "answered"
    """Confident: gave one item's answer."""
    SUGGESTED = "suggested"
    """Unsure: offered the best items as quick replies."""
    DECLINED = "declined"
    """Outside what the city answers here: pointed to 1999 or a department."""


class Feedback(StrEnum):
    """The citizen's verdict on an answer."""

    HELPFUL = "helpful"
    """Thumbs up."""
    UNHELPFUL = "unhelpful"
    """Thumbs down: the question goes to triage."""


class TriageState(StrEnum):
    """Where a logged question stands in the triage queue."""

    NONE = "none"
    """Answered well enough; not in the queue."""
    OPEN = "open"
    """Waits for staff: unanswered, low-confidence or thumbs-down."""
    RESOLVED = "resolved"
    """Attached to an item (as a variant) or answered by a new item."""
    IGNORED = "ignored"
    """Staff decided it needs no answer (noise, abuse, out of scope)."""


class Channel(StrEnum):
    """Where a question came in."""

    LINE = "line"
    """The city's LINE official account."""
    WEB = "web"
    """The chat widget on the portal."""
    API = "api"
    """The JSON API."""
    CLI = "cli"
    """`smartcity chatbot ask`."""


class Intent(StrEnum):
    """A need the platform answers from its own records rather than from the FAQ."""

    MY_BILLS = "my_bills"
    """The signed-in citizen's open bills (payments)."""
    AIR_QUALITY = "air_quality"
    """The current PM2.5 estimate and band for a district or named place (airquality)."""
    FREE_PARKING = "free_parking"
    """Free on-street bays on a named road or in a district (parking)."""
    OPEN_VOTES = "open_votes"
    """The votes open now, and whether the citizen may take part (participation)."""

    @property
    def personal(self) -> bool:
        """Whether answering needs a known citizen."""
        return self in (Intent.MY_BILLS, Intent.OPEN_VOTES)
