"""participation's pages: issues and budgets, proposing and seconding, the voting page (the
ballot is encrypted in the browser by /static/belenios.js), "check my ballot", results with
charts, and the staff console for review and stage changes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.city import current_city
from smartcity.core.errors import BadRequest, DomainError, TooLarge
from smartcity.core.http import PageContext
from smartcity.core.ratelimit import throttle
from smartcity.core.time import city_zone, utcnow
from smartcity.modules.participation import repository, rules, service
from smartcity.modules.participation.api import MAX_BALLOT_BYTES
from smartcity.modules.participation.auth import CitizenPage, PublicPage, StaffPage
from smartcity.modules.participation.issues import MOVES
from smartcity.modules.participation.models import Vote
from smartcity.modules.participation.values import BudgetStage, Custody, ProjectStatus, Stage
from smartcity.web.charts import Chart, category_bars

router = APIRouter(include_in_schema=False)

ISSUE_STAGES = [s.value for s in Stage if s != Stage.NOT_ADOPTED]
BUDGET_STAGES = [s.value for s in BudgetStage]


def build_router() -> APIRouter:
    """participation's page routes (the manifest's factory)."""
    return router


def _result_charts(ctx: PageContext, vote: Vote) -> list[tuple[dict[str, Any], Chart]]:
    if vote.result is None or vote.election is None:
        return []
    questions = service.election_of(vote).questions
    return [
        (
            question,
            category_bars(
                list(zip(question["answers"], counts, strict=True)),
                title=question["question"],
                unit=ctx._("votes"),
                name=ctx._("Votes"),
            ),
        )
        for question, counts in zip(questions, vote.result, strict=True)
    ]


def _district_label(code: str) -> str:
    district = current_city().district(code)
    return district.label if district else code


# -- the public pages --------------------------------------------------------------------------


@router.get("/participation", response_class=HTMLResponse)
def home(ctx: PublicPage) -> Response:
    with ctx.read() as session:
        cycles = service.list_budgets(session, limit=100)
        # A district vote is shown with its budget, not among the issues.
        district_votes = {c.vote_id for c in cycles if c.vote_id}
        issues = service.list_votes(session, limit=100)
        return ctx.render(
            "participation/home.html",
            issues=[i for i in issues if i.id not in district_votes],
            budgets=cycles,
            district_label=_district_label,
        )


def _platform_decrypts_alone(session: Any, vote: Any) -> bool:
    """Whether the platform holds every key share of this vote (the demo's and the tests')."""
    trustees = service.trustees_of(session, vote.id)
    return bool(trustees) and all(t.custody == Custody.PLATFORM.value for t in trustees)


@router.get("/participation/issues/{issue_id}", response_class=HTMLResponse)
def issue_page(issue_id: uuid.UUID, ctx: PublicPage, problem: str = "") -> Response:
    with ctx.read() as session:
        issue = service.get_vote(session, issue_id)
        return ctx.render(
            "participation/issue.html",
            issue=issue,
            stages=ISSUE_STAGES,
            open=service.is_open(issue),
            questions=service.election_of(issue).questions if issue.election else [],
            charts=_result_charts(ctx, issue),
            counted=repository.count_ballots(session, issue.id),
            platform_decrypts_alone=_platform_decrypts_alone(session, issue),
            problem=problem[:300],
        )


@router.get("/participation/propose", response_class=HTMLResponse)
def propose_form(ctx: CitizenPage) -> Response:
    return ctx.render("participation/propose.html", problem="")


@router.post("/participation/propose", response_class=HTMLResponse)
def propose(
    ctx: CitizenPage,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(min_length=1, max_length=5000)],
) -> Response:
    throttle(ctx, "participation-seconds", rules.SECONDS)
    settings = service.settings_of(ctx.platform)
    with ctx.write() as uow:
        issue = service.propose(
            uow,
            title=title,
            description=description,
            seconds_needed=settings.seconds_needed,
            seconding_days=settings.seconding_days,
        )
        issue_id = issue.id
    return RedirectResponse(f"/participation/issues/{issue_id}", status_code=303)


@router.post("/participation/issues/{issue_id}/second", response_class=HTMLResponse)
def second(issue_id: uuid.UUID, ctx: CitizenPage) -> Response:
    throttle(ctx, "participation-seconds", rules.SECONDS)
    try:
        with ctx.write() as uow:
            service.get_vote(uow.session, issue_id)
            service.second(uow, issue_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return issue_page(issue_id, ctx, problem=exc.detail)
    return RedirectResponse(f"/participation/issues/{issue_id}?seconded=1", status_code=303)


@router.get("/participation/votes/{vote_id}/vote", response_class=HTMLResponse)
def vote_page(vote_id: uuid.UUID, ctx: CitizenPage) -> Response:
    with ctx.read() as session:
        vote = service.get_vote(session, vote_id)
        if vote.election is None or not service.is_open(vote):
            return RedirectResponse(f"/participation/issues/{vote_id}", status_code=303)
        election = service.election_of(vote)
        g = election.group
        return ctx.render(
            "participation/vote.html",
            vote=vote,
            questions=election.questions,
            election_text=vote.election,
            group=json.dumps({"p": str(g.p), "q": str(g.q), "g": str(g.g)}),
            fingerprint=election.fingerprint,
            platform_decrypts_alone=_platform_decrypts_alone(session, vote),
        )


@router.post("/participation/votes/{vote_id}/credential")
def page_credential(vote_id: uuid.UUID, ctx: CitizenPage) -> Response:
    """The voting page's one credential request (JSON for its script); shown once."""
    throttle(ctx, "participation-credential", rules.CREDENTIALS)
    with ctx.write() as uow:
        vote = service.get_vote(uow.session, vote_id)
        credential = service.issue_credential(uow, vote)
    return JSONResponse({"credential": credential})


@router.post("/participation/votes/{vote_id}/ballot")
async def page_ballot(vote_id: uuid.UUID, request: Request, ctx: CitizenPage) -> Response:
    """A ballot the page's script encrypted: checked and recorded like any client's."""
    throttle(ctx, "participation-ballot", rules.BALLOTS)
    content = (await request.body()).strip()
    if len(content) > MAX_BALLOT_BYTES:
        raise TooLarge("a ballot is at most 1 MB")
    if not content:
        raise BadRequest("the body must be a Belenios ballot")
    tracker = await run_in_threadpool(_cast, ctx, vote_id, content)
    return JSONResponse({"tracker": tracker}, status_code=201)


def _cast(ctx: PageContext, vote_id: uuid.UUID, content: bytes) -> str:
    with ctx.read() as session:
        vote = service.get_vote(session, vote_id)
        checked = service.check_ballot(session, vote, content)
    with ctx.write() as uow:
        return service.record_ballot(uow, vote, checked, content)


@router.get("/participation/votes/{vote_id}/check", response_class=HTMLResponse)
def check_ballot(vote_id: uuid.UUID, ctx: PublicPage, tracker: str = "") -> Response:
    """Check my ballot: is this tracker on the public board, and where."""
    tracker = tracker.strip()[:64]
    with ctx.read() as session:
        vote = service.get_vote(session, vote_id)
        found = repository.ballot_by_tracker(session, vote.id, tracker) if tracker else None
        return ctx.render(
            "participation/check.html",
            vote=vote,
            tracker=tracker,
            found=found,
            counted=repository.count_ballots(session, vote.id),
        )


@router.get("/participation/budgets/{budget_id}", response_class=HTMLResponse)
def budget_page(budget_id: uuid.UUID, ctx: PublicPage, problem: str = "") -> Response:
    with ctx.read() as session:
        cycle = service.get_budget(session, budget_id)
        projects = service.projects_of(session, cycle.id)
        vote = service.get_vote(session, cycle.vote_id) if cycle.vote_id else None
        threshold = service.budgets.threshold_of(cycle)
        chart = None
        voted = [p for p in projects if p.votes is not None]
        if voted:
            chart = category_bars(
                [(p.title, p.votes or 0) for p in voted],
                title=cycle.title,
                unit=ctx._("votes"),
                name=ctx._("Votes"),
                threshold=(threshold, ctx._("1 % threshold")),
            )
        return ctx.render(
            "participation/budget.html",
            cycle=cycle,
            district=_district_label(cycle.district_code),
            projects=projects,
            voted=voted,
            vote=vote,
            open=vote is not None and service.is_open(vote),
            threshold=threshold,
            chart=chart,
            stages=BUDGET_STAGES,
            selected_cost=sum(p.cost for p in projects if p.status == ProjectStatus.SELECTED),
            problem=problem[:300],
        )


@router.post("/participation/budgets/{budget_id}/projects", response_class=HTMLResponse)
def propose_project(
    budget_id: uuid.UUID,
    ctx: CitizenPage,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(min_length=1, max_length=5000)],
    cost: Annotated[int, Form(ge=1, le=2_000_000_000)],
    location: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    throttle(ctx, "participation-seconds", rules.SECONDS)
    try:
        with ctx.write() as uow:
            service.get_budget(uow.session, budget_id)
            service.budgets.propose_project(
                uow, budget_id, title=title, description=description, cost=cost, location=location
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return budget_page(budget_id, ctx, problem=exc.detail)
    return RedirectResponse(f"/participation/budgets/{budget_id}", status_code=303)


# -- the staff console ---------------------------------------------------------------------


def _console(
    ctx: PageContext,
    problem: str = "",
    status_code: int = 200,
    trustee_tokens: tuple[uuid.UUID, dict[int, str]] | None = None,
) -> Response:
    with ctx.read() as session:
        cycles = service.list_budgets(session, limit=100)
        district_votes = {c.vote_id for c in cycles if c.vote_id}
        issues = [v for v in service.list_votes(session, limit=100) if v.id not in district_votes]
        return ctx.render(
            "participation/console.html",
            status_code=status_code,
            issues=issues,
            moves={stage.value: [s.value for s in allowed] for stage, allowed in MOVES.items()},
            budgets=[(c, service.projects_of(session, c.id)) for c in cycles],
            district_label=_district_label,
            districts=current_city().districts,
            default_close=(utcnow() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            problem=problem,
            trustee_tokens=trustee_tokens,
        )


def _done(ctx: PageContext, work: Any) -> Response:
    try:
        tokens = work()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _console(ctx, exc.detail, exc.status)
    if tokens and tokens[1]:
        # Outside trustees' upload tokens exist only in this answer: shown once, never stored.
        return _console(ctx, trustee_tokens=tokens)
    return RedirectResponse("/staff/participation", status_code=303)


@router.get("/staff/participation", response_class=HTMLResponse)
def console(ctx: StaffPage) -> Response:
    return _console(ctx)


@router.post("/staff/participation/issues/{issue_id}/stage", response_class=HTMLResponse)
def move_issue(
    issue_id: uuid.UUID,
    ctx: StaffPage,
    stage: Annotated[Stage, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.get_vote(uow.session, issue_id)
            service.move(uow, issue_id, stage, reason, None)

    return _done(ctx, work)


def _closing(text: str) -> datetime:
    """A datetime-local field read in the city's time zone."""
    try:
        closes = datetime.fromisoformat(text)
    except ValueError as error:
        raise BadRequest("closes_at is not a date and time") from error
    return closes if closes.tzinfo else closes.replace(tzinfo=city_zone())


@router.post("/staff/participation/issues/{issue_id}/vote", response_class=HTMLResponse)
def put_issue_to_vote(
    issue_id: uuid.UUID,
    ctx: StaffPage,
    question: Annotated[str, Form(min_length=1, max_length=500)],
    answers: Annotated[str, Form(min_length=1, max_length=5000)],
    closes_at: Annotated[str, Form(max_length=32)],
    min_choices: Annotated[int, Form(ge=0, le=50)] = 1,
    max_choices: Annotated[int, Form(ge=1, le=50)] = 1,
) -> Response:
    """Publicity → voting with one question whose answers are the settled options, a line each."""
    options = [line.strip() for line in answers.splitlines() if line.strip()]

    def work() -> tuple[uuid.UUID, dict[int, str]]:
        with ctx.write() as uow:
            service.get_vote(uow.session, issue_id)
            settings = service.settings_of(ctx.platform)
            issue, tokens = service.put_to_vote(
                uow,
                issue_id,
                group_name=settings.group,
                questions=[
                    {
                        "question": question,
                        "answers": options,
                        "min": min_choices,
                        "max": max_choices,
                    }
                ],
                closes_at=_closing(closes_at),
                eligibility={},
                trustees=service.trustee_plan(ctx.platform),
            )
        return issue.id, tokens

    return _done(ctx, work)


@router.post("/staff/participation/issues/{issue_id}/follow-up", response_class=HTMLResponse)
def follow_up(
    issue_id: uuid.UUID, ctx: StaffPage, text: Annotated[str, Form(min_length=1, max_length=5000)]
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.get_vote(uow.session, issue_id)
            service.follow_up(uow, issue_id, text)

    return _done(ctx, work)


@router.post("/staff/participation/votes/{vote_id}/tally", response_class=HTMLResponse)
def tally_issue(vote_id: uuid.UUID, ctx: StaffPage) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.tally(uow, service.get_vote(uow.session, vote_id))

    return _done(ctx, work)


@router.post("/staff/participation/budgets", response_class=HTMLResponse)
def open_budget(
    ctx: StaffPage,
    district_code: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    budget: Annotated[int, Form(ge=1, le=2_000_000_000)],
    eligible_residents: Annotated[int, Form(ge=1, le=10_000_000)],
    min_choices: Annotated[int, Form(ge=1, le=50)] = 1,
    max_choices: Annotated[int, Form(ge=1, le=50)] = 1,
    department_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.budgets.open_cycle(
                uow,
                district_code=district_code,
                title=title,
                budget=budget,
                eligible_residents=eligible_residents,
                min_choices=min_choices,
                max_choices=max_choices,
                department_code=department_code.strip() or None,
            )

    return _done(ctx, work)


@router.post("/staff/participation/budgets/{budget_id}/review", response_class=HTMLResponse)
def start_review(
    budget_id: uuid.UUID, ctx: StaffPage, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.get_budget(uow.session, budget_id)
            service.budgets.start_review(uow, budget_id, reason)

    return _done(ctx, work)


@router.post("/staff/participation/projects/{project_id}/review", response_class=HTMLResponse)
def review_project(
    project_id: uuid.UUID,
    ctx: StaffPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
    public_interest: Annotated[bool, Form()] = False,
    legality: Annotated[bool, Form()] = False,
    budget_feasibility: Annotated[bool, Form()] = False,
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.budgets.review_project(
                uow,
                project_id,
                public_interest=public_interest,
                legality=legality,
                budget_feasibility=budget_feasibility,
                reason=reason,
            )

    return _done(ctx, work)


@router.post("/staff/participation/budgets/{budget_id}/vote", response_class=HTMLResponse)
def budget_to_vote(
    budget_id: uuid.UUID, ctx: StaffPage, closes_at: Annotated[str, Form(max_length=32)]
) -> Response:
    def work() -> tuple[uuid.UUID, dict[int, str]]:
        with ctx.write() as uow:
            service.get_budget(uow.session, budget_id)
            settings = service.settings_of(ctx.platform)
            cycle, tokens = service.budgets.put_to_vote(
                uow,
                budget_id,
                group_name=settings.group,
                min_age=settings.budget_min_age,
                closes_at=_closing(closes_at),
                trustees=service.trustee_plan(ctx.platform),
            )
            return cycle.vote_id or budget_id, tokens

    return _done(ctx, work)


@router.post("/staff/participation/budgets/{budget_id}/tally", response_class=HTMLResponse)
def tally_budget(budget_id: uuid.UUID, ctx: StaffPage) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.get_budget(uow.session, budget_id)
            service.budgets.tally(uow, budget_id)

    return _done(ctx, work)


@router.post("/staff/participation/projects/{project_id}/progress", response_class=HTMLResponse)
def report_progress(
    project_id: uuid.UUID,
    ctx: StaffPage,
    progress: Annotated[int, Form(ge=0, le=100)],
    spent: Annotated[int, Form(ge=0, le=2_000_000_000)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def work() -> None:
        with ctx.write() as uow:
            service.budgets.report_progress(
                uow, project_id, progress=progress, spent=spent, note=note
            )

    return _done(ctx, work)
