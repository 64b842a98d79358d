"""participation's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import BadRequest, Conflict, InvalidInput, NotFound, PermissionDenied


class VoteNotFound(NotFound):
    """No vote has that id."""

    code = "vote_not_found"


class InvalidQuestions(InvalidInput):
    """A question needs answers and bounds with 0 <= min <= max <= its number of answers."""

    code = "invalid_questions"


class UnknownEligibilityRule(InvalidInput):
    """An eligibility rule the platform cannot check over identity's data."""

    code = "unknown_eligibility_rule"


class ClosesInThePast(InvalidInput):
    """A vote must close after it opens."""

    code = "closes_in_the_past"


class NotEligible(PermissionDenied):
    """The citizen does not meet the vote's eligibility rules."""

    code = "not_eligible"


class CredentialAlreadyIssued(Conflict):
    """One credential per citizen and vote."""

    code = "credential_already_issued"


class VoteNotOpen(Conflict):
    """The vote takes no credentials or ballots (not open yet, closed, or tallied)."""

    code = "vote_not_open"


class BallotRejected(BadRequest):
    """The ballot failed a check of the Belenios protocol; the detail says which."""

    code = "invalid_ballot"


class AlreadyTallied(Conflict):
    """The vote has been tallied already."""

    code = "already_tallied"


class ResultNotPublished(Conflict):
    """The result is unreadable until the vote is closed and tallied, by officers too."""

    code = "result_not_published"


class BallotNotFound(NotFound):
    """No ballot on the board has that tracker."""

    code = "ballot_not_found"


class TrusteeDecryptionMissing(Conflict):
    """A trustee whose key the platform does not hold has not sent its partial decryption."""

    code = "trustee_decryption_missing"


class NoElectionYet(Conflict):
    """The issue has not been put to the vote yet."""

    code = "no_election"


class StageChangeRefused(Conflict):
    """The issue cannot move to that stage from where it is; the detail says what it can."""

    code = "stage_change_refused"


class AlreadySeconded(Conflict):
    """One second per person, and none withdrawn."""

    code = "already_seconded"


class SecondingClosed(Conflict):
    """The proposal takes no seconds (its window closed, or it has left proposal_check)."""

    code = "seconding_closed"


class ReasonRequired(InvalidInput):
    """Officers give their reasons for every review decision."""

    code = "reason_required"


class BudgetNotFound(NotFound):
    """No participatory budget cycle has that id."""

    code = "budget_not_found"


class ProjectNotFound(NotFound):
    """No project of that cycle has that id."""

    code = "project_not_found"


class UnknownDistrict(InvalidInput):
    """The city profile has no district with that code."""

    code = "unknown_district"


class InvalidBallotRule(InvalidInput):
    """A cycle's ballot rule needs 1 <= k1 <= k2."""

    code = "invalid_ballot_rule"


class CostOverBudget(InvalidInput):
    """A project cannot cost more than the district's whole budget."""

    code = "cost_over_budget"


class BudgetStageRefused(Conflict):
    """The cycle cannot do that at its stage; the detail says what it can."""

    code = "budget_stage_refused"


class ProgressRefused(Conflict):
    """Progress is reported on selected projects only, and never goes back."""

    code = "progress_refused"


class DepartmentRequired(InvalidInput):
    """An administrator opening a budget names the department that runs it."""

    code = "department_required"
