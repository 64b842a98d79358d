"""participation's vocabularies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """Where an issue is on i-Voting's way; the sixth stage is split at the close of the vote."""

    PROPOSAL_CHECK = "proposal_check"
    """提案檢核: a citizen's proposal gathers its seconds within the window."""
    PRELIMINARY_REVIEW = "preliminary_review"
    """提案初審: officers review the proposal and give their reasons."""
    DISCUSSION = "discussion"
    """提案討論: the proposal is discussed in public."""
    OPTIONS = "options"
    """形成選項: the options put to the vote are settled."""
    PUBLICITY = "publicity"
    """宣傳準備上架: the vote is announced and prepared."""
    VOTING = "voting"
    """投票: the Belenios election takes ballots until it closes."""
    TALLYING = "tallying"
    """開票: closed; the encrypted tally waits for the outside trustees' partial decryptions."""
    RESULTS = "results"
    """結果公布及執行: tallied and decrypted; the result and what the department did are public."""
    NOT_ADOPTED = "not_adopted"
    """未成案: the proposal missed its seconds in time, or the review turned it down."""


class Origin(StrEnum):
    """Who put the issue forward."""

    CITIZEN = "citizen"
    """A citizen's proposal: it starts at proposal_check and needs its seconds."""
    GOVERNMENT = "government"
    """A department's issue: it starts at a later stage (publicity, or the vote itself)."""


class TrusteeHolder(StrEnum):
    """Who holds one share of an election's decryption key."""

    CITY = "city"
    """The department that runs the vote, through the platform."""
    COMMITTEE = "committee"
    """The civic participation committee."""
    OBSERVER = "observer"
    """An outside observer (a university, a civic group) the city names for the vote."""
    COUNCIL = "council"
    """The city council (議會), which oversees the government: a fourth hand for a threshold."""


class Custody(StrEnum):
    """Where a trustee's private key share lives."""

    PLATFORM = "platform"
    """Generated and held by the server, which decrypts with it at the tally on its own."""
    OUTSIDE = "outside"
    """Generated off the platform with belenios-tool; only the public key is ever uploaded."""


class BudgetStage(StrEnum):
    """Where a district's participatory budget cycle is."""

    PROPOSALS = "proposals"
    """提案: residents propose projects with cost and place."""
    REVIEW = "review"
    """審查: officers review each proposal for 公共性, 適法性 and 預算可行性."""
    VOTING = "voting"
    """投票: the district votes on the feasible projects (a Belenios election)."""
    RESULTS = "results"
    """結果與執行: winners chosen within the budget; their execution is reported."""


class ProjectStatus(StrEnum):
    """A participatory budget project's standing."""

    SUBMITTED = "submitted"
    """Proposed, not reviewed yet."""
    FEASIBLE = "feasible"
    """Passed all three review findings: it goes on the ballot."""
    INFEASIBLE = "infeasible"
    """Failed a review finding; the reason is public."""
    SELECTED = "selected"
    """Won: enough votes (1 % of the eligible residents) and room left in the budget."""
    NOT_SELECTED = "not_selected"
    """On the ballot but under the threshold or beyond what the budget had left."""


@dataclass(frozen=True)
class TrusteePlan:
    """Who holds the key shares of a new election, and how many outside trustees decrypt."""

    trustees: dict[TrusteeHolder, Custody]
    """Each holder's custody, in trustees.json's order (a threshold group's members last)."""
    threshold: int | None = None
    """With a threshold, the outside trustees form one group of which any `threshold` decrypt
    (with the platform's shares); without, every trustee holds a `Single` share."""

    @property
    def platform_decrypts_alone(self) -> bool:
        """Whether the server holds every share (the demo and the tests only)."""
        return all(c is Custody.PLATFORM for c in self.trustees.values())
