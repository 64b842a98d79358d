"""Answering: a question against the index, the answer's wording, and the question log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from smartcity.core.city import current_city
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import engine, intents
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot import text as textmod
from smartcity.modules.chatbot.errors import ItemNotFound
from smartcity.modules.chatbot.intents import intent_of
from smartcity.modules.chatbot.models import QuestionLog
from smartcity.modules.chatbot.platform_answers import IntentReply
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.chatbot.values import Channel, Feedback, Intent, Outcome, TriageState

MAX_QUESTION = 500


@dataclass
class Suggestion:
    """An item offered as a quick reply."""

    item_id: str
    source_id: str | None
    question: str


@dataclass
class Answer:
    """What the chatbot says to one question."""

    question: str
    outcome: Outcome
    confidence: float
    item: engine.Doc | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    message: str = ""
    question_id: str | None = None
    department_name: str = ""
    reply: IntentReply | None = None
    """The platform's own answer, when the question was a platform need (an intent)."""

    @property
    def intent(self) -> Intent | None:
        """The platform need answered (None: an FAQ item, a suggestion or a decline)."""
        return intent_of(self.item.item_id) if self.item and self.answered else None

    @property
    def answered(self) -> bool:
        """Whether one item's answer was given."""
        return self.outcome == Outcome.ANSWERED

    def contract(self) -> dict[str, Any]:
        """The JSON that `ask --json` prints (the contract outside checks use)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "item_id": self.item.item_id if self.item and self.answered else None,
            "source_id": self.item.source_id if self.item and self.answered else None,
            "confidence": round(self.confidence, 4),
            "suggestions": [
                {"item_id": s.item_id, "source_id": s.source_id, "question": s.question}
                for s in self.suggestions
            ],
        }


def decide(
    question: str,
    settings: ChatbotSettings,
    index: engine.AnswerIndex,
    today: date | None = None,
    *,
    query_vector: np.ndarray | None = None,
) -> Answer:
    """Answer, suggest or decline (no logging); with the question's vector, by both channels."""
    cleaned = textmod.clean_question(question)
    when = today or local_today()
    # A platform need is answered only when it ranks first among everything and is sure;
    # otherwise the items are ranked among themselves, as if the needs were not there.
    overall = index.search(cleaned, limit=1, today=when, query_vector=query_vector)
    if (
        overall.candidates
        and intent_of(overall.candidates[0].doc.item_id) is not None
        and overall.confidence >= settings.answer_threshold
    ):
        return Answer(cleaned, Outcome.ANSWERED, overall.confidence, item=overall.candidates[0].doc)
    result = index.search(
        cleaned, limit=3, today=when, query_vector=query_vector, keep=intents.is_item
    )
    if not result.candidates:
        return Answer(cleaned, Outcome.DECLINED, 0.0, message=_decline(settings))
    best = result.candidates[0]
    if result.confidence >= settings.answer_threshold:
        return Answer(
            cleaned,
            Outcome.ANSWERED,
            result.confidence,
            item=best.doc,
            message=best.doc.answer,
            department_name=best.doc.department_name,
        )
    suggestions = [
        Suggestion(c.doc.item_id, c.doc.source_id, c.doc.question) for c in result.candidates[:3]
    ]
    if result.confidence >= settings.suggest_threshold:
        return Answer(
            cleaned,
            Outcome.SUGGESTED,
            result.confidence,
            item=best.doc,
            suggestions=suggestions,
            message="您是不是想問下列問題？ Did you mean one of these?",
            department_name=best.doc.department_name,
        )
    return Answer(cleaned, Outcome.DECLINED, result.confidence, message=_decline(settings))


def decide_needs(
    question: str,
    settings: ChatbotSettings,
    index: engine.AnswerIndex,
    names: Sequence[str],
    today: date | None = None,
    *,
    query_vector: np.ndarray | None = None,
    vector_of: Callable[[str], np.ndarray | None] | None = None,
) -> Answer:
    """`decide`, and when the question names a district, place, road or plate (`names`),
    again without them: the intents' exemplars name no place, and a name they lack would
    otherwise weigh as an unknown word. The second answer wins only if it is a platform need
    answered with more confidence than the first answer had."""
    first = decide(question, settings, index, today, query_vector=query_vector)
    if first.intent is not None or not names:
        return first
    bare = intents.without_names(question, list(names))
    if not bare or bare == question:
        return first
    vector = vector_of(bare) if vector_of is not None and query_vector is not None else None
    second = decide(bare, settings, index, today, query_vector=vector)
    if second.intent is None or second.confidence <= first.confidence:
        return first
    second.question = first.question
    return second


def _decline(settings: ChatbotSettings) -> str:
    helpline = current_city().helpline
    return (
        f"這個問題我還無法回答。請撥打 {helpline.number} {helpline.name_zh}，"
        f"我們也會把您的問題交給相關單位，讓我下次能回答。"
        f" I cannot answer this yet; please call {helpline.number}, the {helpline.name_en}."
    )


def answerable(index: engine.AnswerIndex, item_id: uuid.UUID) -> engine.Doc:
    """An item as the index has it (for a chosen suggestion); retired ones are not answerable."""
    doc = index.docs.get(str(item_id))
    if doc is None:
        raise ItemNotFound("that item is not answerable")
    return doc


def log_question(
    uow: UnitOfWork, answer: Answer, *, channel: Channel, user_ref: str
) -> QuestionLog:
    """Keep the question and its outcome; unsure and declined ones go to triage."""
    row = QuestionLog(
        user_ref=user_ref[:64],
        channel=channel.value,
        text=answer.question[:MAX_QUESTION],
        outcome=answer.outcome.value,
        confidence=float(answer.confidence),
        # A platform need answered is no item's answer; the question is logged all the same.
        item_id=uuid.UUID(answer.item.item_id)
        if answer.item and answer.answered and answer.intent is None
        else None,
        department_code=(answer.item.department_code or "") if answer.item else "",
        triage_state=(TriageState.NONE if answer.answered else TriageState.OPEN).value,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def record_feedback(uow: UnitOfWork, question_id: str, feedback: Feedback) -> QuestionLog:
    """A citizen's thumbs up or down; thumbs-down questions go to triage."""
    row = repo.get_question(uow.session, question_id)
    row.feedback = feedback.value
    if feedback == Feedback.UNHELPFUL and row.triage_state == TriageState.NONE.value:
        row.triage_state = TriageState.OPEN.value
    return row


def pseudonym(platform: Platform, channel: str, user: str) -> str:
    """A stable pseudonym for a person on a channel (no other personal data is kept)."""
    return platform.keys.pseudonym(f"chatbot.{channel}", user)[:32] if user else ""
