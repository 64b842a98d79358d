"""participation's JSON routes at /api/v1/participation: votes as verifiable Belenios elections.

Each endpoint parses, opens the unit of work, calls the service and shapes the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from smartcity.core.city import current_city
from smartcity.core.errors import BadRequest, TooLarge
from smartcity.core.http import RequestContext
from smartcity.core.ratelimit import throttle
from smartcity.core.time import isoformat_z
from smartcity.modules.participation import belenios, rules, schemas, service
from smartcity.modules.participation.auth import Public, Staff, Voter
from smartcity.modules.participation.errors import CeremonyStepRefused, ProjectNotFound
from smartcity.modules.participation.models import Vote

router = APIRouter(tags=["participation"])

MAX_BALLOT_BYTES = 1_000_000
"""A ballot of 20 questions of 50 answers is about 650 kB."""

BALLOT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A Belenios ballot (protocol version 1) as any Belenios client writes it, "
        "e.g. `belenios-tool election generate-ballot`.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def build_router() -> APIRouter:
    """participation's API routes (the manifest's factory)."""
    return router


def _trustees_out(
    trustees: list[Any], tokens: dict[int, str] | None = None
) -> list[schemas.TrusteeOut]:
    return [
        schemas.TrusteeOut(
            position=t.position,
            holder=t.holder,
            custody=t.custody,
            public_key=t.public_key["public_key"] if t.public_key else None,
            decrypted=t.decryption is not None,
            upload_token=(tokens or {}).get(t.position),
        )
        for t in trustees
    ]


def _vote_out(
    vote: Vote, trustees: list[Any], ballots: int, tokens: dict[int, str] | None = None
) -> schemas.VoteOut:
    questions = (
        service.election_of(vote).questions if vote.election is not None else vote.questions or []
    )
    return schemas.VoteOut(
        id=str(vote.id),
        election_uuid=vote.election_uuid,
        election_fingerprint=vote.fingerprint,
        stage=vote.stage,
        origin=vote.origin,
        seconds=vote.seconds,
        seconds_needed=vote.seconds_needed,
        seconding_closes_at=(
            isoformat_z(vote.seconding_closes_at) if vote.seconding_closes_at else None
        ),
        decisions=vote.decisions,
        follow_up=vote.follow_up,
        title=vote.title,
        description=vote.description,
        questions=questions,
        eligibility=vote.eligibility,
        closes_at=isoformat_z(vote.closes_at) if vote.closes_at else None,
        department_code=vote.department_code,
        threshold=vote.threshold,
        trustees=_trustees_out(trustees, tokens),
        ballots=ballots,
        archive_hash=vote.archive_hash,
    )


@router.post("/votes", response_model=schemas.VoteOut, status_code=201)
def create(body: schemas.VoteIn, ctx: Staff) -> Any:
    """Create a government-initiated issue, ready to vote, with its Belenios election."""
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        vote, tokens = service.create_vote(
            uow,
            group_name=settings.group,
            title=body.title,
            description=body.description,
            questions=[q.model_dump() for q in body.questions],
            eligibility=body.eligibility.model_dump(exclude_none=True, mode="json"),
            closes_at=body.closes_at,
            department_code=body.department_code,
            trustees=service.trustee_plan(ctx.platform),
        )
        return _vote_out(vote, service.trustees_of(uow.session, vote.id), 0, tokens)


@router.get("/votes", response_model=list[schemas.VoteOut])
def votes(ctx: Public) -> Any:
    """Every vote, newest first."""
    with ctx.read() as session:
        return [
            _vote_out(v, service.trustees_of(session, v.id), v.ballots_cast)
            for v in service.list_votes(session, limit=100)
        ]


@router.get("/votes/{vote_id}", response_model=schemas.VoteOut)
def vote(vote_id: uuid.UUID, ctx: Public) -> Any:
    """One vote, with its election's fingerprint and trustees."""
    with ctx.read() as session:
        found = service.get_vote(session, vote_id)
        return _vote_out(found, service.trustees_of(session, found.id), found.ballots_cast)


@router.post(
    "/votes/{vote_id}/credential",
    response_model=schemas.CredentialOut,
    status_code=201,
    responses={403: {"description": "Not eligible (the detail says why)."}, 409: {}},
)
def credential(vote_id: uuid.UUID, ctx: Voter) -> Any:
    """Take the citizen's one credential for the vote: shown this once, stored nowhere."""
    throttle(ctx, "participation-credential", rules.CREDENTIALS)
    with ctx.write() as uow:
        found = service.get_vote(uow.session, vote_id)
        private = service.issue_credential(uow, found)
        return schemas.CredentialOut(credential=private, election_uuid=found.election_uuid)


@router.get(
    "/votes/{vote_id}/archive",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}, "description": "The .bel archive."}},
)
def election_archive(vote_id: uuid.UUID, ctx: Public) -> StreamingResponse:
    """The election's current `.bel` archive: `belenios-tool election verify` checks it.
    Streamed from the stored ballots and credentials, never held whole."""
    with ctx.read() as session:
        name = f"{service.election_of(service.get_vote(session, vote_id)).uuid}.bel"
    return StreamingResponse(
        _archive_chunks(ctx, vote_id),
        media_type="application/x-tar",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _archive_chunks(ctx: RequestContext, vote_id: uuid.UUID) -> Iterator[bytes]:
    # Its own session, open while the response is sent, on one snapshot of the board.
    with ctx.read() as session:
        service.read_one_snapshot(session)
        yield from service.archive(session, service.get_vote(session, vote_id))


@router.post(
    "/votes/{vote_id}/ballots",
    response_model=schemas.BallotOut,
    status_code=201,
    openapi_extra=BALLOT_BODY,
)
async def ballot(vote_id: uuid.UUID, request: Request, ctx: Voter) -> Any:
    """Cast a ballot from any Belenios client; a revote replaces the credential's last one."""
    throttle(ctx, "participation-ballot", rules.BALLOTS)
    content = (await request.body()).strip()
    if len(content) > MAX_BALLOT_BYTES:
        raise TooLarge("a ballot is at most 1 MB")
    if not content:
        raise BadRequest("the body must be a Belenios ballot")
    return await run_in_threadpool(_cast, ctx, vote_id, content)


def _cast(ctx: Voter, vote_id: uuid.UUID, content: bytes) -> schemas.BallotOut:
    with ctx.read() as session:
        found = service.get_vote(session, vote_id)
        checked = service.check_ballot(session, found, content)
    with ctx.write() as uow:
        tracker = service.record_ballot(uow, found, checked, content)
    return schemas.BallotOut(tracker=tracker)


@router.get("/votes/{vote_id}/board", response_model=list[schemas.BoardEntryOut])
def board(vote_id: uuid.UUID, ctx: Public) -> Any:
    """The public board: every counted ballot's tracker, in the order cast."""
    with ctx.read() as session:
        found = service.get_vote(session, vote_id)
        return [
            schemas.BoardEntryOut(position=b.position, tracker=b.tracker)
            for b in service.board_of(session, found.id)
        ]


def _tally_out(state: service.Tallying, response: Response) -> schemas.TallyOut:
    if state.outcome is None:
        response.status_code = 202
    return schemas.TallyOut(
        stage=state.stage,
        ballots=state.ballots,
        awaiting_trustees=state.awaiting,
        result=state.outcome.result if state.outcome else None,
        archive_hash=state.outcome.archive_hash if state.outcome else None,
    )


@router.post(
    "/votes/{vote_id}/tally",
    response_model=schemas.TallyOut,
    responses={202: {"description": "Closed; outside trustees' decryptions are awaited."}},
)
def close_and_tally(vote_id: uuid.UUID, response: Response, ctx: Staff) -> Any:
    """Close the vote, tally it and have the platform's trustees decrypt: 200 with the result
    when every trustee is the platform's, else 202 until the outside trustees have decrypted."""
    with ctx.write() as uow:
        found = service.get_vote(uow.session, vote_id)
        return _tally_out(service.tally(uow, found), response)


@router.get("/votes/{vote_id}/result", response_model=schemas.ResultOut)
def result(vote_id: uuid.UUID, ctx: Public) -> Any:
    """The result in Belenios's shape, once tallied (409 `result_not_published` before), with
    the confirmed paper and on-site counts beside it."""
    with ctx.read() as session:
        found = service.get_vote(session, vote_id)
        done = service.outcome(session, found)
        counts = service.published_counts(session, found)
        return schemas.ResultOut(
            result=done.result,
            archive_hash=done.archive_hash,
            ballots=done.ballots,
            paper=service.paper_total(counts),
            paper_polling_places=sum(1 for c in counts if c.confirmed_by is not None),
        )


# -- outside trustees --------------------------------------------------------------------------


@router.post("/votes/{vote_id}/trustees/{position}/public-key", response_model=schemas.VoteOut)
def trustee_key(vote_id: uuid.UUID, position: int, body: schemas.TrusteeKeyIn, ctx: Public) -> Any:
    """An outside trustee uploads the public key made with `belenios-tool setup
    generate-trustee-key` (the upload token authorises); the last key opens the vote."""
    throttle(ctx, "participation-trustee", rules.TRUSTEE_UPLOADS)
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        service.get_vote(uow.session, vote_id)
        found = service.register_key(
            uow, vote_id, position, body.token, body.public_key, settings.group
        )
        return _vote_out(found, service.trustees_of(uow.session, found.id), found.ballots_cast)


@router.post(
    "/votes/{vote_id}/trustees/{position}/partial-decryption",
    response_model=schemas.TallyOut,
    responses={202: {"description": "Accepted; other trustees' decryptions are awaited."}},
)
def trustee_decryption(
    vote_id: uuid.UUID,
    position: int,
    body: schemas.PartialDecryptionIn,
    response: Response,
    ctx: Public,
) -> Any:
    """An outside trustee uploads `belenios-tool election decrypt`'s partial decryption of the
    encrypted tally in the archive; the last one in publishes the result."""
    throttle(ctx, "participation-trustee", rules.TRUSTEE_UPLOADS)
    with ctx.write() as uow:
        service.get_vote(uow.session, vote_id)
        state = service.submit_decryption(
            uow, vote_id, position, body.token, body.partial_decryption
        )
        return _tally_out(state, response)


# -- the threshold key ceremony ----------------------------------------------------------------


def _ceremony_out(state: service.Ceremony) -> schemas.CeremonyOut:
    return schemas.CeremonyOut(
        threshold=state.threshold, step=state.step.value, members=state.members, done=state.done
    )


def _ceremony(ctx: Public, vote_id: uuid.UUID) -> service.Ceremony:
    with ctx.read() as session:
        return service.ceremony(session, service.get_vote(session, vote_id))


@router.get("/votes/{vote_id}/threshold", response_model=schemas.CeremonyOut)
def threshold_ceremony(vote_id: uuid.UUID, ctx: Public) -> Any:
    """Where the outside trustees' threshold key ceremony stands."""
    return _ceremony_out(_ceremony(ctx, vote_id))


def _ceremony_file(content: str | None, missing: str) -> Response:
    if content is None:
        raise CeremonyStepRefused(missing)
    return Response(content, media_type="application/json")


@router.get("/votes/{vote_id}/threshold/certificates")
def threshold_certificates(vote_id: uuid.UUID, ctx: Public) -> Response:
    """Every member's certificate, one a line, once all are in: belenios-tool's `--certs`."""
    certificates = _ceremony(ctx, vote_id).certificates
    return _ceremony_file(
        "".join(belenios.dumps(c).decode() + "\n" for c in certificates) or None,
        "the certificates are published once every member's is in",
    )


@router.get("/votes/{vote_id}/threshold/verification-input/{position}")
def threshold_verification_input(vote_id: uuid.UUID, position: int, ctx: Public) -> Response:
    """A member's input to step 5 (shares encrypted to them), once every polynomial is in."""
    found = _ceremony(ctx, vote_id).verification_inputs.get(position)
    return _ceremony_file(
        belenios.dumps(found).decode() if found else None,
        "a member's verification input is ready once every polynomial is in",
    )


@router.get("/votes/{vote_id}/threshold/decryption-key/{position}")
def threshold_decryption_key(vote_id: uuid.UUID, position: int, ctx: Public) -> Response:
    """A member's decryption key, encrypted to them: `decrypt-threshold --decryption-key`."""
    return _ceremony_file(
        _ceremony(ctx, vote_id).decryption_keys.get(position),
        "a member's decryption key is ready once the ceremony is done",
    )


def _ceremony_upload(
    ctx: Public, vote_id: uuid.UUID, position: int, token: str, step: Any, upload: Any
) -> schemas.CeremonyOut:
    throttle(ctx, "participation-trustee", rules.TRUSTEE_UPLOADS)
    group_name = service.settings_of(ctx.platform).group
    with ctx.write() as uow:
        service.get_vote(uow.session, vote_id)
        return _ceremony_out(
            service.ceremony_upload(uow, vote_id, position, token, step, upload, group_name)
        )


@router.post("/votes/{vote_id}/trustees/{position}/certificate", response_model=schemas.CeremonyOut)
def threshold_certificate(
    vote_id: uuid.UUID, position: int, body: schemas.CertificateIn, ctx: Public
) -> Any:
    """A threshold member uploads their certificate (step 1); the token authorises."""
    return _ceremony_upload(
        ctx, vote_id, position, body.token, service.CeremonyStep.CERTIFICATES, body.certificate
    )


@router.post("/votes/{vote_id}/trustees/{position}/polynomial", response_model=schemas.CeremonyOut)
def threshold_polynomial(
    vote_id: uuid.UUID, position: int, body: schemas.PolynomialIn, ctx: Public
) -> Any:
    """A threshold member uploads their polynomial (step 3), made over every certificate."""
    return _ceremony_upload(
        ctx, vote_id, position, body.token, service.CeremonyStep.POLYNOMIALS, body.polynomial
    )


@router.post(
    "/votes/{vote_id}/trustees/{position}/verification", response_model=schemas.CeremonyOut
)
def threshold_verification(
    vote_id: uuid.UUID, position: int, body: schemas.VerificationOutputIn, ctx: Public
) -> Any:
    """A threshold member uploads their verification output (step 5); the last one in writes
    the election and opens the vote."""
    return _ceremony_upload(
        ctx,
        vote_id,
        position,
        body.token,
        service.CeremonyStep.VERIFICATION,
        body.verification_output,
    )


# -- paper and on-site counts -----------------------------------------------------------------


def _paper_out(entry: Any) -> schemas.PaperCountOut:
    return schemas.PaperCountOut(
        id=str(entry.id),
        polling_place=entry.polling_place,
        counts=entry.counts,
        entered_at=isoformat_z(entry.entered_at),
        confirmed=entry.confirmed_by is not None,
        confirmed_at=isoformat_z(entry.confirmed_at) if entry.confirmed_at else None,
    )


@router.post("/votes/{vote_id}/paper-counts", response_model=schemas.PaperCountOut, status_code=201)
def enter_paper_count(vote_id: uuid.UUID, body: schemas.PaperCountIn, ctx: Staff) -> Any:
    """An officer enters a polling place's paper or on-site count after the close (an
    unconfirmed count may be corrected by entering it again)."""
    with ctx.write() as uow:
        service.get_vote(uow.session, vote_id)
        return _paper_out(service.enter_count(uow, vote_id, body.polling_place, body.counts))


@router.post(
    "/votes/{vote_id}/paper-counts/{count_id}/confirm", response_model=schemas.PaperCountOut
)
def confirm_paper_count(vote_id: uuid.UUID, count_id: uuid.UUID, ctx: Staff) -> Any:
    """A second officer confirms a count; only confirmed counts are added up."""
    with ctx.write() as uow:
        service.get_vote(uow.session, vote_id)
        return _paper_out(service.confirm_count(uow, vote_id, count_id))


@router.get("/votes/{vote_id}/paper-counts", response_model=list[schemas.PaperCountOut])
def paper_counts(vote_id: uuid.UUID, ctx: Public) -> Any:
    """Every polling place's count, once the result is out."""
    with ctx.read() as session:
        found = service.get_vote(session, vote_id)
        return [_paper_out(c) for c in service.published_counts(session, found)]


# -- i-Voting's stages -------------------------------------------------------------------------


@router.post("/issues", response_model=schemas.VoteOut, status_code=201)
def propose(body: schemas.ProposalIn, ctx: Voter) -> Any:
    """A citizen proposes an issue; it gathers seconds (附議) within its window."""
    throttle(ctx, "participation-seconds", rules.SECONDS)
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        issue = service.propose(
            uow,
            title=body.title,
            description=body.description,
            seconds_needed=settings.seconds_needed,
            seconding_days=settings.seconding_days,
        )
        return _vote_out(issue, [], 0)


@router.post("/issues/{issue_id}/seconds", response_model=schemas.VoteOut)
def second(issue_id: uuid.UUID, ctx: Voter) -> Any:
    """Second a proposal: once per citizen, never withdrawn."""
    throttle(ctx, "participation-seconds", rules.SECONDS)
    with ctx.write() as uow:
        service.get_vote(uow.session, issue_id)
        issue = service.second(uow, issue_id)
        return _vote_out(issue, [], 0)


@router.post("/issues/{issue_id}/stage", response_model=schemas.VoteOut)
def change_stage(issue_id: uuid.UUID, body: schemas.StageIn, ctx: Staff) -> Any:
    """Review, discussion, options, publicity — or not adopted — with the officer's reason."""
    with ctx.write() as uow:
        service.get_vote(uow.session, issue_id)
        issue = service.move(uow, issue_id, body.stage, body.reason, body.department_code)
        return _vote_out(issue, [], issue.ballots_cast)


@router.post("/issues/{issue_id}/vote", response_model=schemas.VoteOut)
def put_to_vote(issue_id: uuid.UUID, body: schemas.PutToVoteIn, ctx: Staff) -> Any:
    """Publicity → voting: the issue's Belenios election opens with the options settled."""
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        service.get_vote(uow.session, issue_id)
        issue, tokens = service.put_to_vote(
            uow,
            issue_id,
            group_name=settings.group,
            questions=[q.model_dump() for q in body.questions],
            closes_at=body.closes_at,
            eligibility=body.eligibility.model_dump(exclude_none=True, mode="json"),
            trustees=service.trustee_plan(ctx.platform),
        )
        return _vote_out(issue, service.trustees_of(uow.session, issue.id), 0, tokens)


@router.post("/issues/{issue_id}/follow-up", response_model=schemas.VoteOut)
def follow_up(issue_id: uuid.UUID, body: schemas.FollowUpIn, ctx: Staff) -> Any:
    """執行: report what the department did with the result."""
    with ctx.write() as uow:
        service.get_vote(uow.session, issue_id)
        issue = service.follow_up(uow, issue_id, body.text)
        return _vote_out(issue, service.trustees_of(uow.session, issue.id), issue.ballots_cast)


# -- participatory budgets ----------------------------------------------------------------------


def budget_out(session: Any, cycle: Any, tokens: dict[int, str] | None = None) -> schemas.BudgetOut:
    """A cycle and its projects as the API shows them (with its vote's trustees' upload
    tokens in the answer that opened the vote)."""
    district = current_city().district(cycle.district_code)
    return schemas.BudgetOut(
        id=str(cycle.id),
        district_code=cycle.district_code,
        district=district.label if district else cycle.district_code,
        department_code=cycle.department_code,
        title=cycle.title,
        budget=cycle.budget,
        eligible_residents=cycle.eligible_residents,
        threshold=service.budgets.threshold_of(cycle),
        min_choices=cycle.min_choices,
        max_choices=cycle.max_choices,
        stage=cycle.stage,
        decisions=cycle.decisions,
        vote_id=str(cycle.vote_id) if cycle.vote_id else None,
        trustees=_trustees_out(service.trustees_of(session, cycle.vote_id), tokens)
        if cycle.vote_id
        else [],
        projects=[
            schemas.ProjectOut(
                id=str(p.id),
                title=p.title,
                description=p.description,
                cost=p.cost,
                location=p.location,
                status=p.status,
                review=p.review,
                votes=p.votes,
                progress=p.progress,
                spent=p.spent,
                updates=p.updates,
            )
            for p in service.projects_of(session, cycle.id)
        ],
    )


@router.post("/budgets", response_model=schemas.BudgetOut, status_code=201)
def open_budget(body: schemas.BudgetIn, ctx: Staff) -> Any:
    """Open a district's participatory budget cycle for proposals."""
    with ctx.write() as uow:
        cycle = service.budgets.open_cycle(uow, **body.model_dump())
        return budget_out(uow.session, cycle)


@router.get("/budgets", response_model=list[schemas.BudgetOut])
def budgets(ctx: Public) -> Any:
    """Every budget cycle with its projects, newest first."""
    with ctx.read() as session:
        return [budget_out(session, c) for c in service.list_budgets(session, limit=100)]


@router.get("/budgets/{budget_id}", response_model=schemas.BudgetOut)
def budget(budget_id: uuid.UUID, ctx: Public) -> Any:
    """One budget cycle: projects, reviews, votes once tallied, and execution."""
    with ctx.read() as session:
        return budget_out(session, service.get_budget(session, budget_id))


@router.post("/budgets/{budget_id}/projects", response_model=schemas.BudgetOut, status_code=201)
def propose_project(budget_id: uuid.UUID, body: schemas.ProjectIn, ctx: Voter) -> Any:
    """A resident proposes a project while the cycle takes proposals."""
    throttle(ctx, "participation-seconds", rules.SECONDS)
    with ctx.write() as uow:
        service.get_budget(uow.session, budget_id)
        project = service.budgets.propose_project(uow, budget_id, **body.model_dump())
        return budget_out(uow.session, service.get_budget(uow.session, project.cycle_id))


@router.post("/budgets/{budget_id}/review", response_model=schemas.BudgetOut)
def start_review(budget_id: uuid.UUID, body: schemas.ReasonIn, ctx: Staff) -> Any:
    """Close proposals and start the feasibility review."""
    with ctx.write() as uow:
        service.get_budget(uow.session, budget_id)
        return budget_out(uow.session, service.budgets.start_review(uow, budget_id, body.reason))


@router.post("/budgets/{budget_id}/projects/{project_id}/review", response_model=schemas.BudgetOut)
def review_project(
    budget_id: uuid.UUID, project_id: uuid.UUID, body: schemas.ReviewIn, ctx: Staff
) -> Any:
    """The project's three findings (公共性, 適法性, 預算可行性) with the reason."""
    with ctx.write() as uow:
        _project_of(uow.session, budget_id, project_id)
        service.budgets.review_project(uow, project_id, **body.model_dump())
        return budget_out(uow.session, service.get_budget(uow.session, budget_id))


@router.post("/budgets/{budget_id}/vote", response_model=schemas.BudgetOut)
def put_budget_to_vote(budget_id: uuid.UUID, body: schemas.BudgetVoteIn, ctx: Staff) -> Any:
    """The feasible projects go on the district's Belenios ballot (its votes/{id} routes)."""
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        service.get_budget(uow.session, budget_id)
        cycle, tokens = service.budgets.put_to_vote(
            uow,
            budget_id,
            group_name=settings.group,
            min_age=settings.budget_min_age,
            closes_at=body.closes_at,
            trustees=service.trustee_plan(ctx.platform),
        )
        return budget_out(uow.session, cycle, tokens)


@router.post("/budgets/{budget_id}/tally", response_model=schemas.BudgetOut)
def tally_budget(budget_id: uuid.UUID, ctx: Staff) -> Any:
    """Close the district vote, tally and decrypt it, and choose the winners within the budget."""
    with ctx.write() as uow:
        service.get_budget(uow.session, budget_id)
        return budget_out(uow.session, service.budgets.tally(uow, budget_id))


@router.post(
    "/budgets/{budget_id}/projects/{project_id}/progress", response_model=schemas.BudgetOut
)
def report_progress(
    budget_id: uuid.UUID, project_id: uuid.UUID, body: schemas.ProgressIn, ctx: Staff
) -> Any:
    """A selected project's progress and spending (Decidim's accountability)."""
    with ctx.write() as uow:
        _project_of(uow.session, budget_id, project_id)
        service.budgets.report_progress(uow, project_id, **body.model_dump())
        return budget_out(uow.session, service.get_budget(uow.session, budget_id))


def _project_of(session: Any, budget_id: uuid.UUID, project_id: uuid.UUID) -> Any:
    project = service.get_project(session, project_id)
    if project.cycle_id != budget_id:
        raise ProjectNotFound("no such project in this budget")
    return project
