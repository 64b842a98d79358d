"""The kernel's own tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from smartcity.core.audit.log import catch_up
from smartcity.core.jobs.models import Job
from smartcity.core.jobs.queue import JobState
from smartcity.core.time import utcnow

if TYPE_CHECKING:
    from smartcity.core.platform import Platform


def prune_finished(platform: Platform, _payload: Any) -> None:
    """Delete jobs done more than `SMARTCITY_JOBS_KEEP_DAYS` ago (failed ones stay)."""
    cutoff = utcnow() - timedelta(days=platform.settings.jobs_keep_days)
    with platform.db.write_session() as session, session.begin():
        session.execute(
            delete(Job).where(Job.state == JobState.DONE.value, Job.finished_at < cutoff)
        )


class AuditLogAltered(RuntimeError):
    """`audit verify` found altered or missing entries."""


def verify_audit_log(platform: Platform, _payload: Any) -> None:
    """What `smartcity audit verify` does; fails (a failed job staff see) on any problem."""
    catch_up(platform)
    session = platform.db.read_session()
    try:
        problems = platform.log.verify(session, lambda _n: None)
    finally:
        session.close()
    if problems:
        raise AuditLogAltered("; ".join(problem.message for problem in problems[:20]))
