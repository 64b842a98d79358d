"""Concurrent writers never fork the log: leaves stay contiguous and the tree verifies."""

from __future__ import annotations

from smartcity.core.auth import system_actor
from smartcity.core.meta import Meta
from smartcity.core.platform import Platform
from tests.support.concurrency import run_in_threads


def test_concurrent_appends_keep_one_history(platform: Platform) -> None:
    writers, each = 8, 12

    def write(worker: int) -> None:
        for step in range(each):
            with platform.unit_of_work(system_actor(f"w{worker}")) as uow:
                uow.session.add(Meta(key=f"{worker}-{step}", value="x"))
                uow.audit("test.concurrent", "meta", f"{worker}-{step}", {"step": step})
                uow.audit("test.concurrent.second", "meta", f"{worker}-{step}", {})

    run_in_threads(write, writers)

    session = platform.db.read_session()
    try:
        head = platform.log.head(session)
        entries = platform.log.entries(session, 0, head.tree_size)
        assert head.tree_size == writers * each * 2 == len(entries)
        assert [e.index for e in entries] == list(range(head.tree_size))
        # The two entries of one transaction are adjacent: a commit appends as a block.
        for first, second in zip(entries[::2], entries[1::2], strict=True):
            assert first.action == "test.concurrent" and second.object_id == first.object_id
        assert platform.log.verify(session) == []
    finally:
        session.close()
