"""Writers queue their audit entries; the sequencer makes each one a leaf exactly once (ADR 7)."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from smartcity.core.audit.log import PendingEntry, TransparencyLog
from smartcity.core.auth import system_actor
from smartcity.core.meta import Meta
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from tests.support.concurrency import run_in_threads


def _head_size(platform: Platform) -> int:
    session = platform.db.read_session()
    try:
        return platform.log.head(session).tree_size
    finally:
        session.close()


def test_entries_of_concurrent_transactions_become_leaves_exactly_once(
    platform: Platform,
) -> None:
    # Two logs on one database stand for two server processes: each has its own
    # in-process guard, so they meet only at the database's head-row lock.
    logs = [platform.log, TransparencyLog(platform.keys, platform.log.origin)]
    writers, each = 8, 10

    def write(worker: int) -> None:
        for step in range(each):
            uow = UnitOfWork(
                platform.db.write_session(),
                logs[worker % 2],
                platform.jobs,
                system_actor(f"w{worker}"),
            )
            with uow:
                uow.session.add(Meta(key=f"q{worker}-{step}", value="x"))
                uow.audit("test.queued", "meta", f"q{worker}-{step}", {"step": step})
                uow.audit("test.queued.second", "meta", f"q{worker}-{step}", {})

    run_in_threads(write, writers)

    session = platform.db.read_session()
    try:
        assert not platform.log.pending(session), "a committed entry was left in the queue"
        head = platform.log.head(session)
        entries = platform.log.entries(session, 0, head.tree_size)
        queued = [e for e in entries if e.action.startswith("test.queued")]
        assert len(queued) == writers * each * 2 == head.tree_size - (len(entries) - len(queued))
        objects = [e.object_id for e in queued if e.action == "test.queued"]
        assert sorted(objects) == sorted(f"q{w}-{s}" for w in range(writers) for s in range(each))
        # One transaction's entries stay together and in the order it audited them.
        for first, second in zip(queued[::2], queued[1::2], strict=True):
            assert first.action == "test.queued" and second.action == "test.queued.second"
            assert second.index == first.index + 1 and second.object_id == first.object_id
        assert platform.log.verify(session) == []
        root = head.root_hash
    finally:
        session.close()
    # Sequencing again finds nothing to do: the order, once given, is final.
    writer = platform.db.write_session()
    try:
        assert platform.log.sequence(writer) == 0
    finally:
        writer.close()
    session = platform.db.read_session()
    try:
        assert platform.log.head(session).root_hash == root
    finally:
        session.close()


def _crash_after_commit(platform: Platform, key: str) -> None:
    """Commit a change with its queued entry, as if the process died before sequencing."""
    session = platform.db.write_session()
    try:
        session.add(Meta(key=key, value="x"))
        platform.log.enqueue(
            session,
            [PendingEntry(utcnow(), "system", "test", "test.crashed", "meta", key, "r", "{}")],
        )
        session.commit()
    finally:
        session.close()


def test_a_crash_between_commit_and_sequencing_is_caught_up_by_verify(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartcity.cli import build_cli

    before = _head_size(platform)
    _crash_after_commit(platform, "crashed-1")
    _crash_after_commit(platform, "crashed-2")
    assert _head_size(platform) == before

    monkeypatch.setenv("SMARTCITY_DATABASE_URL", platform.settings.database_url)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(platform.settings.data_dir))
    result = CliRunner().invoke(build_cli(), ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"ok: {before + 2} entries" in result.output
    session = platform.db.read_session()
    try:
        assert not platform.log.pending(session)
        caught_up = platform.log.entries(session, before, before + 1)
        assert [e.object_id for e in caught_up] == ["crashed-1", "crashed-2"]
    finally:
        session.close()


def test_a_checkpoint_never_leaves_out_a_committed_entry(platform: Platform) -> None:
    from fastapi.testclient import TestClient

    from smartcity.app import create_app

    before = _head_size(platform)
    _crash_after_commit(platform, "crashed-3")
    with TestClient(create_app(platform=platform)) as client:
        body = client.get("/api/v1/transparency/checkpoint").json()
    assert body["tree_size"] == before + 1


def test_a_failed_sequencing_loses_nothing(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _head_size(platform)

    def broken(_session: object) -> int:
        raise RuntimeError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(platform.log, "_drain", broken)
        with platform.unit_of_work(system_actor("test")) as uow:
            uow.session.add(Meta(key="kept", value="x"))
            uow.audit("test.kept", "meta", "kept", {})
    # The change committed; its entry waits in the queue ...
    assert _head_size(platform) == before
    # ... and the next audited commit sequences it ahead of its own.
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.add(Meta(key="next", value="x"))
        uow.audit("test.next", "meta", "next", {})
    session = platform.db.read_session()
    try:
        entries = platform.log.entries(session, before, before + 1)
        assert [e.action for e in entries] == ["test.kept", "test.next"]
        assert platform.log.verify(session) == []
    finally:
        session.close()


def test_the_sequencer_gathers_the_entries_of_open_siblings(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: while other units of work are open, the sequencer waits for their
    entries and makes them leaves in the same sequencer transaction."""
    from smartcity.core.audit import log as audit_log

    monkeypatch.setattr(audit_log, "GATHER_SIBLINGS", 1)
    monkeypatch.setattr(audit_log, "GATHER_SECONDS", 2.0)
    batches: list[int] = []
    real_drain = TransparencyLog._drain
    monkeypatch.setattr(
        TransparencyLog,
        "_drain",
        lambda self, session: batches.append(real_drain(self, session)) or batches[-1],
    )
    sibling_open = threading.Event()

    def first() -> None:
        assert sibling_open.wait(10)
        with platform.unit_of_work(system_actor("first")) as uow:
            uow.session.add(Meta(key="first", value="x"))
            uow.audit("test.first", "meta", "first", {})

    def second() -> None:
        with platform.unit_of_work(system_actor("sibling")) as sibling:
            sibling.session.add(Meta(key="sibling", value="x"))
            sibling.audit("test.sibling", "meta", "sibling", {})
            sibling_open.set()
            # Once the first's sequencer is gathering, the sibling commits and returns at once.
            for _ in range(10_000):  # (a failing first thread must not hang the test)
                if platform.log._sequencing.locked():
                    break
                time.sleep(0.001)

    run_in_threads(lambda index: (first, second)[index](), 2)
    assert batches == [2]
    assert _head_size(platform) == 2


def test_entries_queued_with_the_callers_writes_are_not_queued_again(platform: Platform) -> None:
    before = _head_size(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.add(Meta(key="handed-over", value="x"))
        uow.audit("test.first", "meta", "handed-over", {})
        uow.audit("test.second", "meta", "handed-over", {})
        step = uow.audit_queue_step()
        assert step is not None
        uow.session.execute(*step)  # as a hot path sends it, with its own last writes
        assert uow.audit_queue_step() is None, "handed over once"
        # Entries after it would be a second queue row: not adjacent to these (ADR 7).
        with pytest.raises(RuntimeError):
            uow.audit("test.after_the_step", "meta", "handed-over", {})
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.add(Meta(key="abandoned", value="x"))
        uow.audit("test.abandoned", "meta", "abandoned", {})
        uow.session.execute(*cast(tuple[Any, Any], uow.audit_queue_step()))
        uow.rollback()
    session = platform.db.read_session()
    try:
        head = platform.log.head(session)
        actions = [e.action for e in platform.log.entries(session, before, head.tree_size)]
        assert actions == ["test.first", "test.second"]
        assert not platform.log.pending(session)
    finally:
        session.close()


def test_a_bulk_transaction_and_small_ones_after_it_become_leaves_that_verify(
    platform: Platform,
) -> None:
    # A bulk import audits hundreds of changes in one transaction: the sequencer writes
    # them in batches (core.db.AS_ONE_PARAMETERS); the small ones after it as one statement.
    before = _head_size(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        for number in range(300):
            uow.audit("test.bulk", "row", str(number), {"n": number})
    for number in range(3):
        with platform.unit_of_work(system_actor("test")) as uow:
            uow.audit("test.small", "row", f"s{number}", {})
    assert _head_size(platform) == before + 303
    session = platform.db.read_session()
    try:
        assert platform.log.verify(session) == []
    finally:
        session.close()
