"""payments' public face: what its edges (API, pages, CLI, jobs), the demo and other modules call.

The logic lives in `bills`, `imports`, `posting`, `refunds`, `reports`, `payouts`, `autopay`
and `reconciliation`, and the queries in `repository`; their functions take a session or the
caller's unit of work and never commit. `record_payment_retrying` and `retrying_twins` take
the platform instead: a payment (or a car park's exit) is posted in a transaction of its own
and posted again, in a new one, when a concurrent twin with the same key committed first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.core.uow import UnitOfWork

# autopay imports this module; its functions are reached through the module at call time.
from smartcity.modules.payments import autopay
from smartcity.modules.payments.bills import (
    PAYER_KINDS,
    LedgerEntry,
    OpenBill,
    barcode_of,
    bill_item,
    bill_move,
    bills_of_citizen,
    cancel_bill,
    check_can_see,
    citizen_identifiers,
    citizen_ledger,
    expire_overdue,
    issue_bill,
    move_bill,
    open_bills_of_citizen,
    parse_bill_csv,
)
from smartcity.modules.payments.codes import parse_reference
from smartcity.modules.payments.departments import check_department
from smartcity.modules.payments.errors import TwinInProgress
from smartcity.modules.payments.imports import get_import, recent_imports, start_import
from smartcity.modules.payments.posting import (
    PaymentRequest,
    payment_view,
    post_payment,
    record_payment,
    settled_ids,
)
from smartcity.modules.payments.refunds import (
    assign_exception,
    owed_back,
    refund_payment,
    repost_payment,
    resolve_exception,
)
from smartcity.modules.payments.reports import money_flow
from smartcity.modules.payments.repository import (
    count_bills,
    ensure_provider,
    exception_queue,
    find_bill,
    get_bill,
    get_item,
    get_payment,
    list_items,
    payments_of_bill,
    refunds_of,
)
from smartcity.modules.payments.repository import open_daily_totals as open_daily_totals
from smartcity.modules.payments.repository import open_items as open_items
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import ChargeOutcome, ChargeRequest

__all__ = [
    "PAYER_KINDS",
    "LedgerEntry",
    "OpenBill",
    "PaymentRequest",
    "assign_exception",
    "autopay_charge_for",
    "barcode_of",
    "bill_item",
    "bill_move",
    "bills_of_citizen",
    "cancel_bill",
    "charge_autopay",
    "check_can_see",
    "check_department",
    "citizen_identifiers",
    "citizen_ledger",
    "count_bills",
    "ensure_provider",
    "exception_queue",
    "expire_overdue",
    "find_bill",
    "get_bill",
    "get_import",
    "get_item",
    "get_payment",
    "issue_bill",
    "list_items",
    "money_flow",
    "move_bill",
    "open_bills_of_citizen",
    "owed_back",
    "parse_bill_csv",
    "parse_reference",
    "payment_view",
    "payments_of_bill",
    "post_payment",
    "recent_imports",
    "record_payment",
    "record_payment_retrying",
    "refund_payment",
    "refunds_of",
    "repost_payment",
    "resolve_exception",
    "retrying_twins",
    "settings_of",
    "settle_autopay",
    "settled_ids",
    "start_import",
]

T = TypeVar("T")


def settings_of(platform: Platform) -> PaymentsSettings:
    """This platform's payments settings."""
    return module_settings(platform, "payments", PaymentsSettings)


def record_payment_retrying(
    platform: Platform,
    principal: Principal,
    request_id: str | None,
    provider_code: str,
    request: PaymentRequest,
    idempotency_key: str | None,
    source: str = "api",
) -> tuple[dict[str, Any], bool]:
    """`post_payment` in its own transaction, retried when a concurrent twin won the race
    (same provider_txn_id or, on SQLite, key)."""
    return retrying_twins(
        platform,
        principal,
        request_id,
        lambda uow: post_payment(
            uow,
            provider_code,
            request,
            idempotency_key=idempotency_key,
            source=source,
            last_in_transaction=True,
        ),
        attempts=5,
        busy="a concurrent request is recording this payment; retry",
    )


def retrying_twins(
    platform: Platform,
    principal: Principal,
    request_id: str | None,
    work: Callable[[UnitOfWork], T],
    *,
    attempts: int,
    busy: str,
) -> T:
    """`work` in its own transaction, run again when a concurrent twin (a request with the
    same key) committed first and the unique row made this one fail: the next attempt finds
    the twin's row and answers as its replay. After `attempts`, Conflict `in_progress`."""
    for attempt in range(attempts):
        try:
            with platform.unit_of_work(principal, request_id) as uow:
                return work(uow)
        except IntegrityError:
            if attempt == attempts - 1:
                raise TwinInProgress(busy) from None
    raise AssertionError("unreachable")  # pragma: no cover


def autopay_charge_for(
    session: Session, bill_id: uuid.UUID, day: date
) -> tuple[ChargeRequest | None, str]:
    """The charge the plate's autopay owes an open bill to that plate, or why there is none."""
    return autopay.autopay_charge_for(session, bill_id, day)


def charge_autopay(request: ChargeRequest, timeout: float, *, allow_private: bool) -> ChargeOutcome:
    """Ask the provider to charge; call with no transaction open (a provider may be slow)."""
    return autopay.charge(request, timeout, allow_private=allow_private)


def settle_autopay(
    uow: UnitOfWork, request: ChargeRequest, outcome: ChargeOutcome
) -> uuid.UUID | None:
    """Record the provider's answer: the payment's id, or None for an audited decline."""
    return autopay.settle_autopay(uow, request, outcome)
