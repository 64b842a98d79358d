"""participation's part of the demo city: an i-Voting issue at every stage, written for the demo,
and a district participatory budget at every stage, read from the city profile's
`participation.toml` (city data: each shipped profile has its own districts and texts).

The issues and projects are illustrative. The votes at `results` are real Belenios elections:
their ballots are made by the platform's own client code for demo credentials that no person
holds, so that their archives verify with `belenios-tool election verify` like any other.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

from smartcity.core.city import profile_directory
from smartcity.core.platform import Platform
from smartcity.core.time import isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.participation import belenios, budgets, repository, voting
from smartcity.modules.participation.models import BudgetProject, Credential, Vote
from smartcity.modules.participation.service import settings_of
from smartcity.modules.participation.trustees import register_key
from smartcity.modules.participation.values import (
    BudgetStage,
    Custody,
    Origin,
    ProjectStatus,
    Stage,
    TrusteeHolder,
    TrusteePlan,
)

DEPARTMENT = "DOT"

DEMO_TRUSTEES = TrusteePlan(
    {TrusteeHolder.CITY: Custody.PLATFORM, TrusteeHolder.COMMITTEE: Custody.PLATFORM}
)
"""The demo's trustees are nobody's: the platform plays every one, whatever the settings, so
its server could decrypt these votes alone; their pages say so (ADR 31)."""

# (stage, title, description, seconds so far, the reasons given on the way)
PROPOSALS: list[tuple[Stage, str, str, int, list[str]]] = [
    (Stage.PROPOSAL_CHECK, "公園增設夜間照明", "社區公園夜間昏暗，建議增設照明。", 312, []),
    (
        Stage.PRELIMINARY_REVIEW,
        "學校周邊設置行人友善區",
        "上下學時段限制車速並拓寬人行空間。",
        1500,
        ["the proposal reached its seconds"],
    ),
    (
        Stage.DISCUSSION,
        "公車站牌增設遮雨棚",
        "常用站牌缺少遮雨設施。",
        1500,
        ["the proposal reached its seconds", "公共性、適法性、預算可行性皆符合"],
    ),
    (
        Stage.OPTIONS,
        "河濱自行車道延長",
        "串接兩岸自行車道。",
        1500,
        ["the proposal reached its seconds", "符合", "公聽會後形成兩案"],
    ),
    (
        Stage.PUBLICITY,
        "週末徒步區試辦",
        "商圈週末封街試辦徒步區。",
        1500,
        ["the proposal reached its seconds", "符合", "討論完成", "選項：試辦三個月／不試辦"],
    ),
    (
        Stage.NOT_ADOPTED,
        "全面免費停車",
        "所有路邊停車免費。",
        1500,
        ["the proposal reached its seconds", "不符預算可行性，詳見審查紀錄"],
    ),
]

QUESTION = {"question": "是否同意試辦？ Agree to the pilot?", "answers": ["同意", "不同意"]}


def _stages_before(stage: Stage) -> list[Stage]:
    order = [
        Stage.PROPOSAL_CHECK,
        Stage.PRELIMINARY_REVIEW,
        Stage.DISCUSSION,
        Stage.OPTIONS,
        Stage.PUBLICITY,
    ]
    return order[: order.index(stage) + 1] if stage in order else [*order[:2], stage]


def _proposal(
    uow: UnitOfWork, stage: Stage, title: str, text: str, seconds: int, reasons: list[str]
) -> None:
    now = utcnow()
    path = _stages_before(stage)
    decisions = [
        {"from": a.value, "to": b.value, "reason": reason, "at": isoformat_z(now)}
        for a, b, reason in zip(path, path[1:], reasons, strict=False)
    ]
    issue = Vote(
        title=title,
        description=text,
        department_code=None if stage == Stage.PROPOSAL_CHECK else DEPARTMENT,
        origin=Origin.CITIZEN.value,
        stage=stage.value,
        eligibility={},
        seconds_needed=1500,
        seconds=seconds,
        seconding_closes_at=now + timedelta(days=45),
        decisions=decisions,
        ballots_cast=0,
        created_at=now,
    )
    uow.session.add(issue)
    uow.session.flush()
    uow.audit("participation.issue.seeded", "participation_vote", issue.id, {"stage": stage.value})


def _vote(
    uow: UnitOfWork,
    platform: Platform,
    title: str,
    days: int,
    trustees: TrusteePlan = DEMO_TRUSTEES,
) -> tuple[Vote, dict[int, str]]:
    settings = settings_of(platform)
    return voting.create_vote(
        uow,
        group_name=settings.group,
        title=title,
        description="示範投票 A demo vote",
        questions=[{**QUESTION, "min": 1, "max": 1}],
        eligibility={},
        closes_at=utcnow() + timedelta(days=days),
        department_code=DEPARTMENT,
        trustees=trustees,
    )


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """An issue at every stage; one vote open, one awaiting its observer's decryption, one
    tallied with its follow-up; a district budget at every stage."""
    for stage, title, text, seconds, reasons in PROPOSALS:
        _proposal(uow, stage, title, text, seconds, reasons)
    _vote(uow, platform, "動物園夜間開放 Zoo night opening", days=14)
    _awaiting_observer(uow, platform)
    done, _tokens = _vote(uow, platform, "市集週日延長營業 Sunday market hours", days=1)
    _cast(uow, done, [[[1, 0]], [[1, 0]], [[0, 1]], [[1, 0]], [[0, 1]]])
    voting.tally(uow, done)
    done.follow_up = "示範：依投票結果自下月起延長營業 Demo: hours extended from next month"
    path = profile_directory(platform.settings.city) / "participation.toml"
    if path.is_file():
        demo = tomllib.loads(path.read_text(encoding="utf-8"))
        for cycle in demo["budgets"]:
            _budget(uow, platform, demo["department"], cycle)


def _cast(uow: UnitOfWork, vote: Vote, choices: list[list[list[int]]]) -> None:
    election = voting.election_of(vote)
    for choice in choices:
        credential = belenios.new_credential()
        public = belenios.public_credential(election.group, credential, election.uuid)
        uow.session.add(Credential(vote_id=vote.id, public_credential=public))
        uow.session.flush()
        content = belenios.make_ballot(election, credential, choice)
        checked = voting.check_ballot(uow.session, vote, content)
        voting.record_ballot(uow, vote, checked, content)


def _awaiting_observer(uow: UnitOfWork, platform: Platform) -> None:
    """A closed vote whose outside observer has not decrypted yet. Its key was made here and
    its private part thrown away, so this demo vote stays at `tallying` for good."""
    vote, tokens = _vote(
        uow,
        platform,
        "河濱音樂節延長 Riverside festival hours",
        days=1,
        trustees=TrusteePlan(
            {TrusteeHolder.CITY: Custody.PLATFORM, TrusteeHolder.OBSERVER: Custody.OUTSIDE}
        ),
    )
    group_name = settings_of(platform).group
    ((position, token),) = tokens.items()
    observer = belenios.new_trustee_key(belenios.group(group_name)).public
    register_key(uow, vote.id, position, token, observer, group_name)
    _cast(uow, vote, [[[1, 0]], [[0, 1]], [[1, 0]]])
    voting.tally(uow, vote)


def _budget(uow: UnitOfWork, platform: Platform, department: str, data: dict[str, Any]) -> None:
    """One district cycle brought to its demo stage through the commands officers use."""
    low, high = data["ballot_rule"]
    cycle = budgets.open_cycle(
        uow,
        district_code=data["district"],
        title=data["title"],
        budget=data["budget"],
        eligible_residents=data["eligible_residents"],
        min_choices=low,
        max_choices=high,
        department_code=department,
    )
    projects: list[tuple[BudgetProject, dict[str, Any]]] = []
    for item in data["projects"]:
        # Residents' proposals: the demo has no proposer, so they are added as the command would.
        project = BudgetProject(
            cycle_id=cycle.id,
            title=item["title"],
            description=item["description"],
            cost=item["cost"],
            location=item["location"],
            status=ProjectStatus.SUBMITTED.value,
            progress=0,
            spent=0,
            updates=[],
            created_at=utcnow() + timedelta(microseconds=len(projects)),
        )
        uow.session.add(project)
        uow.session.flush()
        uow.audit(
            "participation.project.proposed",
            "participation_project",
            project.id,
            {"cycle": str(cycle.id), "title": project.title, "cost": project.cost},
        )
        projects.append((project, item))
    stage = BudgetStage(data["stage"])
    if stage == BudgetStage.PROPOSALS:
        return
    budgets.start_review(uow, cycle.id, "收件截止 Proposals closed")
    for project, item in projects:
        if "review" in item:
            public_interest, legality, feasibility, reason = item["review"]
            budgets.review_project(
                uow,
                project.id,
                public_interest=public_interest,
                legality=legality,
                budget_feasibility=feasibility,
                reason=reason,
            )
    if stage == BudgetStage.REVIEW:
        return
    budgets.put_to_vote(
        uow,
        cycle.id,
        group_name=settings_of(platform).group,
        min_age=settings_of(platform).budget_min_age,
        closes_at=utcnow() + timedelta(days=data.get("closes_in_days", 1)),
        trustees=DEMO_TRUSTEES,
    )
    if stage == BudgetStage.VOTING:
        return
    vote = repository.get_vote(uow.session, str(cycle.vote_id))
    _cast(uow, vote, [[marks] for marks in data["ballots"]])
    budgets.tally(uow, cycle.id)
    for project, item in projects:
        for progress, spent, note in item.get("progress", []):
            budgets.report_progress(uow, project.id, progress=progress, spent=spent, note=note)
