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


class TrusteeNotFound(NotFound):
    """The vote has no outside trustee at that position."""

    code = "trustee_not_found"


class TrusteeTokenInvalid(PermissionDenied):
    """The upload token is not the one issued for this trustee."""

    code = "trustee_token_invalid"


class TrusteeKeyRegistered(Conflict):
    """The trustee's public key is registered already; the election's key depends on it."""

    code = "trustee_key_registered"


class InvalidTrusteeKey(BadRequest):
    """A trustee's public key must lie in the group and carry a valid proof of knowledge."""

    code = "invalid_trustee_key"


class CeremonyStepRefused(Conflict):
    """A threshold trustee's upload that is not the one the key ceremony waits for now."""

    code = "ceremony_step_refused"


class InvalidCeremonyStep(BadRequest):
    """A certificate, polynomial or verification output that does not check."""

    code = "invalid_ceremony_step"


class NotAwaitingDecryption(Conflict):
    """Partial decryptions are taken once the vote is closed and until its result is out."""

    code = "not_awaiting_decryption"


class TrusteeAlreadyDecrypted(Conflict):
    """The trustee's partial decryption is in already."""

    code = "trustee_already_decrypted"


class InvalidPartialDecryption(BadRequest):
    """A partial decryption must prove itself against the trustee's public key and the tally."""

    code = "invalid_partial_decryption"


class InvalidPaperCount(InvalidInput):
    """A paper count gives, for each question, one count per answer."""

    code = "invalid_paper_count"


class PaperCountNotOpen(Conflict):
    """Paper and on-site counts are entered once the vote has closed."""

    code = "paper_count_not_open"


class PaperCountConfirmed(Conflict):
    """A confirmed count is final."""

    code = "paper_count_confirmed"


class PaperCountNotFound(NotFound):
    """No paper count of that vote has that id."""

    code = "paper_count_not_found"


class SameOfficer(Conflict):
    """A count is confirmed by another officer than the one who entered it."""

    code = "same_officer"


class CountNeedsAPerson(PermissionDenied):
    """Paper counts are entered and confirmed by officers in person, not by a machine key, so
    that two different people stand behind every confirmed count."""

    code = "count_needs_a_person"


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
