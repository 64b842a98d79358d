"""Participatory budgets: a district's cycle from residents' proposals through review (公共性,
適法性, 預算可行性) to the district vote, the winners within the budget, and their execution.

The district vote is a Belenios election made by `voting`, one question whose answers are the
feasible projects and whose bounds are the cycle's ballot rule (choose between k1 and k2). A
project wins with votes from at least 1 % of the district's eligible residents, taken by votes
while the budget lasts. Each move is a command with its rule and an audit entry.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from smartcity.core.city import current_city
from smartcity.core.departments import own_department, require_department
from smartcity.core.time import isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.service import get_user
from smartcity.modules.participation import repository, voting
from smartcity.modules.participation.errors import (
    BudgetStageRefused,
    CostOverBudget,
    DepartmentRequired,
    InvalidBallotRule,
    ProgressRefused,
    ReasonRequired,
    UnknownDistrict,
)
from smartcity.modules.participation.models import BudgetCycle, BudgetProject
from smartcity.modules.participation.values import (
    BudgetStage,
    ProjectStatus,
    Stage,
    TrusteePlan,
)

THRESHOLD_PERCENT = 1
"""A project needs votes from this share of the district's eligible residents."""


def threshold_of(cycle: BudgetCycle) -> int:
    """Votes a project needs: 1 % of the eligible residents, rounded up."""
    return math.ceil(cycle.eligible_residents * THRESHOLD_PERCENT / 100)


def _require_office(uow: UnitOfWork, cycle: BudgetCycle) -> None:
    require_department(
        uow.actor,
        cycle.department_code,
        code="other_department",
        detail="officers run their own department's budgets",
    )


def _record(uow: UnitOfWork, cycle: BudgetCycle, stage: BudgetStage, reason: str) -> None:
    previous = cycle.stage
    cycle.stage = stage.value
    cycle.decisions = [
        *cycle.decisions,
        {"from": previous, "to": stage.value, "reason": reason, "at": isoformat_z(utcnow())},
    ]
    uow.audit(
        "participation.budget.stage_changed",
        "participation_budget",
        cycle.id,
        {"from": previous, "to": stage.value, "reason": reason},
    )


def _require_stage(cycle: BudgetCycle, stage: BudgetStage, doing: str) -> None:
    if cycle.stage != stage.value:
        raise BudgetStageRefused(
            f"{doing} at the {stage.value} stage; the cycle is at {cycle.stage}"
        )


def open_cycle(
    uow: UnitOfWork,
    *,
    district_code: str,
    title: str,
    budget: int,
    eligible_residents: int,
    min_choices: int,
    max_choices: int,
    department_code: str | None,
) -> BudgetCycle:
    """A district's cycle opens for proposals."""
    if current_city().district(district_code) is None:
        raise UnknownDistrict(f"the city has no district {district_code}")
    if not 1 <= min_choices <= max_choices:
        raise InvalidBallotRule("the ballot rule needs 1 <= k1 <= k2")
    department = department_code or own_department(uow.actor)
    require_department(
        uow.actor,
        department,
        code="other_department",
        detail="officers open budgets for their own department",
    )
    if department is None:
        raise DepartmentRequired("name the department that runs the budget")
    cycle = BudgetCycle(
        district_code=district_code,
        department_code=department,
        title=title,
        budget=budget,
        eligible_residents=eligible_residents,
        min_choices=min_choices,
        max_choices=max_choices,
        stage=BudgetStage.PROPOSALS.value,
        decisions=[],
        created_at=utcnow(),
    )
    uow.session.add(cycle)
    uow.session.flush()
    uow.audit(
        "participation.budget.opened",
        "participation_budget",
        cycle.id,
        {
            "district": district_code,
            "budget": budget,
            "eligible_residents": eligible_residents,
            "ballot_rule": [min_choices, max_choices],
        },
    )
    return cycle


def propose_project(
    uow: UnitOfWork,
    cycle_id: uuid.UUID,
    *,
    title: str,
    description: str,
    cost: int,
    location: str,
) -> BudgetProject:
    """A resident proposes a project with its cost and place while the cycle takes proposals."""
    cycle = repository.lock_budget(uow.session, cycle_id)
    _require_stage(cycle, BudgetStage.PROPOSALS, "projects are proposed")
    if cost > cycle.budget:
        raise CostOverBudget(f"the district's whole budget is {cycle.budget} NTD")
    proposer = get_user(uow.session, str(uow.actor.id))
    project = BudgetProject(
        cycle_id=cycle.id,
        title=title,
        description=description,
        cost=cost,
        location=location,
        proposed_by=proposer.id,
        status=ProjectStatus.SUBMITTED.value,
        progress=0,
        spent=0,
        updates=[],
        created_at=utcnow(),
    )
    uow.session.add(project)
    uow.session.flush()
    uow.audit(
        "participation.project.proposed",
        "participation_project",
        project.id,
        {"cycle": str(cycle.id), "title": title, "cost": cost},
    )
    return project


def start_review(uow: UnitOfWork, cycle_id: uuid.UUID, reason: str) -> BudgetCycle:
    """Proposals close; the review begins."""
    cycle = repository.lock_budget(uow.session, cycle_id)
    _require_office(uow, cycle)
    _require_stage(cycle, BudgetStage.PROPOSALS, "the review starts")
    if not reason.strip():
        raise ReasonRequired("give the reason for the decision")
    if not repository.projects_of(uow.session, cycle.id):
        raise BudgetStageRefused("the cycle has no proposal to review")
    _record(uow, cycle, BudgetStage.REVIEW, reason.strip())
    return cycle


def review_project(
    uow: UnitOfWork,
    project_id: uuid.UUID,
    *,
    public_interest: bool,
    legality: bool,
    budget_feasibility: bool,
    reason: str,
) -> BudgetProject:
    """The three findings with the reason: a project passing all three goes on the ballot."""
    project = repository.get_project(uow.session, project_id)
    cycle = repository.lock_budget(uow.session, project.cycle_id)
    _require_office(uow, cycle)
    _require_stage(cycle, BudgetStage.REVIEW, "projects are reviewed")
    if not reason.strip():
        raise ReasonRequired("give the reason for the findings")
    feasible = public_interest and legality and budget_feasibility
    project.review = {
        "public_interest": public_interest,
        "legality": legality,
        "budget_feasibility": budget_feasibility,
        "reason": reason.strip(),
        "at": isoformat_z(utcnow()),
    }
    project.status = (ProjectStatus.FEASIBLE if feasible else ProjectStatus.INFEASIBLE).value
    uow.audit(
        "participation.project.reviewed",
        "participation_project",
        project.id,
        {"status": project.status, **project.review},
    )
    return project


def ballot_question(cycle: BudgetCycle, feasible: list[BudgetProject]) -> dict[str, Any]:
    """The district ballot: one question, one answer per feasible project, the cycle's rule."""
    return {
        "question": f"{cycle.title}（選 {cycle.min_choices}–{cycle.max_choices} 案）",
        "answers": [f"{p.title}（{p.cost:,} 元）" for p in feasible],
        "min": cycle.min_choices,
        "max": min(cycle.max_choices, len(feasible)),
    }


def put_to_vote(
    uow: UnitOfWork,
    cycle_id: uuid.UUID,
    *,
    group_name: str,
    closes_at: datetime,
    trustees: TrusteePlan,
    min_age: int,
) -> tuple[BudgetCycle, dict[int, str]]:
    """Review → voting: the feasible projects go on the district's Belenios ballot, with the
    outside trustees' upload tokens (shown once by the console, as for an i-Voting issue).
    Its voters are those of `min_age` or more who live, study or work in the district."""
    cycle = repository.lock_budget(uow.session, cycle_id)
    _require_office(uow, cycle)
    _require_stage(cycle, BudgetStage.REVIEW, "the vote opens")
    projects = repository.projects_of(uow.session, cycle.id)
    waiting = [p.title for p in projects if p.status == ProjectStatus.SUBMITTED.value]
    if waiting:
        raise BudgetStageRefused(f"{len(waiting)} project(s) still wait for review")
    feasible = [p for p in projects if p.status == ProjectStatus.FEASIBLE.value]
    if len(feasible) < cycle.min_choices:
        raise BudgetStageRefused(
            f"the ballot rule asks for {cycle.min_choices} choices; "
            f"{len(feasible)} project(s) are feasible"
        )
    for position, project in enumerate(feasible):
        project.ballot_position = position
    district = current_city().district(cycle.district_code)
    vote, tokens = voting.create_vote(
        uow,
        group_name=group_name,
        title=cycle.title,
        description=f"參與式預算 Participatory budget: {district.label if district else ''}",
        questions=[ballot_question(cycle, feasible)],
        eligibility={"min_age": min_age, "districts": [cycle.district_code]},
        closes_at=closes_at,
        department_code=cycle.department_code,
        trustees=trustees,
    )
    cycle.vote_id = vote.id
    _record(uow, cycle, BudgetStage.VOTING, "the district vote opens")
    return cycle, tokens


def choose_winners(
    budget: int, threshold: int, candidates: list[tuple[uuid.UUID, int, int]]
) -> set[uuid.UUID]:
    """The winners among (id, votes, cost): by votes (then the cheaper first), each over the
    threshold and within what the budget has left."""
    left = budget
    chosen: set[uuid.UUID] = set()
    for project_id, votes, cost in sorted(candidates, key=lambda c: (-c[1], c[2])):
        if votes >= threshold and cost <= left:
            chosen.add(project_id)
            left -= cost
    return chosen


def tally(uow: UnitOfWork, cycle_id: uuid.UUID) -> BudgetCycle:
    """Voting → results: the election is closed, tallied and decrypted, and the winners chosen.

    With outside trustees the first call closes the vote and the cycle stays at voting while
    their partial decryptions come in (`votes/{id}/trustees/…`); the next call, once the
    vote's result is out, chooses the winners.
    """
    cycle = repository.lock_budget(uow.session, cycle_id)
    _require_office(uow, cycle)
    _require_stage(cycle, BudgetStage.VOTING, "the vote is tallied")
    vote = repository.get_vote(uow.session, str(cycle.vote_id))  # set with the voting stage
    if vote.stage != Stage.RESULTS.value and voting.tally(uow, vote).outcome is None:
        return cycle
    counts = (vote.result or [[]])[0]
    on_ballot = [
        p for p in repository.projects_of(uow.session, cycle.id) if p.ballot_position is not None
    ]
    for project in on_ballot:
        project.votes = counts[project.ballot_position or 0]
    threshold = threshold_of(cycle)
    winners = choose_winners(
        cycle.budget, threshold, [(p.id, p.votes or 0, p.cost) for p in on_ballot]
    )
    for project in on_ballot:
        selected = project.id in winners
        project.status = (ProjectStatus.SELECTED if selected else ProjectStatus.NOT_SELECTED).value
    _record(
        uow,
        cycle,
        BudgetStage.RESULTS,
        f"{len(winners)} project(s) selected; threshold {threshold} votes",
    )
    return cycle


def report_progress(
    uow: UnitOfWork, project_id: uuid.UUID, *, progress: int, spent: int, note: str
) -> BudgetProject:
    """Execution tracking: a selected project's progress and spending, never going back."""
    project = repository.get_project(uow.session, project_id)
    cycle = repository.lock_budget(uow.session, project.cycle_id)
    _require_office(uow, cycle)
    if project.status != ProjectStatus.SELECTED.value:
        raise ProgressRefused("progress is reported on selected projects only")
    if progress < project.progress or spent < project.spent:
        raise ProgressRefused(
            f"progress and spending never go back (now {project.progress} %, {project.spent} NTD)"
        )
    project.progress = progress
    project.spent = spent
    project.updates = [
        *project.updates,
        {"progress": progress, "spent": spent, "note": note, "at": isoformat_z(utcnow())},
    ]
    uow.audit(
        "participation.project.progressed",
        "participation_project",
        project.id,
        {"progress": progress, "spent": spent, "note": note},
    )
    return project
