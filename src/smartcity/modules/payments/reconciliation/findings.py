"""Closing a reconciliation's findings: accepted with a reason, assigned to an officer, or put
right by the finding's corrective action.

Only an `unknown` line has one: money the provider collected under a reference no bill has
(a mistyped or garbled number) is recorded as a payment of the bill it was meant for, which
an officer names. A payment the file missed, a different amount or a line listed twice is
the provider's to put right in a later file, so a person accepts it with the reason written
down (or assigns it to someone to look into). Lines no bill claims have no department:
administrators close them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for
from smartcity.core.time import as_utc, city_zone, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, posting
from smartcity.modules.payments.departments import check_department
from smartcity.modules.payments.models import Settlement, SettlementLine
from smartcity.modules.payments.refunds import check_officer_of
from smartcity.modules.payments.repository import find_bill
from smartcity.modules.payments.values import (
    UNRESOLVED_OUTCOMES,
    Channel,
    FindingResolution,
    MatchOutcome,
    SettlementFormat,
)

CORRECTABLE = (MatchOutcome.UNKNOWN,)
"""Findings with a corrective action (the rest are accepted or assigned)."""


def get_finding(
    session: Session, principal: Principal, finding_id: int, *, lock: bool = False
) -> SettlementLine:
    """A finding the caller acts for (its department's; a line without one, administrators'),
    or NotFound."""
    query = select(SettlementLine).where(SettlementLine.id == finding_id)
    if lock:
        query = query.with_for_update()
    finding = session.execute(query).scalar_one_or_none()
    if finding is None or not acts_for(principal, finding.department or None):
        raise errors.FindingNotFound("no such finding")
    return finding


def _open(uow: UnitOfWork, finding_id: int) -> SettlementLine:
    finding = get_finding(uow.session, uow.actor, finding_id, lock=True)
    if finding.resolution is not None or finding.outcome not in UNRESOLVED_OUTCOMES:
        raise errors.FindingClosed("this finding is closed")
    return finding


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise errors.ReasonRequired("say why")
    return reason[:500]


def _close(uow: UnitOfWork, finding: SettlementLine, how: FindingResolution, why: str) -> None:
    finding.resolution = how.value
    finding.resolution_note = why
    finding.resolved_by = str(uow.actor.id or uow.actor.kind)[:64]
    finding.resolved_at = utcnow()


def accept_finding(uow: UnitOfWork, finding_id: int, reason: str) -> SettlementLine:
    """Close a finding as it is, with the reason written down."""
    why = _reason(reason)
    finding = _open(uow, finding_id)
    _close(uow, finding, FindingResolution.ACCEPTED, why)
    uow.audit(
        "payments.finding.accepted",
        "settlement_line",
        finding.id,
        {"settlement": str(finding.settlement_id), "outcome": finding.outcome, "reason": why},
    )
    return finding


def assign_finding(
    uow: UnitOfWork, finding_id: int, officer_id: uuid.UUID | str, reason: str
) -> SettlementLine:
    """Give an open finding to an officer of its department to look into."""
    why = _reason(reason)
    finding = _open(uow, finding_id)
    officer = check_officer_of(uow, finding.department, officer_id)
    finding.assigned_to = str(officer)
    uow.audit(
        "payments.finding.assigned",
        "settlement_line",
        finding.id,
        {"officer": str(officer), "reason": why[:200]},
    )
    return finding


def correct_finding(
    uow: UnitOfWork, finding_id: int, reference: str, reason: str
) -> SettlementLine:
    """Record an `unknown` line's money as a payment of the bill it was meant for."""
    why = _reason(reason)
    finding = _open(uow, finding_id)
    if finding.outcome not in CORRECTABLE:
        raise errors.NoCorrection("this finding has no corrective action; accept it")
    session = uow.session
    settlement = session.get(Settlement, finding.settlement_id)
    if settlement is None:  # pragma: no cover - a finding's foreign key
        raise errors.SettlementNotFound("no such settlement")
    bill = find_bill(session, reference.strip())
    check_department(uow.actor, bill.department)
    store_file = settlement.format == SettlementFormat.FIXED
    # The file gives the day it was paid; the line's own time of day is not kept.
    paid_at = as_utc(datetime.combine(date.fromisoformat(finding.day), time(12), city_zone()))
    request = posting.PaymentRequest(
        reference=bill.write_off_number,
        amount=finding.amount,
        channel=(Channel.STORE if store_file else Channel.BANK).value,
        provider_txn_id=finding.provider_txn_id or f"{settlement.id.hex[:12]}-{finding.line_no}",
        paid_at=paid_at,
    )
    payment, _created = posting.record_payment(
        uow, settlement.provider, request, source="settlement"
    )
    payment.settlement_id = settlement.id
    finding.payment_id = payment.id
    finding.department = bill.department
    _close(uow, finding, FindingResolution.CORRECTED, why)
    uow.audit(
        "payments.finding.corrected",
        "settlement_line",
        finding.id,
        {"bill": bill.write_off_number, "payment": str(payment.id), "reason": why[:200]},
    )
    return finding
