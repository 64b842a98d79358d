"""Reconciliation reports: a settlement file's findings as its readers may see them, and
the daily report per department."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    case,
    func,
    select,
)
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.errors import InvalidInput
from smartcity.core.repository import get_or_404, page
from smartcity.core.time import city_zone
from smartcity.modules.payments import codes, errors
from smartcity.modules.payments.departments import department_shown, own_organisation
from smartcity.modules.payments.models import (
    Payment,
    Settlement,
    SettlementLine,
    settled,
)
from smartcity.modules.payments.values import (
    MatchOutcome,
    PaymentFlag,
)

if TYPE_CHECKING:  # imported when first used: Numba takes a fifth of a second to load
    pass


def unknown_reason(reference: str) -> str:
    """Why money a file lists under `reference` has no bill here, as the provider API says
    it: a reference that cannot be one (`invalid_write_off_number`, `invalid_check_digit`:
    mistyped or garbled on the way), or a well-formed one no bill has
    (`unknown_reference`)."""
    try:
        codes.parse_reference(reference)
    except InvalidInput as problem:
        return problem.code
    return "unknown_reference"


def settlement_report(
    session: Session, settlement: Settlement, department: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A reconciliation's (per department and day rows, findings), for one department or all;
    an `unknown` finding says why no bill has its reference."""
    by_day = list(settlement.counts.get("by_department_day", []))
    if department:
        by_day = [row for row in by_day if row.get("department") == department]
    findings = [
        {
            "id": finding.id,
            "line": finding.line_no,
            "outcome": finding.outcome,
            "provider_txn_id": finding.provider_txn_id,
            "reference": finding.reference,
            "amount": finding.amount,
            "payment_id": str(finding.payment_id) if finding.payment_id else None,
            "department": finding.department,
            "day": finding.day,
            "reason": (
                unknown_reason(finding.reference)
                if finding.outcome == MatchOutcome.UNKNOWN
                else None
            ),
            "resolution": finding.resolution,
            "resolution_note": finding.resolution_note,
            "assigned_to": finding.assigned_to,
        }
        for finding in findings_of(session, settlement.id, department)
    ]
    return by_day, findings


def report_for(
    session: Session, principal: Principal, settlement_id: uuid.UUID
) -> tuple[Settlement, list[dict[str, Any]], list[dict[str, Any]]]:
    """A settlement file and its report as `principal` may see them: a provider its own files
    whole (another's is a 404), staff their departments' rows and findings."""
    settlement = get_settlement(session, settlement_id)
    provider = own_organisation(principal)
    if provider is not None and settlement.provider != provider:
        raise errors.SettlementNotFound("no such settlement")
    department = None if provider is not None else department_shown(principal)
    by_day, findings = settlement_report(session, settlement, department)
    return settlement, by_day, findings


def list_settlements(
    session: Session, limit: int = 100, provider: str | None = None
) -> Sequence[Settlement]:
    """The latest settlement files received (of one provider, or all), newest first."""
    query = select(Settlement).order_by(Settlement.received_at.desc(), Settlement.id)
    if provider is not None:
        query = query.where(Settlement.provider == provider)
    return session.execute(page(query, limit=limit)).scalars().all()


def get_settlement(session: Session, settlement_id: uuid.UUID) -> Settlement:
    """A settlement by id, or NotFound."""
    return get_or_404(
        session,
        Settlement,
        settlement_id,
        code=errors.SettlementNotFound.code,
        detail="no such settlement",
    )


def findings_of(
    session: Session, settlement_id: uuid.UUID, department: str | None = None, limit: int = 1000
) -> Sequence[SettlementLine]:
    """The non-matched findings of a reconciliation."""
    query = (
        select(SettlementLine)
        .where(SettlementLine.settlement_id == settlement_id)
        .order_by(SettlementLine.id)
        .limit(limit)
    )
    if department:
        query = query.where(SettlementLine.department == department)
    return session.execute(query).scalars().all()


def daily_report(
    session: Session, day: date, department: str | None = None
) -> list[dict[str, object]]:
    """Per department for one local day: collected, reconciled (核銷), unreconciled, exceptions.

    Summed by the database, each payment's own department (a copy of its bill's): a busy
    day is one pass over its payments, not a row each to Python."""
    lower = datetime.combine(day, time.min, city_zone())
    upper = lower + timedelta(days=1)
    query = (
        select(
            Payment.department,
            func.count(),
            func.sum(Payment.amount),
            func.sum(Payment.applied),
            func.sum(Payment.refund_due),
            func.sum(case((settled(), 1), else_=0)),
            func.sum(case((Payment.flag != PaymentFlag.NONE.value, 1), else_=0)),
        )
        .where(Payment.paid_at >= lower, Payment.paid_at < upper)
        .group_by(Payment.department)
        .order_by(Payment.department)
    )
    if department:
        query = query.where(Payment.department == department)
    rows: list[dict[str, object]] = []
    for dept, count, collected, applied, refund_due, reconciled, exceptions in session.execute(
        query
    ):
        # PostgreSQL sums integers as numeric: back to int.
        unreconciled = int(count) - int(reconciled)
        rows.append(
            {
                "department": dept,
                "day": day.isoformat(),
                "payments": int(count),
                "collected": int(collected),
                "applied": int(applied),
                "refund_due": int(refund_due),
                "reconciled": int(reconciled),
                "unreconciled": unreconciled,
                "exceptions": int(exceptions),
                "status": "reconciled" if unreconciled == 0 else "open",
            }
        )
    return rows


REPORT_COLUMNS = (
    "day",
    "department",
    "payments",
    "collected",
    "applied",
    "refund_due",
    "reconciled",
    "unreconciled",
    "exceptions",
    "status",
)
"""The columns of the daily report as CSV (rows are `daily_report`'s)."""
