"""participation's request and response bodies (the contract outside checks use)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcity.modules.identity.values import CityTie, VerificationLevel
from smartcity.modules.participation.values import Stage

DistrictCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


class QuestionIn(BaseModel):
    """One question: its answers and how many of them a ballot may choose."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=500)
    answers: list[str] = Field(min_length=1, max_length=50)
    min: int = Field(ge=0, le=50)
    max: int = Field(ge=1, le=50)


class EligibilityIn(BaseModel):
    """Who may take a credential; `{}` admits every citizen with an account."""

    model_config = ConfigDict(extra="forbid")

    verification_level: VerificationLevel | None = Field(
        None, description="The least verification level a voter's account must have."
    )
    min_age: int | None = Field(
        None,
        ge=0,
        le=120,
        description="The least age, in full years on the day the credential is taken, by the "
        "birth date an officer recorded from the citizen's papers.",
    )
    ties: list[CityTie] | None = Field(
        None,
        min_length=1,
        description="The voter must live (household registration), study or work — any of the "
        "ties listed — in the city, or in one of `districts` when given.",
    )
    districts: list[DistrictCode] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="District codes of the city; with no `ties`, living, studying or working "
        "there all count.",
    )


class VoteIn(BaseModel):
    """A government-initiated issue, ready to vote."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    questions: list[QuestionIn] = Field(min_length=1, max_length=20)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    closes_at: datetime
    department_code: str | None = Field(None, max_length=32)


class ProposalIn(BaseModel):
    """A citizen's proposal: it needs seconds within its window to reach review."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)


class StageIn(BaseModel):
    """An officer's decision on an issue, with its reason."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage
    reason: str = Field(min_length=1, max_length=2000)
    department_code: str | None = Field(
        None, max_length=32, description="The department taking up a citizen's proposal."
    )


class PutToVoteIn(BaseModel):
    """The options settled: the issue's election opens."""

    model_config = ConfigDict(extra="forbid")

    questions: list[QuestionIn] = Field(min_length=1, max_length=20)
    eligibility: EligibilityIn = Field(default_factory=EligibilityIn)
    closes_at: datetime


class FollowUpIn(BaseModel):
    """執行: what the department did with the result."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class TrusteeKeyIn(BaseModel):
    """An outside trustee's public key: the `.pubkey` file belenios-tool wrote, and the token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    public_key: dict[str, Any] = Field(
        description="The content of `belenios-tool setup generate-trustee-key`'s .pubkey file."
    )


class PartialDecryptionIn(BaseModel):
    """An outside trustee's partial decryption: `belenios-tool election decrypt`'s output."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    partial_decryption: dict[str, Any] = Field(
        description="The JSON `belenios-tool election decrypt` prints "
        "(`decryption_factors` and `decryption_proofs`)."
    )


class CertificateIn(BaseModel):
    """A threshold trustee's certificate: `generate-trustee-key-threshold --step 1`'s .cert."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    certificate: dict[str, Any] = Field(description="The content of the .cert file.")


class PolynomialIn(BaseModel):
    """A threshold trustee's polynomial: `generate-trustee-key-threshold --step 3`'s output."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    polynomial: dict[str, Any] = Field(
        description="What step 3 prints: `polynomial`, `secrets` and `coefexps`."
    )


class VerificationOutputIn(BaseModel):
    """A threshold trustee's verification output: `--step 5`'s output."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    verification_output: dict[str, Any] = Field(
        description="What step 5 prints: `private_key` (encrypted to the trustee) and "
        "`public_key` (the verification key with its proof)."
    )


class CeremonyOut(BaseModel):
    """Where a vote's threshold key ceremony stands."""

    threshold: int | None = Field(description="How many members must decrypt; null: no group.")
    step: str = Field(description="`certificates`, `polynomials`, `verification` or `done`.")
    members: list[int] = Field(description="The members' trustee positions, in group order.")
    done: list[int] = Field(description="The members whose upload for this step is in.")


class PaperCountIn(BaseModel):
    """A polling place's paper or on-site count: for each question, one count per answer."""

    model_config = ConfigDict(extra="forbid")

    polling_place: str = Field(min_length=1, max_length=200)
    counts: list[list[Annotated[int, Field(ge=0, le=10_000_000)]]] = Field(
        min_length=1, max_length=20
    )


class PaperCountOut(BaseModel):
    """A polling place's count; confirmed by a second officer, or not yet."""

    id: str
    polling_place: str
    counts: list[list[int]]
    entered_at: str
    confirmed: bool
    confirmed_at: str | None


class TallyOut(BaseModel):
    """Where the tally stands: the result once every trustee has decrypted."""

    stage: str
    ballots: int
    awaiting_trustees: list[int] = Field(
        description="Positions of the outside trustees whose partial decryption is awaited."
    )
    result: list[list[int]] | None
    archive_hash: str | None


class TrusteeOut(BaseModel):
    """One share of the election key."""

    position: int
    holder: str
    custody: str
    public_key: str | None
    decrypted: bool
    upload_token: str | None = Field(
        None,
        description="An outside trustee's upload token: in the creating answer only, once; "
        "the officer passes it on to the trustee.",
    )


class VoteOut(BaseModel):
    """An issue and its vote as the API shows them."""

    id: str
    election_uuid: str | None
    election_fingerprint: str | None
    stage: str
    origin: str
    seconds: int
    seconds_needed: int
    seconding_closes_at: str | None
    decisions: list[dict[str, Any]]
    follow_up: str | None
    title: str
    description: str
    questions: list[dict[str, Any]]
    eligibility: dict[str, Any]
    closes_at: str | None
    department_code: str | None
    threshold: int | None = Field(
        description="How many of the outside trustees must decrypt, when they share one "
        "threshold key; null when every trustee must."
    )
    trustees: list[TrusteeOut]
    ballots: int
    archive_hash: str | None


class CredentialOut(BaseModel):
    """The private credential, shown this once and stored nowhere."""

    credential: str = Field(description="Belenios private credential, e.g. `abc-def-ghi-jkm-npq`.")
    election_uuid: str


class BallotOut(BaseModel):
    """The ballot's tracker: its SHA-256 in base 64, to find on the public board."""

    tracker: str


class BoardEntryOut(BaseModel):
    """One ballot on the public board."""

    position: int
    tracker: str


class ResultOut(BaseModel):
    """The result in Belenios's shape: for each question, the count of each answer."""

    result: list[list[int]]
    archive_hash: str
    ballots: int
    paper: list[list[int]] | None = Field(
        None, description="The confirmed paper and on-site counts added up, beside the online one."
    )
    paper_polling_places: int = Field(0, description="Polling places whose count is confirmed.")


# -- participatory budgets ----------------------------------------------------------------------


class BudgetIn(BaseModel):
    """A district's participatory budget cycle, opening for proposals."""

    model_config = ConfigDict(extra="forbid")

    district_code: str = Field(min_length=1, max_length=40, description="A district of the city.")
    title: str = Field(min_length=1, max_length=200)
    budget: int = Field(ge=1, le=2_000_000_000, description="NTD for the winning projects.")
    eligible_residents: int = Field(
        ge=1, le=10_000_000, description="The district's eligible residents (the 1 % base)."
    )
    min_choices: int = Field(1, ge=1, le=50, description="k1: the fewest projects a ballot picks.")
    max_choices: int = Field(1, ge=1, le=50, description="k2: the most projects a ballot picks.")
    department_code: str | None = Field(None, max_length=32)


class ProjectIn(BaseModel):
    """A resident's project proposal."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    cost: int = Field(ge=1, le=2_000_000_000, description="Estimated cost in NTD.")
    location: str = Field(min_length=1, max_length=200)


class ReasonIn(BaseModel):
    """An officer's decision with its reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class ReviewIn(BaseModel):
    """The feasibility review's three findings (公共性, 適法性, 預算可行性) and the reason."""

    model_config = ConfigDict(extra="forbid")

    public_interest: bool
    legality: bool
    budget_feasibility: bool
    reason: str = Field(min_length=1, max_length=2000)


class BudgetVoteIn(BaseModel):
    """When the district vote closes."""

    model_config = ConfigDict(extra="forbid")

    closes_at: datetime


class ProgressIn(BaseModel):
    """A progress report on a selected project."""

    model_config = ConfigDict(extra="forbid")

    progress: int = Field(ge=0, le=100, description="Percent done.")
    spent: int = Field(ge=0, le=2_000_000_000, description="NTD spent so far.")
    note: str = Field("", max_length=2000)


class ProjectOut(BaseModel):
    """A project with its review, votes and execution."""

    id: str
    title: str
    description: str
    cost: int
    location: str
    status: str
    review: dict[str, Any] | None
    votes: int | None
    progress: int
    spent: int
    updates: list[dict[str, Any]]


class BudgetOut(BaseModel):
    """A budget cycle and its projects."""

    id: str
    district_code: str
    district: str
    department_code: str
    title: str
    budget: int
    eligible_residents: int
    threshold: int
    min_choices: int
    max_choices: int
    stage: str
    decisions: list[dict[str, Any]]
    vote_id: str | None
    trustees: list[TrusteeOut] = Field(
        description="The district vote's trustees; each outside trustee's upload token only in "
        "the answer that opens the vote, once."
    )
    projects: list[ProjectOut]
