"""The knowledge base: items, their phrasings (variants) and versions, import, export, masking."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

import smartcity.modules.search.service as search
from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for
from smartcity.core.errors import NotFound
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import departments, engine
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot import text as textmod
from smartcity.modules.chatbot.errors import (
    DepartmentNotFound,
    DuplicateSource,
    EmptyQuestion,
    InvalidDates,
    ItemIncomplete,
    ItemRetired,
    OtherDepartment,
)
from smartcity.modules.chatbot.importer import ItemRecord
from smartcity.modules.chatbot.links import checked as checked_links
from smartcity.modules.chatbot.models import Item, ItemVersion, Variant
from smartcity.modules.chatbot.privacy import mask_personal_data
from smartcity.modules.chatbot.values import ItemStatus, VariantSource
from smartcity.modules.identity.service import get_organisation


@dataclass(frozen=True)
class ItemView:
    """An item with its phrasings, as edges show it."""

    item_id: str
    source_id: str | None
    question: str
    answer: str
    department_code: str | None
    department_name: str
    keywords: list[str]
    links: list[dict[str, str]]
    variants: list[str]
    valid_from: date | None
    valid_until: date | None
    posted_from: date | None
    posted_until: date | None
    status: str
    version: int


def view_of(session: Session, item: Item) -> ItemView:
    """`item` with its variants, oldest first."""
    return ItemView(
        item_id=str(item.id),
        source_id=item.source_id,
        question=item.question,
        answer=item.answer,
        department_code=item.department_code,
        department_name=item.department_name,
        keywords=list(item.keywords or []),
        links=list(item.links or []),
        variants=[v.text for v in repo.variants_of(session, item.id)],
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        posted_from=item.posted_from,
        posted_until=item.posted_until,
        status=item.status,
        version=item.version,
    )


def citizen_text(text: str) -> str:
    """A citizen's question as it may be stored: one clean line, personal numbers masked."""
    return mask_personal_data(textmod.clean_question(text))


def check_department(principal: Principal, department_code: str | None) -> None:
    """An officer edits only their own department's items."""
    if not acts_for(principal, department_code):
        raise OtherDepartment("officers edit only their own department's items")


def _touch(session: Session, item: Item) -> None:
    item.kb_seq = repo.bump_kb_version(session)
    item.updated_at = utcnow()


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


def _record_version(uow: UnitOfWork, item: Item) -> None:
    texts = [v.text for v in repo.variants_of(uow.session, item.id)]
    # The item's phrasings are matched by meaning once embedded, after this commit.
    search.request_embeddings(uow, [item.question, *texts], search.TextKind.QUERY)
    passage = engine.passage_of(engine.Doc(str(item.id), item.question, item.answer))
    search.request_embeddings(uow, [passage], search.TextKind.PASSAGE)
    uow.session.add(
        ItemVersion(
            item_id=item.id,
            version=item.version,
            snapshot=_snapshot(item, texts),
            changed_by=str(uow.actor.name or uow.actor.id or uow.actor.kind)[:100],
        )
    )


def _new_version(uow: UnitOfWork, item: Item) -> None:
    """Number the item's change, move the index's version and keep the snapshot."""
    item.version += 1
    _touch(uow.session, item)
    uow.session.flush()
    _record_version(uow, item)


def _department_name(session: Session, code: str | None) -> str:
    if not code:
        return ""
    try:
        return str(get_organisation(session, code).name)
    except NotFound:
        raise DepartmentNotFound(f"no department {code}") from None


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
        raise ItemIncomplete("an item needs a question and an answer")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidDates("valid_until is before valid_from")
    if check_actor:
        check_department(uow.actor, department_code)
    if source_id and repo.has_source(uow.session, source_id):
        raise DuplicateSource(f"an item with source id {source_id} exists")
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


EDITABLE = frozenset(
    {
        "question",
        "answer",
        "department_code",
        "keywords",
        "links",
        "valid_from",
        "valid_until",
        "status",
    }
)
"""The fields staff may change through `update_item`."""


def update_item(uow: UnitOfWork, item: Item, changes: dict[str, Any]) -> Item:
    """Change an item's fields; a new version is kept."""
    check_department(uow.actor, item.department_code)
    applied: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE or value is None:
            continue
        if key == "question":
            value = textmod.clean_question(value)
            if not value:
                raise ItemIncomplete("the question is empty")
        if key == "answer" and not str(value).strip():
            raise ItemIncomplete("the answer is empty")
        if key == "status":
            value = ItemStatus(value).value
        if key == "links":
            value = checked_links(value)
        if key == "department_code":
            check_department(uow.actor, value)
            item.department_name = _department_name(uow.session, value)
        if getattr(item, key) != value:
            setattr(item, key, value)
            applied[key] = value if not isinstance(value, date) else value.isoformat()
    if item.valid_from and item.valid_until and item.valid_until < item.valid_from:
        raise InvalidDates("valid_until is before valid_from")
    if not applied:
        return item
    _new_version(uow, item)
    uow.audit("chatbot.item.updated", "chatbot_item", item.id, applied)
    return item


def add_variant(
    uow: UnitOfWork, item: Item, text: str, source: VariantSource = VariantSource.STAFF
) -> Variant | None:
    """Attach a citizen's phrasing to an item; None when it is already there."""
    if source == VariantSource.STAFF:
        check_department(uow.actor, item.department_code)
    cleaned = citizen_text(text)
    if not cleaned:
        raise EmptyQuestion("the question is empty")
    if item.status != ItemStatus.ACTIVE.value:
        raise ItemRetired("the item is retired")
    if cleaned == item.question or repo.has_variant(uow.session, item.id, cleaned):
        return None
    variant = Variant(item_id=item.id, text=cleaned, source=source.value)
    uow.session.add(variant)
    _new_version(uow, item)
    uow.audit(
        "chatbot.variant.added", "chatbot_item", item.id, {"text": cleaned, "source": source.value}
    )
    return variant


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
    existing = repo.items_by_source(uow.session)

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
            _new_version(uow, found)
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
    variants = repo.variant_texts(session)
    for item in repo.items_in_export_order(session):
        row = {"item_id": str(item.id), **_snapshot(item, variants.get(item.id, []))}
        yield json.dumps(row, ensure_ascii=False)


# -- masking what was stored before masking on entry -----------------------------------------


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
    for row in repo.all_questions(session):
        masked = mask_personal_data(row.text)
        if masked != row.text:
            row.text = masked
            report.questions += 1
    changed_items: set[uuid.UUID] = set()
    seen: set[tuple[uuid.UUID, str]] = set()
    renamed: list[tuple[Variant, str]] = []
    for variant in repo.all_variants(session):
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
    for version in repo.all_versions(session):
        before = list(version.snapshot.get("variants") or [])
        after = list(dict.fromkeys(mask_personal_data(str(text)) for text in before))
        if after != before:
            version.snapshot = {**version.snapshot, "variants": after}
            report.versions += 1
    session.flush()
    for item_id in sorted(changed_items):
        item = repo.item_by_id(session, item_id)
        if item is None:
            continue
        _new_version(uow, item)
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
