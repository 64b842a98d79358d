"""The staff page of the job worker: queued, running, failed and recent jobs, the schedules,
and a retry button for each failed job (administrators, scope `jobs`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.http import PageContext, page_access
from smartcity.core.jobs import queue
from smartcity.web import rules

Operator = Annotated[PageContext, Depends(page_access(rules.JOBS))]
SHOWN = 50
"""Jobs listed per state."""


def build_router() -> APIRouter:
    """`/staff/jobs` and its retry form."""
    router = APIRouter()

    @router.get("/staff/jobs", response_class=HTMLResponse)
    def jobs_page(ctx: Operator) -> Response:
        with ctx.read() as session:
            counts = queue.count_by_state(session)
            lists = {
                state.value: queue.list_jobs(session, state, SHOWN) for state in queue.JobState
            }
            schedules = {row.name: row for row in queue.schedules(session)}
        declared = [
            (schedule, schedules.get(schedule.name)) for schedule in ctx.platform.jobs.schedules
        ]
        return ctx.render("web/staff_jobs.html", counts=counts, lists=lists, schedules=declared)

    @router.post("/staff/jobs/{job_id}/retry", response_class=HTMLResponse)
    def retry_job(ctx: Operator, job_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
        with ctx.write() as uow:
            queue.retry(uow, job_id)
        return RedirectResponse("/staff/jobs", status_code=303)

    return router
