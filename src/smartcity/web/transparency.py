"""The transparency log for people: the public entries page by page, and a person's own entries.

Entries are shown by what happened, in the reader's language (each module's catalogue names its
audit actions), never by who or what: the public side of the log holds no more (ADR 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.audit.models import AuditEntry
from smartcity.core.i18n import SHELL_DOMAIN

PAGE_SIZE = 25
GENERIC_ACTION = "A change"
"""What an entry is called when its module has no name for its action."""


@dataclass(frozen=True)
class Shown:
    """One entry as a page lists it."""

    index: int
    occurred_at: datetime
    name: str
    module: str


@dataclass(frozen=True)
class Page:
    """Entries newest first, with where the next (older) page starts."""

    entries: list[Shown]
    older: int | None


def domain_of(action: str) -> str:
    """The catalogue that names an action: its module's, or the shell's for `core.*`."""
    prefix = action.split(".", 1)[0]
    return SHELL_DOMAIN if prefix == "core" else prefix


def name_of(action: str, translate: Callable[[str, str], str]) -> str:
    """An action's name in the reader's language (a generic one if its module has none)."""
    named = translate(domain_of(action), action)
    return named if named != action else translate(SHELL_DOMAIN, GENERIC_ACTION)


def _page(session: Session, query: object, translate: Callable[[str, str], str], size: int) -> Page:
    rows: Sequence[AuditEntry] = list(session.execute(query).scalars())  # type: ignore[call-overload]
    older = rows[size - 1].index if len(rows) > size else None
    shown = [
        Shown(row.index, row.occurred_at, name_of(row.action, translate), domain_of(row.action))
        for row in rows[:size]
    ]
    return Page(shown, older)


def public_page(
    session: Session,
    translate: Callable[[str, str], str],
    *,
    before: int | None = None,
    module: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A page of the log, newest first, optionally of one module's actions."""
    query = select(AuditEntry).order_by(AuditEntry.index.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEntry.index < before)
    if module:
        query = query.where(AuditEntry.action.startswith(f"{module}.", autoescape=True))
    return _page(session, query, translate, size)


def entries_by(
    session: Session,
    person: str,
    translate: Callable[[str, str], str],
    *,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A page of the entries of what a person did, newest first (the actor is indexed; the
    object is not, and a scan of the whole log per page view is not affordable)."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.actor_id == person)
        .order_by(AuditEntry.index.desc())
        .limit(size + 1)
    )
    if before is not None:
        query = query.where(AuditEntry.index < before)
    return _page(session, query, translate, size)
