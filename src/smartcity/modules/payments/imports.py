"""Bill files uploaded in the browser: stored whole, then issued line by line by the job worker.

Unlike the API's bulk upload (one transaction, one bad line refuses the file), an import
issues every good line and keeps each refused one with its reason, so an officer can fix
and upload those alone. The worker handles `CHUNK` lines per transaction, committing the
bills with the import's progress, so the console shows rows done as they are, and a worker
that dies resumes after the last committed chunk. The same file uploaded again by the same
department is the import it already was: no bill is issued twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.departments import own_department
from smartcity.core.errors import DomainError
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors
from smartcity.modules.payments.bills import bill_lines, bill_row, issue_bill
from smartcity.modules.payments.models import BillImport
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import ImportState

TASK = "payments.import_bills"
CHUNK = 100
"""Lines issued per transaction: the progress bar's step."""
MAX_LINES = 10_000
"""Lines one file may have (the API's bulk limit)."""


def start_import(uow: UnitOfWork, filename: str, data: bytes) -> tuple[BillImport, bool]:
    """Store a bill file and queue its lines for the worker: (the import, whether it is new).
    A file that cannot be read as a bill file (not UTF-8, wrong header, no lines) is refused
    whole; the same file again from the same department answers the import it was."""
    department = own_department(uow.actor) or ""
    digest = hashlib.sha256(data).hexdigest()
    earlier = uow.session.execute(
        select(BillImport).where(BillImport.department == department, BillImport.digest == digest)
    ).scalar_one_or_none()
    if earlier is not None:
        return earlier, False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.NotUtf8("the file must be UTF-8 text") from None
    lines = bill_lines(text)
    if not lines:
        raise errors.InvalidFile("the file has no bills")
    if len(lines) > MAX_LINES:
        raise errors.InvalidFile(f"at most {MAX_LINES} bills per file")
    if uow.actor.kind != "user" or uow.actor.role not in (Role.OFFICER, Role.ADMIN):
        raise errors.PersonRequired("bill files are imported by people signed in as themselves")
    started = BillImport(
        id=uuid.uuid4(),
        department=department,
        filename=filename[:200],
        digest=digest,
        content=text,
        state=ImportState.QUEUED.value,
        total=len(lines),
        done=0,
        issued=0,
        rejected=[],
        created_by=str(uow.actor.id),
        role=uow.actor.role.value,
    )
    uow.session.add(started)
    uow.session.flush()
    uow.enqueue(TASK, {"import_id": str(started.id)})
    uow.audit(
        "payments.bill_import.started",
        "bill_import",
        started.id,
        {"file": started.filename, "lines": started.total, "sha256": digest},
    )
    return started, True


def get_import(session: Session, principal: Principal, import_id: uuid.UUID) -> BillImport:
    """An import the caller may see: an officer their department's, an administrator any."""
    found = session.get(BillImport, import_id)
    department = own_department(principal)
    if found is None or (department is not None and found.department != department):
        raise errors.ImportNotFound("no such bill import")
    return found


def recent_imports(session: Session, principal: Principal, limit: int = 10) -> Sequence[BillImport]:
    """The newest imports the caller may see."""
    query = select(BillImport).order_by(BillImport.created_at.desc(), BillImport.id).limit(limit)
    department = own_department(principal)
    if department is not None:
        query = query.where(BillImport.department == department)
    return session.execute(query).scalars().all()


def _uploader(found: BillImport) -> Principal:
    """Whom the worker issues an import's bills as: the person who uploaded it, confined to the
    department they uploaded it for."""
    return Principal(
        kind="user",
        id=found.created_by,
        role=Role(found.role),
        department=found.department or None,
        credential="session",
    )


def issue_next_chunk(platform: Platform, settings: PaymentsSettings, import_id: uuid.UUID) -> bool:
    """Issue the import's next `CHUNK` lines in one transaction; False once it is done."""
    with platform.db.read_session() as session:
        found = session.get(BillImport, import_id)
        if found is None or found.state == ImportState.DONE:
            return False
        actor = _uploader(found)
    with platform.unit_of_work(actor) as uow:
        current = uow.session.execute(
            select(BillImport).where(BillImport.id == import_id).with_for_update()
        ).scalar_one()
        lines = bill_lines(current.content)
        chunk = lines[current.done : current.done + CHUNK]
        issued, refused = _issue(uow, settings, chunk)
        current.done += len(chunk)
        current.issued += issued
        current.rejected = [*current.rejected, *refused]  # a new list: JSON is saved on change
        finished = current.done >= len(lines)
        current.state = (ImportState.DONE if finished else ImportState.RUNNING).value
        if finished:
            current.finished_at = utcnow()
        uow.audit(
            "payments.bill_import.finished" if finished else "payments.bill_import.progressed",
            "bill_import",
            current.id,
            {"done": current.done, "issued": current.issued, "rejected": len(current.rejected)},
        )
    return not finished


def _issue(
    uow: UnitOfWork, settings: PaymentsSettings, chunk: Sequence[tuple[int, list[str]]]
) -> tuple[int, list[dict[str, Any]]]:
    """Issue each line of `chunk` in a savepoint of its own: (how many, the refused lines)."""
    issued = 0
    refused: list[dict[str, Any]] = []
    for line_no, fields in chunk:
        try:
            with uow.session.begin_nested():
                issue_bill(uow, settings, **bill_row(fields))
            issued += 1
        except DomainError as problem:
            refused.append(
                {
                    "line": line_no,
                    "code": problem.code,
                    "reason": problem.detail,
                    "wording": problem.wording,
                    "values": problem.extra if problem.wording else {},
                }
            )
    return issued, refused
