"""Triage: the questions the chatbot could not answer, clustered for staff, and what staff do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot import text as textmod
from smartcity.modules.chatbot.errors import OtherDepartment
from smartcity.modules.chatbot.knowledge import add_variant, citizen_text
from smartcity.modules.chatbot.models import Item, QuestionLog
from smartcity.modules.chatbot.values import TriageState, VariantSource


def teach(uow: UnitOfWork, question: str, item_reference: str) -> tuple[Item, bool]:
    """Attach a question to an item as a variant; open triage entries of it are resolved."""
    item = repo.get_item(uow.session, item_reference)
    added = add_variant(uow, item, question, VariantSource.TAUGHT)
    for row in repo.open_questions_with_text(uow.session, citizen_text(question)):
        row.triage_state = TriageState.RESOLVED.value
        row.resolved_item_id = item.id
    return item, added is not None


def _check_access(principal: Principal, row: QuestionLog) -> None:
    # Questions nobody routed yet belong to every officer's queue.
    if not acts_for(principal, row.department_code, unassigned=True):
        raise OtherDepartment("this question belongs to another department")


def resolve_question(uow: UnitOfWork, question_id: str, item_reference: str) -> Item:
    """Staff attach a logged question to an item (it becomes a variant)."""
    row = repo.get_question(uow.session, question_id)
    _check_access(uow.actor, row)
    item, _added = teach(uow, row.text, item_reference)
    row.triage_state = TriageState.RESOLVED.value
    row.resolved_item_id = item.id
    uow.audit("chatbot.question.resolved", "chatbot_question", row.id, {"item_id": str(item.id)})
    return item


def ignore_question(uow: UnitOfWork, question_id: str) -> QuestionLog:
    """Staff decide a logged question needs no answer."""
    row = repo.get_question(uow.session, question_id)
    _check_access(uow.actor, row)
    row.triage_state = TriageState.IGNORED.value
    uow.audit("chatbot.question.ignored", "chatbot_question", row.id, {})
    return row


@dataclass
class Cluster:
    """Similar open questions, shown together in triage."""

    department_code: str
    questions: list[QuestionLog]

    @property
    def label(self) -> str:
        """The cluster's first question."""
        return self.questions[0].text

    @property
    def size(self) -> int:
        """How many questions it holds."""
        return len(self.questions)


def _shingles(text: str) -> frozenset[str]:
    return frozenset(t for t in textmod.tokens(text) if not t.startswith("c:"))


def cluster_questions(rows: Sequence[QuestionLog], threshold: float = 0.34) -> list[Cluster]:
    """Group questions per department by token overlap (Jaccard), biggest cluster first."""
    clusters: list[tuple[Cluster, frozenset[str]]] = []
    for row in rows:
        shingles = _shingles(row.text)
        best: tuple[float, int] | None = None
        for position, (cluster, centre) in enumerate(clusters):
            if cluster.department_code != row.department_code:
                continue
            union = len(shingles | centre) or 1
            similarity = len(shingles & centre) / union
            if similarity >= threshold and (best is None or similarity > best[0]):
                best = (similarity, position)
        if best is None:
            clusters.append((Cluster(row.department_code, [row]), shingles))
        else:
            cluster, centre = clusters[best[1]]
            cluster.questions.append(row)
            clusters[best[1]] = (cluster, centre | shingles)
    ordered = [cluster for cluster, _ in clusters]
    return sorted(ordered, key=lambda c: (-c.size, c.department_code, c.label))


def triage_queue(
    session: Session, principal: Principal, *, department: str | None = None, limit: int = 500
) -> list[Cluster]:
    """Open questions in clusters; officers see their department's and unassigned ones."""
    rows = repo.open_questions(session, principal, department=department, limit=limit)
    return cluster_questions(rows)
