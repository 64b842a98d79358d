"""One transaction per change, its audit entry inside it, events only after commit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import system_actor
from smartcity.core.events import Event
from smartcity.core.jobs.worker import Worker
from smartcity.core.meta import Meta, get_meta
from smartcity.core.platform import Platform
from smartcity.core.uow import UnauditedChange


@dataclass(frozen=True)
class Happened(Event):
    value: str


def _count(platform: Platform) -> int:
    session = platform.db.read_session()
    try:
        return platform.log.count(session)
    finally:
        session.close()


def test_a_change_without_an_audit_entry_is_refused(platform: Platform) -> None:
    with pytest.raises(UnauditedChange), platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="k", value="v"))
    session = platform.db.read_session()
    assert get_meta(session, "k") is None
    session.close()


def test_events_follow_commit_and_vanish_with_rollback(platform: Platform) -> None:
    seen: list[str] = []
    platform.jobs.add_task("test.happened", lambda _platform, event: seen.append(event.value))
    platform.jobs.subscribe(Happened, "test.happened")
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="a", value="1"))
        uow.audit("test.changed", "meta", "a", {"value": "1"})
        uow.emit(Happened("committed"))
    assert seen == []  # delivered by the worker, not by the request
    Worker(platform).run_ready()
    assert seen == ["committed"]

    with pytest.raises(RuntimeError), platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="b", value="2"))
        uow.audit("test.changed", "meta", "b", {})
        uow.emit(Happened("rolled back"))
        raise RuntimeError("the request failed")
    Worker(platform).run_ready()
    assert seen == ["committed"]
    session = platform.db.read_session()
    assert get_meta(session, "b") is None
    session.close()


def test_audit_entries_commit_with_their_change_or_not_at_all(platform: Platform) -> None:
    before = _count(platform)
    with pytest.raises(RuntimeError), platform.unit_of_work(system_actor("t")) as uow:
        uow.audit("test.changed", "meta", "x", {})
        raise RuntimeError("boom")
    assert _count(platform) == before
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="c", value="3"))
        uow.audit("test.changed", "meta", "c", {"value": "3"})
    session = platform.db.read_session()
    entry = session.execute(select(AuditEntry).order_by(AuditEntry.index.desc())).scalars().first()
    assert entry is not None and entry.action == "test.changed" and entry.index == before
    session.close()


def test_a_failing_subscriber_does_not_undo_the_commit(platform: Platform) -> None:
    def broken(_platform: Platform, event: Event) -> None:
        raise ValueError("handler bug")

    platform.jobs.add_task("test.broken", broken)
    platform.jobs.subscribe(Happened, "test.broken")
    with platform.unit_of_work(system_actor("t")) as uow:
        uow.session.add(Meta(key="d", value="4"))
        uow.audit("test.changed", "meta", "d", {})
        uow.emit(Happened("x"))
    Worker(platform).run_ready()
    session = platform.db.read_session()
    assert get_meta(session, "d") == "4"
    session.close()
