"""The department console's lists: what an officer (their department) or an admin (all) sees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for, scoped
from smartcity.modules.payments.models import Bill, Payment, Provider, Settlement

LIST_LIMIT = 200
"""How many rows a console list shows."""


def bills(session: Session, principal: Principal, status: str | None = None) -> Sequence[Bill]:
    """The newest bills the caller acts for, of one status or all."""
    query = scoped(select(Bill).order_by(Bill.created_at.desc()), Bill.department, principal)
    if status:
        query = query.where(Bill.status == status)
    return session.execute(query.limit(LIST_LIMIT)).scalars().all()


def payments(session: Session, principal: Principal) -> list[tuple[Payment, Bill]]:
    """The newest payments to bills the caller acts for, each with its bill."""
    # core's `scoped` is typed for one-entity selects; the join narrows the same way.
    joined = cast(
        "Select[Any]",
        select(Payment, Bill)
        .join(Bill, Bill.id == Payment.bill_id)
        .order_by(Payment.recorded_at.desc()),
    )
    query = scoped(joined, Bill.department, principal)
    return [(p, b) for p, b in session.execute(query.limit(LIST_LIMIT)).all()]


def settlement_findings(principal: Principal, settlement: Settlement) -> dict[str, int]:
    """A settlement file's outcome counts as the caller sees them.

    A file spans departments: an officer's count is their department's rows only, so that the
    list never promises findings their settlement page cannot show (lines no bill claims have
    no department and are the administrators').
    """
    counts: dict[str, int] = {}
    for row in settlement.counts.get("by_department_day", []):
        if not acts_for(principal, row.get("department")):
            continue
        for outcome, count in row.items():
            if outcome not in ("department", "day") and isinstance(count, int):
                counts[outcome] = counts.get(outcome, 0) + count
    return counts


def provider_codes(session: Session) -> list[str]:
    """The registered providers' codes, in order."""
    return list(session.execute(select(Provider.code).order_by(Provider.code)).scalars())
