"""participation's public face: what its edges (API, CLI) and other modules call.

The logic lives in `issues` (i-Voting's stages), `budgets` (participatory budgets) and `voting`
(Belenios elections on the platform) over the pure protocol in `belenios`; their functions take a
session or the caller's unit of work and never commit.
A ballot's proofs are checked (`check_ballot`) in a read session, outside the write lock; the
edge then records it (`record_ballot`) in a short write of its own.
"""

from __future__ import annotations

from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.modules.participation import budgets
from smartcity.modules.participation.issues import follow_up, move, propose, put_to_vote, second
from smartcity.modules.participation.repository import board as board_of
from smartcity.modules.participation.repository import (
    budget_of_vote,
    get_budget,
    get_project,
    get_vote,
    list_budgets,
    list_votes,
    projects_of,
    trustees_of,
)
from smartcity.modules.participation.settings import ParticipationSettings
from smartcity.modules.participation.voting import (
    Outcome,
    archive,
    check_ballot,
    create_vote,
    election_of,
    is_open,
    issue_credential,
    outcome,
    record_ballot,
    tally,
)

__all__ = [
    "Outcome",
    "archive",
    "board_of",
    "budget_of_vote",
    "budgets",
    "check_ballot",
    "create_vote",
    "election_of",
    "follow_up",
    "get_budget",
    "get_project",
    "get_vote",
    "is_open",
    "issue_credential",
    "list_budgets",
    "list_votes",
    "move",
    "outcome",
    "projects_of",
    "propose",
    "put_to_vote",
    "record_ballot",
    "second",
    "settings_of",
    "tally",
    "trustees_of",
]


def settings_of(platform: Platform) -> ParticipationSettings:
    """participation's settings on this platform."""
    return module_settings(platform, "participation", ParticipationSettings)
