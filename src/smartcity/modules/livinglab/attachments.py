"""Proposal attachments, stored under `<data_dir>/livinglab/attachments/<proposal>/<id>`."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.errors import Conflict, InvalidInput, NotFound, TooLarge
from smartcity.core.uow import UnitOfWork
from smartcity.modules.livinglab.access import Caller
from smartcity.modules.livinglab.models import Attachment
from smartcity.modules.livinglab.service import get_proposal
from smartcity.modules.livinglab.settings import LivinglabSettings

_UNSAFE = re.compile(r"[^\w.\-()\u3400-\u9fff ]+")
ACCEPTED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
"""What a proposal's files may be (prefixes of media types): documents a reviewer opens, never
markup or programs, which are served as downloads anyway."""
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


def folder(data_dir: Path, proposal_id: uuid.UUID) -> Path:
    """Where a proposal's files live."""
    return data_dir / "livinglab" / "attachments" / str(proposal_id)


def clean_filename(name: str) -> str:
    """A file name safe to show and store (no folders, no control characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")[:120]
    return base or "attachment"


def attach(
    uow: UnitOfWork,
    caller: Caller,
    settings: LivinglabSettings,
    data_dir: Path,
    proposal_id: uuid.UUID,
    filename: str,
    content_type: str,
    content: bytes,
) -> Attachment:
    """Attach a file to the caller's own proposal (drafts and submitted ones)."""
    proposal = get_proposal(uow.session, caller, proposal_id)
    if caller.vendor != proposal.vendor:
        raise NotFound("no such proposal", code="proposal_not_found")
    if proposal.status not in ("draft", "submitted"):
        raise Conflict("attachments close once a proposal is taken in", code="proposal_not_open")
    if not content:
        raise InvalidInput("the attachment is empty", code="empty_attachment")
    if len(content) > settings.max_attachment_bytes:
        raise TooLarge(
            f"an attachment is at most {settings.max_attachment_bytes} bytes",
            code="attachment_too_large",
        )
    count = uow.session.execute(
        select(func.count()).select_from(Attachment).where(Attachment.proposal_id == proposal.id)
    ).scalar_one()
    if count >= settings.max_attachments_per_proposal:
        raise Conflict("this proposal has as many attachments as allowed", code="too_many_files")
    kind = content_type.split(";")[0].strip().lower()
    if not _TYPE.match(kind) or not kind.startswith(ACCEPTED_TYPES):
        raise InvalidInput(
            "attach a PDF, an image, plain text, CSV or an office document",
            code="attachment_type_refused",
        )
    row = Attachment(
        proposal_id=proposal.id,
        filename=clean_filename(filename),
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    uow.session.add(row)
    uow.session.flush()
    target = folder(data_dir, proposal.id)
    target.mkdir(parents=True, exist_ok=True)
    (target / str(row.id)).write_bytes(content)
    uow.audit(
        "livinglab.attachment.added",
        "proposal",
        proposal.id,
        {"file": row.filename, "size": row.size, "sha256": row.sha256},
    )
    return row


def attachments_of(session: Session, caller: Caller, proposal_id: uuid.UUID) -> list[Attachment]:
    """The files of a proposal the caller may see."""
    proposal = get_proposal(session, caller, proposal_id)
    return list(
        session.execute(
            select(Attachment)
            .where(Attachment.proposal_id == proposal.id)
            .order_by(Attachment.created_at)
        ).scalars()
    )


def read_attachment(
    session: Session,
    caller: Caller,
    data_dir: Path,
    proposal_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> tuple[Attachment, bytes]:
    """A file's description and bytes."""
    proposal = get_proposal(session, caller, proposal_id)
    row = session.get(Attachment, attachment_id)
    if row is None or row.proposal_id != proposal.id:
        raise NotFound("no such attachment", code="attachment_not_found")
    path = folder(data_dir, proposal.id) / str(row.id)
    if not path.exists():
        raise NotFound("the attachment's file is missing", code="attachment_missing")
    return row, path.read_bytes()
