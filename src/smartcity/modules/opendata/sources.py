"""Keeping the harvest sources: list them with their runs, change a source's URL, switch it
off and on (the harvest console's logic; the harvest itself is `harvest.py`).

Whether a source is switched off is kept in the kernel's `core_meta` under the source's id,
so that no opendata migration is needed for it; a harvest of every source leaves it out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core import outbound
from smartcity.core.meta import Meta, get_meta, set_meta
from smartcity.core.time import isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.opendata.errors import SourceNameTaken, SourceNotFound
from smartcity.modules.opendata.models import HarvestRun, HarvestSource

RUNS_SHOWN = 20
"""A source's newest runs the console lists."""
REPORT_KEYS = ("added", "updated", "deleted", "skipped")


def _off_key(source_id: uuid.UUID) -> str:
    return f"opendata.harvest_off:{source_id.hex}"


@dataclass(frozen=True)
class Run:
    """One run as the console shows it: when, how it ended, what it changed or why it failed."""

    started_at: datetime
    finished_at: datetime
    status: str
    changes: dict[str, list[str]]
    error: str


@dataclass(frozen=True)
class Source:
    """A harvest source with its state and newest runs."""

    id: uuid.UUID
    name: str
    url: str
    enabled: bool
    runs: list[Run]


def _run(row: HarvestRun) -> Run:
    report: dict[str, Any] = row.report or {}
    changes = {
        key: [str(name) for name in report.get(key) or []]
        for key in REPORT_KEYS
        if isinstance(report.get(key), list)
    }
    return Run(row.started_at, row.finished_at, row.status, changes, str(report.get("error", "")))


def enabled(session: Session, source_id: uuid.UUID) -> bool:
    """Whether the scheduled harvest takes this source."""
    return get_meta(session, _off_key(source_id)) is None


def enabled_names(session: Session) -> list[str]:
    """The names of the sources the scheduled harvest takes, in name order."""
    off = set(session.scalars(select(Meta.key).where(Meta.key.like("opendata.harvest_off:%"))))
    return [
        source.name
        for source in session.scalars(select(HarvestSource).order_by(HarvestSource.name))
        if _off_key(source.id) not in off
    ]


def _source_row(session: Session, name: str) -> HarvestSource:
    row = session.scalars(select(HarvestSource).where(HarvestSource.name == name)).first()
    if row is None:
        raise SourceNotFound(f"no harvest source {name!r}")
    return row


def _runs(session: Session, source_id: uuid.UUID, limit: int) -> list[Run]:
    rows = session.scalars(
        select(HarvestRun)
        .where(HarvestRun.source_id == source_id)
        .order_by(HarvestRun.started_at.desc())
        .limit(limit)
    )
    return [_run(row) for row in rows]


def list_sources(session: Session) -> list[Source]:
    """Every source with its newest run."""
    return [
        Source(row.id, row.name, row.url, enabled(session, row.id), _runs(session, row.id, 1))
        for row in session.scalars(select(HarvestSource).order_by(HarvestSource.name))
    ]


def get_source(session: Session, name: str) -> Source:
    """One source with its newest runs."""
    row = _source_row(session, name)
    return Source(
        row.id, row.name, row.url, enabled(session, row.id), _runs(session, row.id, RUNS_SHOWN)
    )


def require_free_name(session: Session, name: str) -> None:
    """Refuse a new source's name that another source has (409, not the database's error)."""
    if session.scalars(select(HarvestSource.id).where(HarvestSource.name == name)).first():
        raise SourceNameTaken(f"a harvest source is already called {name!r}")


def change_url(uow: UnitOfWork, name: str, url: str, *, allow_private: bool) -> None:
    """Point a source at another address (the same catalogue moved, say)."""
    row = _source_row(uow.session, name)
    outbound.check_url(url, allow_private=allow_private)
    before = row.url
    row.url = url.rstrip("/")
    uow.audit(
        "opendata.harvest_source.updated",
        "harvest_source",
        row.id,
        {"name": name, "url": {"from": before, "to": row.url}},
    )


def switch(uow: UnitOfWork, name: str, *, on: bool) -> None:
    """Switch a source off (the scheduled harvest leaves it out) or back on."""
    row = _source_row(uow.session, name)
    key = _off_key(row.id)
    found = uow.session.get(Meta, key)
    if on and found is not None:
        uow.session.delete(found)
    elif not on and found is None:
        set_meta(uow.session, key, isoformat_z(utcnow()))
    else:
        return
    action = "opendata.harvest_source.enabled" if on else "opendata.harvest_source.disabled"
    uow.audit(action, "harvest_source", row.id, {"name": name})
