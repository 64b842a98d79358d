"""The learning loop's figures: answer and helpful rates, and what is left unanswered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.time import utcnow
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot.triage import Cluster, triage_queue
from smartcity.modules.chatbot.values import Feedback, Outcome


@dataclass
class DepartmentMetrics:
    """One department's figures."""

    department_code: str
    questions: int = 0
    answered: int = 0
    suggested: int = 0
    declined: int = 0
    helpful: int = 0
    unhelpful: int = 0

    @property
    def answer_rate(self) -> float:
        """Share of questions answered outright."""
        return self.answered / self.questions if self.questions else 0.0

    @property
    def helpful_rate(self) -> float | None:
        """Share of rated answers rated helpful (None without ratings)."""
        rated = self.helpful + self.unhelpful
        return self.helpful / rated if rated else None


@dataclass
class Metrics:
    """The learning loop's figures over a period."""

    days: int
    overall: DepartmentMetrics
    departments: list[DepartmentMetrics]
    top_unanswered: list[Cluster]
    items: int
    kb_version: int


def metrics(session: Session, principal: Principal, *, days: int = 30) -> Metrics:
    """Answer rate, helpful rate and the biggest unanswered clusters, by department."""
    overall = DepartmentMetrics("")
    by_department: dict[str, DepartmentMetrics] = {}
    for code, outcome, feedback, count in repo.outcome_counts(
        session, utcnow() - timedelta(days=days)
    ):
        for target in (overall, by_department.setdefault(code, DepartmentMetrics(code))):
            target.questions += count
            if outcome == Outcome.ANSWERED.value:
                target.answered += count
            elif outcome == Outcome.SUGGESTED.value:
                target.suggested += count
            else:
                target.declined += count
            if feedback == Feedback.HELPFUL.value:
                target.helpful += count
            elif feedback == Feedback.UNHELPFUL.value:
                target.unhelpful += count
    return Metrics(
        days=days,
        overall=overall,
        departments=sorted(by_department.values(), key=lambda d: -d.questions),
        top_unanswered=triage_queue(session, principal)[:10],
        items=repo.count_items(session),
        kb_version=repo.kb_version(session),
    )
