"""`smartcity worker` and `smartcity jobs …`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly, progress_bar
from smartcity.core.jobs import queue
from smartcity.core.jobs.worker import Worker
from smartcity.core.time import format_local


def run_worker(
    ctx: typer.Context,
    parent: Annotated[
        int, typer.Option(hidden=True, help="Stop when this process (the server) is gone")
    ] = 0,
) -> None:
    """Run due jobs, schedules and event deliveries until Ctrl-C or SIGTERM.

    The job in hand is finished first; several workers may run against one database."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if parent:
        threading.Thread(target=_stop_when_orphaned, args=(parent, stop), daemon=True).start()
    Worker(ctx.obj).run(stop)


def _stop_when_orphaned(parent: int, stop: threading.Event) -> None:
    # A server killed outright cannot stop its worker; the worker notices it was re-parented.
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def start_beside(parent: int) -> subprocess.Popen[bytes]:
    """A worker process for `smartcity serve`, stopped with it."""
    command = [sys.executable, "-m", "smartcity", "worker", "--parent", str(parent)]
    # A process group of its own: Ctrl-C reaches the server alone, which then asks the worker
    # to stop (`stop_beside`) — even one still starting, which has no handler for SIGINT yet.
    return subprocess.Popen(command, process_group=0)  # noqa: S603  # our interpreter, fixed args


def stop_beside(child: subprocess.Popen[bytes]) -> None:
    """Ask the server's worker to finish its job in hand and wait for it."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()


def build_cli() -> typer.Typer:
    """`smartcity jobs list`, `smartcity jobs retry` and `smartcity jobs run-ready`."""
    app = typer.Typer(help="背景工作 Background jobs.", no_args_is_help=True)

    @app.command("list")
    def list_jobs(
        ctx: typer.Context,
        state: Annotated[queue.JobState, typer.Option(help="Which jobs")] = queue.JobState.FAILED,
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    ) -> None:
        """Jobs in one state (failed by default), the most recent first."""
        with ctx.obj.db.read_session() as session:
            counts = queue.count_by_state(session)
            rows = queue.list_jobs(session, state, limit)
        typer.echo(" ".join(f"{name} {count}" for name, count in counts.items()))
        for job in rows:
            typer.echo(
                f"{job.id}\t{job.task}\t{job.state}\t{job.attempts}/{job.max_attempts}\t"
                f"{format_local(job.finished_at or job.run_after)}\t{job.origin}\t"
                f"{job.last_error.splitlines()[-1] if job.last_error else ''}"
            )

    @app.command("retry")
    def retry(ctx: typer.Context, job_id: int) -> None:
        """Queue a failed job again, from its first attempt."""
        with fail_cleanly(), ctx.obj.unit_of_work(system_actor("jobs-cli")) as uow:
            job = queue.retry(uow, job_id)
        typer.echo(f"job {job.id} ({job.task}) queued again")

    @app.command("run-ready")
    def run_ready(ctx: typer.Context) -> None:
        """Run every job due now, then stop: a one-off catch-up without a worker (e.g. the
        embeddings a freshly loaded demo asked for, before its database is copied)."""
        with ctx.obj.db.read_session() as session:
            due = queue.count_due(session)
        done = 0
        with progress_bar() as bar:
            task = bar.add_task("jobs", total=due)

            def one_more() -> None:
                nonlocal done
                done += 1
                # Jobs enqueued while running (schedules, events) lengthen the bar.
                bar.update(task, completed=done, total=max(due, done))

            ran = Worker(ctx.obj).run_ready(after_each=one_more)
        typer.echo(f"{ran} jobs run")

    return app
