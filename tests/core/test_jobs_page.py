"""/staff/jobs: administrators see the queue and schedules and retry a failed job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.jobs import queue
from smartcity.core.jobs.models import Job
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from smartcity.modules.identity.values import OrganisationKind


def _signed_in(client: Any, platform: Platform, role: Role) -> str:
    with platform.unit_of_work(system_actor("test")) as uow:
        department = {"department_code": "DOT"} if role is Role.OFFICER else {}
        service.ensure_organisation(uow, "DOT", OrganisationKind.DEPARTMENT)
        user = service.create_staff(
            uow, role=role, name="j", email=f"{role}@test.invalid", **department
        )
        token, row = service.open_session(
            uow.session,
            user,
            kind="portal",
            scope=service.portal_scope(user, PORTAL_SCOPE),
            hours=1,
        )
    client.cookies.set("sc_session", token)
    return row.csrf_token


def _failed_job(platform: Platform) -> int:
    def broken(_platform: Platform, _payload: Any) -> None:
        raise RuntimeError("the receiver said <b>no</b>")

    platform.jobs.add_task("test.broken", broken)
    platform.jobs.schedules.clear()
    with platform.unit_of_work(system_actor("t")) as uow:
        job = queue.new_job("test.broken", {}, max_attempts=1)
        uow.session.add(job)
        uow.audit("test.enqueued", "job", "broken", {})
    Worker(platform).run_ready()
    return job.id


def test_an_administrator_sees_a_failed_job_and_retries_it(client: Any, platform: Platform) -> None:
    job_id = _failed_job(platform)
    csrf = _signed_in(client, platform, Role.ADMIN)
    page = client.get("/staff/jobs", headers={"Accept-Language": "zh-Hant"})
    assert page.status_code == 200
    assert "背景工作" in page.text and "test.broken" in page.text
    assert "&lt;b&gt;no&lt;/b&gt;" in page.text  # an error's text is shown, never as markup
    assert f'action="/staff/jobs/{job_id}/retry"' in page.text
    done = client.post(
        f"/staff/jobs/{job_id}/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    with platform.db.read_session() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.state, job.attempts) == ("queued", 0)
        actions = session.execute(select(AuditEntry.action)).scalars().all()
        assert "core.job.retried" in actions
    again = client.post(
        f"/staff/jobs/{job_id}/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert again.status_code == 409 and "job_not_failed" in again.text


def test_retrying_needs_the_csrf_token_and_an_administrator(
    client: Any, platform: Platform
) -> None:
    job_id = _failed_job(platform)
    _signed_in(client, platform, Role.ADMIN)
    assert client.post(f"/staff/jobs/{job_id}/retry", follow_redirects=False).status_code == 403
    client.cookies.clear()
    _signed_in(client, platform, Role.OFFICER)
    assert client.get("/staff/jobs").status_code == 403
    with platform.db.read_session() as session:
        assert session.get(Job, job_id).state == "failed"  # type: ignore[union-attr]


def test_a_jobs_origin_is_named_in_chinese_and_its_schedule_kept_as_code(
    client: Any, platform: Platform
) -> None:
    platform.jobs.add_task("test.nightly.tidy", lambda _platform, _payload: None)
    with platform.unit_of_work(system_actor("t")) as uow:
        by_hand = queue.new_job("test.nightly.tidy", {})
        scheduled = queue.new_job("test.nightly.tidy", {})
        scheduled.schedule = "test.nightly.tidy"
        uow.session.add_all([by_hand, scheduled])
        uow.audit("test.enqueued", "job", "tidy", {})
    _signed_in(client, platform, Role.ADMIN)
    page = client.get("/staff/jobs", headers={"Accept-Language": "zh-Hant"}).text
    assert "排程 <code data-technical>test.nightly.tidy</code>" in page
    assert "手動排入" in page and "schedule test.nightly.tidy" not in page
