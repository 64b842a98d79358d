"""chatbot's logic: the knowledge base, answering, the question log, triage and metrics."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.city import current_city
from smartcity.core.errors import InvalidInput, NotFound, PermissionDenied
from smartcity.core.platform import Platform
from smartcity.core.time import local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import departments, engine
from smartcity.modules.chatbot import text as textmod
from smartcity.modules.chatbot.importer import ItemRecord
from smartcity.modules.chatbot.links import checked as checked_links
from smartcity.modules.chatbot.links import shown as shown_links
from smartcity.modules.chatbot.models import Item, ItemVersion, KbState, QuestionLog, Variant
from smartcity.modules.chatbot.privacy import mask_personal_data
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.chatbot.values import (
    Channel,
    Feedback,
    ItemStatus,
    Outcome,
    TriageState,
    VariantSource,
)
from smartcity.modules.identity.service import get_organisation

INDEX_SERVICE = "chatbot.index"
MAX_QUESTION = 500


def settings_of(platform: Platform) -> ChatbotSettings:
    """chatbot's settings on this platform."""
    found = platform.module_settings.get("chatbot")
    return found if isinstance(found, ChatbotSettings) else ChatbotSettings()


# -- knowledge-base version ------------------------------------------------------------------


def kb_version(session: Session) -> int:
    """The knowledge base's version number (moves on every change)."""
    value = session.scalar(select(KbState.version).where(KbState.id == 1))
    return int(value or 0)


def _bump(session: Session) -> int:
    updated = session.execute(
        update(KbState).where(KbState.id == 1).values(version=KbState.version + 1)
    )
    if getattr(updated, "rowcount", 1) == 0:
        session.add(KbState(id=1, version=1))
        session.flush()
    return kb_version(session)


def _touch(session: Session, item: Item) -> None:
    item.kb_seq = _bump(session)
    item.updated_at = utcnow()


# -- items -----------------------------------------------------------------------------------


def _snapshot(item: Item, variants: Sequence[str]) -> dict[str, Any]:
    return {
        "question": item.question,
        "answer": item.answer,
        "source_id": item.source_id,
        "department_code": item.department_code,
        "department_name": item.department_name,
        "owner_department": item.owner_department,
        "keywords": list(item.keywords or []),
        "links": list(item.links or []),
        "variants": list(variants),
        "valid_from": item.valid_from.isoformat() if item.valid_from else None,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
        "posted_from": item.posted_from.isoformat() if item.posted_from else None,
        "posted_until": item.posted_until.isoformat() if item.posted_until else None,
        "status": item.status,
    }


def citizen_text(text: str) -> str:
    """A citizen's question as it may be stored: one clean line, personal numbers masked."""
    return mask_personal_data(textmod.clean_question(text))


def variants_of(session: Session, item_id: uuid.UUID) -> list[Variant]:
    """The variants of one item, oldest first."""
    return list(
        session.scalars(
            select(Variant).where(Variant.item_id == item_id).order_by(Variant.created_at)
        )
    )


def _record_version(uow: UnitOfWork, item: Item) -> None:
    texts = [v.text for v in variants_of(uow.session, item.id)]
    uow.session.add(
        ItemVersion(
            item_id=item.id,
            version=item.version,
            snapshot=_snapshot(item, texts),
            changed_by=str(uow.actor.name or uow.actor.id or uow.actor.kind)[:100],
        )
    )


def get_item(session: Session, reference: str) -> Item:
    """An item by its id or its source id (`data_id` for imported items)."""
    reference = reference.strip()
    item = None
    with contextlib.suppress(ValueError):
        item = session.get(Item, uuid.UUID(reference))
    if item is None and reference:
        item = session.scalar(select(Item).where(Item.source_id == reference[:64]))
    if item is None:
        raise NotFound(f"no knowledge-base item {reference[:80]}", code="item_not_found")
    return item


def _check_department(principal: Principal, department_code: str | None) -> None:
    """An officer edits only their own department's items."""
    if principal.role == Role.OFFICER and department_code != principal.department:
        raise PermissionDenied(
            "officers edit only their own department's items", code="other_department"
        )


def _department_name(session: Session, code: str | None) -> str:
    if not code:
        return ""
    try:
        return str(get_organisation(session, code).name)
    except NotFound:
        raise InvalidInput(f"no department {code}", code="department_not_found") from None


def create_item(
    uow: UnitOfWork,
    *,
    question: str,
    answer: str,
    department_code: str | None = None,
    department_name: str | None = None,
    keywords: Sequence[str] = (),
    links: Sequence[dict[str, str]] = (),
    variants: Sequence[str] = (),
    source_id: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    posted_from: date | None = None,
    posted_until: date | None = None,
    check_actor: bool = True,
) -> Item:
    """Write a new item (with its first version) and make it answerable at once."""
    question = textmod.clean_question(question)
    if not question or not answer.strip():
        raise InvalidInput("an item needs a question and an answer", code="item_incomplete")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput("valid_until is before valid_from", code="invalid_dates")
    if check_actor:
        _check_department(uow.actor, department_code)
    if source_id and uow.session.scalar(select(Item.id).where(Item.source_id == source_id)):
        raise InvalidInput(f"an item with source id {source_id} exists", code="duplicate_source")
    name = department_name if department_name is not None else ""
    if department_code and not name:
        name = _department_name(uow.session, department_code)
    item = Item(
        question=question,
        answer=answer.strip(),
        source_id=source_id or None,
        department_code=department_code,
        department_name=name,
        owner_department=department_code,
        keywords=[k.strip() for k in keywords if k.strip()][:20],
        links=checked_links(links),
        valid_from=valid_from,
        valid_until=valid_until,
        posted_from=posted_from,
        posted_until=posted_until,
        status=ItemStatus.ACTIVE.value,
        version=1,
    )
    uow.session.add(item)
    uow.session.flush()
    for text in dict.fromkeys(citizen_text(v) for v in variants):
        if text and text != question:
            uow.session.add(Variant(item_id=item.id, text=text, source=VariantSource.STAFF.value))
    _touch(uow.session, item)
    uow.session.flush()
    _record_version(uow, item)
    uow.audit("chatbot.item.created", "chatbot_item", item.id, {"question": question})
    return item


def update_item(uow: UnitOfWork, item: Item, changes: dict[str, Any]) -> Item:
    """Change an item's fields; a new version is kept."""
    _check_department(uow.actor, item.department_code)
    allowed = {
        "question",
        "answer",
        "department_code",
        "keywords",
        "links",
        "valid_from",
        "valid_until",
        "status",
    }
    applied: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in allowed or value is None:
            continue
        if key == "question":
            value = textmod.clean_question(value)
            if not value:
                raise InvalidInput("the question is empty", code="item_incomplete")
        if key == "answer" and not str(value).strip():
            raise InvalidInput("the answer is empty", code="item_incomplete")
        if key == "status":
            value = ItemStatus(value).value
        if key == "links":
            value = checked_links(value)
        if key == "department_code":
            _check_department(uow.actor, value)
            item.department_name = _department_name(uow.session, value)
        if getattr(item, key) != value:
            setattr(item, key, value)
            applied[key] = value if not isinstance(value, date) else value.isoformat()
    if item.valid_from and item.valid_until and item.valid_until < item.valid_from:
        raise InvalidInput("valid_until is before valid_from", code="invalid_dates")
    if not applied:
        return item
    item.version += 1
    _touch(uow.session, item)
    uow.session.flush()
    _record_version(uow, item)
    uow.audit("chatbot.item.updated", "chatbot_item", item.id, applied)
    return item


def add_variant(
    uow: UnitOfWork, item: Item, text: str, source: VariantSource = VariantSource.STAFF
) -> Variant | None:
    """Attach a citizen's phrasing to an item; None when it is already there."""
    if source == VariantSource.STAFF:
        _check_department(uow.actor, item.department_code)
    cleaned = citizen_text(text)
    if not cleaned:
        raise InvalidInput("the question is empty", code="empty_question")
    if item.status != ItemStatus.ACTIVE.value:
        raise InvalidInput("the item is retired", code="item_retired")
    exists = uow.session.scalar(
        select(Variant.id).where(Variant.item_id == item.id, Variant.text == cleaned)
    )
    if exists or cleaned == item.question:
        return None
    variant = Variant(item_id=item.id, text=cleaned, source=source.value)
    uow.session.add(variant)
    item.version += 1
    _touch(uow.session, item)
    uow.session.flush()
    _record_version(uow, item)
    uow.audit(
        "chatbot.variant.added", "chatbot_item", item.id, {"text": cleaned, "source": source.value}
    )
    return variant


def item_versions(session: Session, item_id: uuid.UUID) -> list[ItemVersion]:
    """An item's history, newest first."""
    return list(
        session.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item_id)
            .order_by(ItemVersion.version.desc())
        )
    )


def list_items(
    session: Session, *, search: str | None = None, department: str | None = None, limit: int = 50
) -> list[Item]:
    """Items for the editor, newest change first."""
    query = select(Item).order_by(Item.updated_at.desc()).limit(limit)
    if department:
        query = query.where(Item.department_code == department)
    if search:
        like = f"%{search}%"
        query = query.where(Item.question.like(like) | (Item.source_id == search))
    return list(session.scalars(query))


def count_items(session: Session) -> int:
    """How many items the knowledge base holds."""
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)


# -- import and export ------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    mapped_departments: int = 0


def import_records(uow: UnitOfWork, records: Sequence[ItemRecord]) -> ImportReport:
    """Create or update items by source id, all in the caller's one transaction."""
    report = ImportReport()
    known_codes: dict[str, str | None] = {}
    existing = {
        item.source_id: item
        for item in uow.session.scalars(select(Item).where(Item.source_id.is_not(None)))
    }

    def code_for(record: ItemRecord) -> str | None:
        code = record.department_code or departments.code_for(record.department_name)
        if code is None:
            return None
        if code not in known_codes:
            try:
                get_organisation(uow.session, code)
                known_codes[code] = code
            except NotFound:
                known_codes[code] = None
        return known_codes[code]

    for record in records:
        code = code_for(record)
        report.mapped_departments += code is not None
        found = existing.get(record.source_id) if record.source_id else None
        if found is None:
            created = create_item(
                uow,
                question=record.question,
                answer=record.answer,
                department_code=code,
                department_name=record.department_name,
                keywords=record.keywords,
                links=record.links,
                variants=record.variants,
                source_id=record.source_id,
                valid_from=record.valid_from,
                valid_until=record.valid_until,
                posted_from=record.posted_from,
                posted_until=record.posted_until,
                check_actor=False,
            )
            if record.source_id:
                existing[record.source_id] = created
            report.created += 1
            continue
        fields = {
            "question": record.question,
            "answer": record.answer,
            "keywords": record.keywords,
            "links": checked_links(record.links),
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
            "posted_from": record.posted_from,
            "posted_until": record.posted_until,
        }
        # A file without validity dates (the city's XML has none) keeps those staff set.
        for key in ("valid_from", "valid_until"):
            if fields[key] is None:
                del fields[key]
        changed = {k: v for k, v in fields.items() if getattr(found, k) != v}
        if found.department_name != record.department_name and record.department_name:
            found.department_name = record.department_name
            found.department_code = code
            changed["department_name"] = record.department_name
        if changed:
            for key, value in changed.items():
                setattr(found, key, value)
            found.version += 1
            _touch(uow.session, found)
            uow.session.flush()
            _record_version(uow, found)
            uow.audit(
                "chatbot.item.updated", "chatbot_item", found.id, {"imported": sorted(changed)}
            )
            report.updated += 1
        else:
            report.unchanged += 1
        for variant in record.variants:
            add_variant(uow, found, variant, VariantSource.IMPORTED)
    return report


def export_jsonl(session: Session) -> Iterator[str]:
    """Every item as one JSON line (the format `import --format jsonl` reads)."""
    variants: dict[uuid.UUID, list[str]] = {}
    for variant in session.scalars(select(Variant).order_by(Variant.created_at)):
        variants.setdefault(variant.item_id, []).append(variant.text)
    for item in session.scalars(select(Item).order_by(Item.created_at, Item.id)):
        row = {"item_id": str(item.id), **_snapshot(item, variants.get(item.id, []))}
        yield json.dumps(row, ensure_ascii=False)


# -- the index -------------------------------------------------------------------------------


class IndexHolder:
    """A platform's answering index, refreshed when the knowledge-base version moves."""

    def __init__(
        self,
        home_places: Sequence[str] | None = None,
        districts: Sequence[str] | None = None,
    ) -> None:
        self.index = engine.AnswerIndex(home_places, districts)
        self._lock = threading.Lock()
        self.last_refresh_seconds = 0.0

    def refresh(self, session: Session) -> engine.AnswerIndex:
        """Bring the index up to the stored version (only the changed items are re-read)."""
        version = kb_version(session)
        if version == self.index.version:
            return self.index
        with self._lock:
            if version == self.index.version:
                return self.index
            started = time.perf_counter()
            since = self.index.version
            items = list(session.scalars(select(Item).where(Item.kb_seq > since)))
            ids = [item.id for item in items]
            variants: dict[uuid.UUID, list[str]] = {}
            for chunk in range(0, len(ids), 500):
                for variant in session.scalars(
                    select(Variant).where(Variant.item_id.in_(ids[chunk : chunk + 500]))
                ):
                    variants.setdefault(variant.item_id, []).append(variant.text)
            active = [item for item in items if item.status == ItemStatus.ACTIVE.value]
            self.index.remove(str(item.id) for item in items if item not in active)
            self.index.upsert(doc_of(item, variants.get(item.id, [])) for item in active)
            self.index.rebuild()
            self.index.version = version
            self.last_refresh_seconds = time.perf_counter() - started
        return self.index


def doc_of(item: Item, variants: Sequence[str]) -> engine.Doc:
    """What the index keeps of an item."""
    return engine.Doc(
        item_id=str(item.id),
        question=item.question,
        answer=item.answer,
        source_id=item.source_id,
        department_code=item.department_code,
        department_name=item.department_name,
        keywords=list(item.keywords or []),
        variants=list(variants),
        links=shown_links(item.links or []),
        valid_from=item.valid_from,
        valid_until=item.valid_until,
    )


def index_of(platform: Platform) -> IndexHolder:
    """The platform's index holder (made on first use)."""
    holder = platform.services.get(INDEX_SERVICE)
    if holder is None:
        settings = settings_of(platform)
        holder = platform.services.setdefault(
            INDEX_SERVICE,
            IndexHolder(
                settings.home_places.split(",") if settings.home_places else None,
                settings.districts.split(",") if settings.districts else None,
            ),
        )
    if not isinstance(holder, IndexHolder):
        raise TypeError("the IndexHolder service has the wrong type")
    return holder


# -- answering -------------------------------------------------------------------------------


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
    question: str, settings: ChatbotSettings, index: engine.AnswerIndex, today: date | None = None
) -> Answer:
    """Answer, suggest or decline (no logging)."""
    cleaned = textmod.clean_question(question)
    result = index.search(cleaned, limit=3, today=today or local_today())
    if not result.candidates:
        return Answer(cleaned, Outcome.DECLINED, 0.0, message=_decline(settings, ""))
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
    return Answer(
        cleaned,
        Outcome.DECLINED,
        result.confidence,
        message=_decline(settings, ""),
    )


def _decline(settings: ChatbotSettings, department: str) -> str:
    where = f"，或洽{department}" if department else ""
    helpline = current_city().helpline
    return (
        f"這個問題我還無法回答。請撥打 {helpline.number} {helpline.name_zh}{where}，"
        f"我們也會把您的問題交給相關單位，讓我下次能回答。"
        f" I cannot answer this yet; please call {helpline.number}, the {helpline.name_en}."
    )


def ask(
    platform: Platform,
    question: str,
    *,
    channel: Channel,
    user_ref: str = "",
    log: bool = True,
) -> Answer:
    """Answer a question with the freshest knowledge base, and log it for the learning loop."""
    cleaned = citizen_text(question)
    if not cleaned:
        raise InvalidInput("the question is empty", code="empty_question")
    session = platform.db.read_session()
    try:
        index = index_of(platform).refresh(session)
    finally:
        session.close()
    answer = decide(cleaned, settings_of(platform), index)
    if log:
        from smartcity.core.auth import system_actor

        with platform.unit_of_work(system_actor("chatbot")) as uow:
            row = log_question(uow, answer, channel=channel, user_ref=user_ref)
            answer.question_id = str(row.id)
    return answer


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
        item_id=uuid.UUID(answer.item.item_id) if answer.item and answer.answered else None,
        department_code=(answer.item.department_code or "") if answer.item else "",
        triage_state=(TriageState.NONE if answer.answered else TriageState.OPEN).value,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def pseudonym(platform: Platform, channel: str, user: str) -> str:
    """A stable pseudonym for a person on a channel (no other personal data is kept)."""
    return platform.keys.pseudonym(f"chatbot.{channel}", user)[:32] if user else ""


def answer_item(platform: Platform, reference: str) -> engine.Doc:
    """An item as the index has it (for a chosen suggestion)."""
    session = platform.db.read_session()
    try:
        index = index_of(platform).refresh(session)
        item = get_item(session, reference)
    finally:
        session.close()
    doc = index.docs.get(str(item.id))
    if doc is None:
        raise NotFound("that item is not answerable", code="item_not_found")
    return doc


def record_feedback(uow: UnitOfWork, question_id: str, feedback: Feedback) -> QuestionLog:
    """A citizen's thumbs up or down; thumbs-down questions go to triage."""
    row = _question(uow.session, question_id)
    row.feedback = feedback.value
    if feedback == Feedback.UNHELPFUL and row.triage_state == TriageState.NONE.value:
        row.triage_state = TriageState.OPEN.value
    return row


def _question(session: Session, question_id: str) -> QuestionLog:
    try:
        row = session.get(QuestionLog, uuid.UUID(str(question_id)))
    except ValueError:
        row = None
    if row is None:
        raise NotFound("no such question", code="question_not_found")
    return row


# -- learning loop ---------------------------------------------------------------------------


def teach(uow: UnitOfWork, question: str, item_reference: str) -> tuple[Item, bool]:
    """Attach a question to an item as a variant; open triage entries of it are resolved."""
    item = get_item(uow.session, item_reference)
    added = add_variant(uow, item, question, VariantSource.TAUGHT)
    cleaned = citizen_text(question)
    for row in uow.session.scalars(
        select(QuestionLog).where(
            QuestionLog.text == cleaned, QuestionLog.triage_state == TriageState.OPEN.value
        )
    ):
        row.triage_state = TriageState.RESOLVED.value
        row.resolved_item_id = item.id
    return item, added is not None


def resolve_question(uow: UnitOfWork, question_id: str, item_reference: str) -> Item:
    """Staff attach a logged question to an item (it becomes a variant)."""
    row = _question(uow.session, question_id)
    _check_triage_access(uow.actor, row)
    item, _added = teach(uow, row.text, item_reference)
    row.triage_state = TriageState.RESOLVED.value
    row.resolved_item_id = item.id
    uow.audit("chatbot.question.resolved", "chatbot_question", row.id, {"item_id": str(item.id)})
    return item


@dataclass
class MaskReport:
    """What masking the stored text changed."""

    questions: int = 0
    variants: int = 0
    merged_variants: int = 0
    versions: int = 0
    items: int = 0


def mask_stored_personal_data(uow: UnitOfWork) -> MaskReport:
    """Mask personal numbers in questions and variants stored before they were masked on entry.

    Two variants of one item can become the same text once masked: the later one goes. Each
    item whose variants changed gets a new version, so the index and the history follow.
    """
    session = uow.session
    report = MaskReport()
    for row in session.scalars(select(QuestionLog).execution_options(yield_per=1000)):
        masked = mask_personal_data(row.text)
        if masked != row.text:
            row.text = masked
            report.questions += 1
    changed_items: set[uuid.UUID] = set()
    seen: set[tuple[uuid.UUID, str]] = set()
    renamed: list[tuple[Variant, str]] = []
    for variant in session.scalars(select(Variant).order_by(Variant.created_at, Variant.id)):
        masked = mask_personal_data(variant.text)
        if (variant.item_id, masked) in seen:
            session.delete(variant)
            report.merged_variants += 1
            changed_items.add(variant.item_id)
        else:
            seen.add((variant.item_id, masked))
            if masked != variant.text:
                renamed.append((variant, masked))
                changed_items.add(variant.item_id)
    session.flush()  # duplicates go first: (item, text) is unique
    for variant, masked in renamed:
        variant.text = masked
    report.variants = len(renamed)
    for version in session.scalars(select(ItemVersion).execution_options(yield_per=1000)):
        before = list(version.snapshot.get("variants") or [])
        after = list(dict.fromkeys(mask_personal_data(str(text)) for text in before))
        if after != before:
            version.snapshot = {**version.snapshot, "variants": after}
            report.versions += 1
    session.flush()
    for item_id in sorted(changed_items):
        item = session.get(Item, item_id)
        if item is None:
            continue
        item.version += 1
        _touch(session, item)
        session.flush()
        _record_version(uow, item)
    report.items = len(changed_items)
    if report.questions or changed_items or report.versions:
        uow.audit(
            "chatbot.personal_data.masked",
            "chatbot_kb",
            "stored-text",
            {
                "questions": report.questions,
                "variants": report.variants,
                "merged_variants": report.merged_variants,
                "versions": report.versions,
            },
        )
    return report


def ignore_question(uow: UnitOfWork, question_id: str) -> QuestionLog:
    """Staff decide a logged question needs no answer."""
    row = _question(uow.session, question_id)
    _check_triage_access(uow.actor, row)
    row.triage_state = TriageState.IGNORED.value
    uow.audit("chatbot.question.ignored", "chatbot_question", row.id, {})
    return row


def _check_triage_access(principal: Principal, row: QuestionLog) -> None:
    if principal.role == Role.OFFICER and row.department_code not in ("", principal.department):
        raise PermissionDenied(
            "this question belongs to another department", code="other_department"
        )


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
    query = (
        select(QuestionLog)
        .where(QuestionLog.triage_state == TriageState.OPEN.value)
        .order_by(QuestionLog.asked_at.desc())
        .limit(limit)
    )
    if principal.role == Role.OFFICER:
        query = query.where(QuestionLog.department_code.in_(["", principal.department or ""]))
    elif department is not None:
        query = query.where(QuestionLog.department_code == department)
    return cluster_questions(list(session.scalars(query)))


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
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(
            QuestionLog.department_code,
            QuestionLog.outcome,
            QuestionLog.feedback,
            func.count(),
        )
        .where(QuestionLog.asked_at >= since)
        .group_by(QuestionLog.department_code, QuestionLog.outcome, QuestionLog.feedback)
    ).all()
    overall = DepartmentMetrics("")
    by_department: dict[str, DepartmentMetrics] = {}
    for code, outcome, feedback, count in rows:
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
        items=count_items(session),
        kb_version=kb_version(session),
    )
