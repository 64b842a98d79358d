"""The department console's money flow: collected, applied and owed back per item and day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from smartcity.core.time import city_zone, to_local
from smartcity.modules.payments.models import (
    Bill,
    Payment,
)


def money_flow(
    session: Session, department: str | None, start: date, end: date
) -> list[dict[str, Any]]:
    """Collected, applied and owed-back money per item and local day in [start, end]."""
    lower = datetime.combine(start, datetime.min.time(), city_zone())
    upper = datetime.combine(end, datetime.max.time(), city_zone())
    query = (
        select(Bill.item_code, Payment.paid_at, Payment.amount, Payment.applied, Payment.refund_due)
        .join(Bill, Bill.id == Payment.bill_id)
        .where(Payment.paid_at >= lower, Payment.paid_at <= upper)
    )
    if department:
        query = query.where(Bill.department == department)
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for item_code, paid_at, amount, applied, due in session.execute(query):
        day = to_local(paid_at).date().isoformat()
        row = totals.setdefault(
            (item_code, day),
            {
                "item": item_code,
                "day": day,
                "payments": 0,
                "collected": 0,
                "applied": 0,
                "refund_due": 0,
            },
        )
        row["payments"] += 1
        row["collected"] += amount
        row["applied"] += applied
        row["refund_due"] += due
    return sorted(totals.values(), key=lambda r: (r["day"], r["item"]))
