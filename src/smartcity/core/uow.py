"""One unit of work: one transaction, its audit entries inside it, its events after it.

Services receive a `UnitOfWork`, change state through `uow.session`, call
`uow.audit(...)` for every change, `uow.emit(...)` for what others may react to
and `uow.enqueue(...)` for work to do after it. Events and jobs are rows of this
transaction: they exist if and only if it commits. Only the edge (an API route,
a CLI command) commits.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from smartcity.core.audit.log import PendingEntry, TransparencyLog, canonical_json
from smartcity.core.auth import Principal
from smartcity.core.events import Event, dump_event
from smartcity.core.jobs.catalogue import JobCatalogue
from smartcity.core.jobs.queue import new_job
from smartcity.core.time import utcnow

_WROTE = "smartcity_wrote_state"
log = logging.getLogger(__name__)


class UnauditedChange(RuntimeError):
    """A transaction changed state but wrote no audit entry: a programming error."""


@event.listens_for(Session, "before_flush")
def _note_state_change(session: Session, _context: Any, _instances: Any) -> None:
    # Remember whether anything other than bookkeeping rows is being written,
    # so that commit can refuse a state change without an audit entry.
    for obj in (*session.new, *session.deleted):
        if not getattr(type(obj), "__audit_exempt__", False):
            session.info[_WROTE] = True
            return
    for obj in session.dirty:
        if not getattr(type(obj), "__audit_exempt__", False) and session.is_modified(obj):
            session.info[_WROTE] = True
            return


def note_write(session: Session) -> None:
    """Record that this transaction changed state through a Core statement.

    The flush hook above sees only ORM objects; a service that writes with Core
    `insert`/`update` calls this so that commit still refuses it without an audit entry.
    """
    session.info[_WROTE] = True


def new_request_id() -> str:
    """A short random id that ties logs, audit entries and responses together."""
    return secrets.token_hex(8)


class UnitOfWork:
    """A write transaction with its audit entries, events and jobs."""

    def __init__(
        self,
        session: Session,
        log: TransparencyLog,
        jobs: JobCatalogue,
        actor: Principal,
        request_id: str | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.request_id = request_id or new_request_id()
        self._log = log
        self._jobs = jobs
        self._audit: list[PendingEntry] = []
        self._handed_over = False  # the entries went out with the caller's writes
        self._closed = False
        self._open_in_log = False

    def audit(
        self,
        action: str,
        object_type: str,
        object_id: object,
        change: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that `action` happened to an object; written in this transaction."""
        if self._handed_over:
            raise RuntimeError("this transaction's audit entries were handed over already")
        self._audit.append(
            PendingEntry(
                occurred_at=utcnow(),
                actor_type=self.actor.audit_type,
                actor_id=str(self.actor.id or self.actor.kind),
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                request_id=self.request_id,
                change_json=canonical_json(dict(change or {})),
            )
        )

    def audit_queue_step(self) -> tuple[Any, dict[str, Any]] | None:
        """The statement that queues this transaction's audit entries, for a caller that sends
        it with its last writes (`core.db.execute_as_one`: one round trip fewer on a hot
        path). They are then not queued at commit, and nothing more may be audited: the
        entries of one transaction stay one queue row, adjacent leaves (ADR 7). None if none."""
        if not self._audit or self._handed_over:
            return None
        self._handed_over = True
        return self._log.enqueue_step(self._audit)

    def emit(self, event: Event) -> None:
        """Store `event` for each subscriber, in this transaction; the worker delivers it after
        the commit. Nothing is written when nobody subscribes, so emitting is free until
        somebody does."""
        subscribers = self._jobs.subscribers_of(event)
        if not subscribers:
            return
        payload = dump_event(event)
        self.session.add_all(new_job(task, payload, event_id=event.id) for task in subscribers)

    def enqueue(self, task: str, payload: Mapping[str, Any] | None = None) -> None:
        """Run `task` with `payload` (JSON values) once this transaction commits."""
        if task not in self._jobs.tasks:
            raise LookupError(f"no task {task!r} is declared in an enabled manifest")
        self.session.add(new_job(task, dict(payload or {})))

    def commit(self) -> None:
        """Queue the audit entries, commit, then sequence them into the log."""
        self.session.flush()
        if self.session.info.get(_WROTE) and not self._audit:
            raise UnauditedChange("this transaction changed state without an audit entry")
        if not self._handed_over:
            self._log.enqueue(self.session, self._audit)
        self.session.commit()
        self.session.info.pop(_WROTE, None)
        self._handed_over = False
        if self._audit:
            self._audit.clear()
            self._sequence()

    def _sequence(self) -> None:
        # The change is committed and its entries are safely queued: a failure to make
        # them leaves now must not fail the request; the next sequencer run catches up.
        try:
            self._log.sequence(self.session)
        except Exception:
            self.session.rollback()
            log.exception("audit sequencing failed; the queued entries wait for the next run")

    def rollback(self) -> None:
        """Abandon everything this unit of work did."""
        self.session.rollback()
        self._audit.clear()
        self._handed_over = False
        self.session.info.pop(_WROTE, None)

    def close(self) -> None:
        """Release the connection."""
        if not self._closed:
            self.session.close()
            self._closed = True
            if self._open_in_log:
                self._log.closed()

    def __enter__(self) -> UnitOfWork:
        # Counted while inside its block, so the sequencer can wait for it (group commit).
        if not self._open_in_log:
            self._log.opened()
            self._open_in_log = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()
