"""participation's public face: what its edges (API, CLI) and other modules call.

The logic lives in `issues` (i-Voting's stages), `budgets` (participatory budgets), `voting`
(Belenios elections on the platform), `trustees` (outside trustees' key shares and partial
decryptions) and `paper` (paper and on-site counts) over the pure protocol in `belenios`; their
functions take a session or the caller's unit of work and never commit.
A ballot's proofs are checked (`check_ballot`) in a read session, outside the write lock; the
edge then records it (`record_ballot`) in a short write of its own.
"""

from __future__ import annotations

from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.modules.participation import budgets
from smartcity.modules.participation.issues import follow_up, move, propose, put_to_vote, second
from smartcity.modules.participation.paper import (
    confirm_count,
    enter_count,
    paper_total,
    published_counts,
)
from smartcity.modules.participation.repository import board as board_of
from smartcity.modules.participation.repository import (
    budget_of_vote,
    get_budget,
    get_project,
    get_vote,
    list_budgets,
    list_votes,
    paper_counts_of,
    projects_of,
    read_one_snapshot,
    trustees_of,
)
from smartcity.modules.participation.repository import open_votes as open_votes
from smartcity.modules.participation.settings import ParticipationSettings
from smartcity.modules.participation.trustees import (
    Ceremony,
    CeremonyStep,
    ceremony,
    ceremony_upload,
    register_key,
    submit_decryption,
)
from smartcity.modules.participation.values import TrusteePlan
from smartcity.modules.participation.voting import (
    OpenVote,
    Outcome,
    Tallying,
    archive,
    check_ballot,
    create_vote,
    election_of,
    is_open,
    issue_credential,
    open_votes_for,
    outcome,
    record_ballot,
    tally,
)

__all__ = [
    "Ceremony",
    "CeremonyStep",
    "OpenVote",
    "Outcome",
    "Tallying",
    "archive",
    "board_of",
    "budget_of_vote",
    "budgets",
    "ceremony",
    "ceremony_upload",
    "check_ballot",
    "confirm_count",
    "create_vote",
    "election_of",
    "enter_count",
    "follow_up",
    "get_budget",
    "get_project",
    "get_vote",
    "is_open",
    "issue_credential",
    "list_budgets",
    "list_votes",
    "move",
    "open_votes_for",
    "outcome",
    "paper_counts_of",
    "paper_total",
    "projects_of",
    "propose",
    "published_counts",
    "put_to_vote",
    "read_one_snapshot",
    "record_ballot",
    "register_key",
    "second",
    "settings_of",
    "submit_decryption",
    "tally",
    "trustee_plan",
    "trustees_of",
]


def settings_of(platform: Platform) -> ParticipationSettings:
    """participation's settings on this platform."""
    return module_settings(platform, "participation", ParticipationSettings)


def trustee_plan(platform: Platform) -> TrusteePlan:
    """The trustees of the elections this platform sets up now."""
    return settings_of(platform).plan_in(platform.settings.environment)


def refuse_unsafe_trustees(platform: Platform) -> None:
    """At start-up: no platform outside the demo and the tests holds every key share."""
    refusal = settings_of(platform).refusal_in(platform.settings.environment)
    if refusal is not None:
        raise RuntimeError(refusal)
