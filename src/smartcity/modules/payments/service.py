"""payments' domain logic: catalogue, bills, payments, refunds, exceptions.

Services never commit; the edge does. Public services for other modules are marked.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Principal, Role
from smartcity.core.db import Step, execute_as_one, execute_together
from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.core.time import as_utc, city_zone, local_today, utcnow
from smartcity.core.uow import UnitOfWork, note_write
from smartcity.modules.identity.values import BindingKind, normalise_binding_value
from smartcity.modules.payments import codes, fingerprints, ledger, states, webhooks
from smartcity.modules.payments.models import (
    Bill,
    IdempotencyKey,
    Item,
    Payment,
    Provider,
    Refund,
    Subscriber,
    settled,
)
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import (
    AccountType,
    BillState,
    Channel,
    EntryKind,
    ExceptionState,
    PaymentFlag,
)

A = AccountType
T = TypeVar("T")

_BILLS = cast(Table, Bill.__table__)
_PAYMENTS = cast(Table, Payment.__table__)
_KEYS = cast(Table, IdempotencyKey.__table__)
_ITEMS = cast(Table, Item.__table__)
_PROVIDERS = cast(Table, Provider.__table__)
_SUBSCRIBERS = cast(Table, Subscriber.__table__)
PAYER_KINDS: dict[str, BindingKind | None] = {
    "citizen_id": None,
    "plate": BindingKind.PLATE,
    "account_number": BindingKind.UTILITY_ACCOUNT,
    "student_number": BindingKind.STUDENT_NUMBER,
}
"""Payer fields a bill may name, and the identity binding each corresponds to."""


def settings_of(platform: Platform) -> PaymentsSettings:
    """This platform's payments settings."""
    return module_settings(platform, "payments", PaymentsSettings)


# -- catalogue -------------------------------------------------------------------


def list_items(session: Session, department: str | None = None) -> Sequence[Item]:
    """Active fee items, by department and code."""
    query = select(Item).where(Item.active.is_(True)).order_by(Item.department, Item.code)
    if department:
        query = query.where(Item.department == department)
    return session.execute(query).scalars().all()


def get_item(session: Session, code: str) -> Item:
    """A fee item by code, or NotFound."""
    item = session.get(Item, code)
    if item is None:
        raise NotFound(f"no fee item {code[:40]!r}", code="unknown_item")
    return item


def ensure_provider(session: Session, code: str) -> Provider:
    """The provider's registration, made with every channel on first use."""
    provider = session.get(Provider, code)
    if provider is None:
        provider = Provider(
            code=code,
            channels=[c.value for c in Channel],
            fee=0,
            webhook_url="",
            webhook_secret=secrets.token_hex(32),
        )
        session.add(provider)
        session.flush()
    return provider


# -- bills ------------------------------------------------------------------------


def check_department(principal: Principal, department: str) -> None:
    """Officers act only for their own department (admins and the system for any)."""
    if principal.role == Role.OFFICER and principal.department != department:
        raise PermissionDenied(
            "officers act only for their own department", code="not_your_department"
        )
    if principal.kind != "system" and principal.role not in (Role.OFFICER, Role.ADMIN):
        raise PermissionDenied("only officers issue bills", code="not_an_officer")


def _payer(session: Session, payer: dict[str, str]) -> tuple[str, str]:
    given = {k: v for k, v in payer.items() if v}
    if len(given) != 1:
        raise InvalidInput(
            "name exactly one payer: citizen_id, plate, account_number or student_number",
            code="invalid_payer",
        )
    ((kind, value),) = given.items()
    binding = PAYER_KINDS.get(kind)
    if kind not in PAYER_KINDS:
        raise InvalidInput(f"unknown payer field {kind[:40]!r}", code="invalid_payer")
    if binding is None:
        try:
            user = identity.get_user(session, value)
        except NotFound:
            raise InvalidInput("no such citizen", code="unknown_citizen") from None
        if user.role != Role.CITIZEN:
            raise InvalidInput("bills are addressed to citizens", code="unknown_citizen")
        return "citizen", str(user.id)
    return kind, normalise_binding_value(binding, value)


def issue_bill(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    *,
    item_code: str,
    amount: int | None,
    due_date: date,
    payer: dict[str, str],
    description: str = "",
    today: date | None = None,
) -> Bill:
    """An officer of the item's department issues a bill with all its numbers."""
    item = get_item(uow.session, item_code)
    check_department(uow.actor, item.department)
    return bill_item(
        uow,
        settings,
        item,
        amount=amount,
        due_date=due_date,
        payer=payer,
        description=description,
        today=today,
    )


def bill_item(
    uow: UnitOfWork,
    settings: PaymentsSettings,
    item: Item,
    *,
    amount: int | None,
    due_date: date,
    payer: dict[str, str],
    description: str = "",
    today: date | None = None,
) -> Bill:
    """A bill of `item` for a caller already allowed to bill it (an officer of its department
    through `issue_bill`, or one of its department's car parks through `autopay.bill_exit`)."""
    session = uow.session
    if item.amount_rule == "fixed":
        if amount not in (None, item.amount):
            raise InvalidInput(f"{item.code} is always {item.amount}", code="invalid_amount")
        amount = item.amount
    if amount is None or not 0 < amount <= codes.MAX_BARCODE_AMOUNT:
        raise InvalidInput(
            f"a bill's amount is 1 to {codes.MAX_BARCODE_AMOUNT} NTD", code="invalid_amount"
        )
    if item.max_amount is not None and amount > item.max_amount:
        raise InvalidInput(
            f"one bill of {item.code} is at most {item.max_amount} NTD", code="amount_over_cap"
        )
    if due_date < (today or local_today()):
        raise InvalidInput("the due date has passed", code="invalid_due_date")
    if due_date.year > 2110:
        raise InvalidInput("the due date is too far away", code="invalid_due_date")
    payer_kind, payer_value = _payer(session, payer)
    for _ in range(20):
        number = codes.make_write_off_number(due_date)
        account = codes.make_virtual_account(settings.virtual_account_prefix)
        taken = session.execute(
            select(Bill.id).where(
                or_(Bill.write_off_number == number, Bill.virtual_account == account)
            )
        ).first()
        if taken is None:
            break
    else:  # pragma: no cover - 10^12 numbers; twenty collisions in a row do not happen
        raise Conflict("could not find a free write-off number", code="numbers_exhausted")
    bill = Bill(
        id=uuid.uuid4(),
        write_off_number=number,
        virtual_account=account,
        item_code=item.code,
        department=item.department,
        amount=amount,
        paid_amount=0,
        due_date=due_date,
        payer_kind=payer_kind,
        payer_value=payer_value,
        description=description[:200],
        status=BillState.OPEN.value,
        issued_by=str(uow.actor.id or uow.actor.kind)[:64],
        created_at=utcnow(),
    )
    session.add(bill)
    session.flush()
    uow.audit(
        "payments.bill.issued",
        "bill",
        bill.id,
        {"item": item.code, "amount": amount, "due": due_date.isoformat(), "number": number},
    )
    return bill


def barcode_of(bill: Bill, settings: PaymentsSettings) -> codes.Barcode:
    """The bill's three-segment store barcode."""
    return codes.make_barcode(
        bill.due_date, settings.collection_code, bill.write_off_number, bill.amount
    )


def parse_reference(reference: str) -> tuple[str, str]:
    """Which bill column a reference names, and its checked value: a write-off number
    (= barcode segment 2) or a virtual account."""
    text = reference.strip()
    if len(text) == 16 and text.isdigit() and text[:1] == "9":
        try:
            return "virtual_account", codes.check_virtual_account(text)
        except InvalidInput:
            pass
    return "write_off_number", codes.check_write_off_number(text)


def find_bill(session: Session, reference: str, *, lock: bool = False) -> Bill:
    """A bill by write-off number (= barcode segment 2) or virtual account."""
    column, value = parse_reference(reference)
    query = select(Bill).where(getattr(Bill, column) == value)
    if lock:
        query = query.with_for_update()
    bill = session.execute(query).scalar_one_or_none()
    if bill is None:
        raise NotFound("no bill has this reference", code="unknown_reference")
    return bill


def get_bill(session: Session, bill_id: uuid.UUID) -> Bill:
    """A bill by id, or NotFound."""
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound("no such bill", code="unknown_bill")
    return bill


def citizen_identifiers(session: Session, user_id: uuid.UUID) -> list[tuple[str, str]]:
    """(payer kind, value) pairs that reach this citizen: their id and live bindings."""
    pairs = [("citizen", str(user_id))]
    reverse = {binding: kind for kind, binding in PAYER_KINDS.items() if binding}
    today = local_today()
    for binding in identity.bindings_of(session, user_id):
        kind = reverse.get(BindingKind(binding.kind))
        if kind is None or binding.state != "verified":
            continue
        if binding.effective_from > today or (
            binding.effective_to is not None and binding.effective_to < today
        ):
            continue
        # Trust the binding only while identity still says it is this citizen's.
        if user_id in identity.citizens_bound_to(session, BindingKind(binding.kind), binding.value):
            pairs.append((kind, binding.value))
    return pairs


def check_can_see(session: Session, principal: Principal, bill: Bill) -> None:
    """Providers and admins see any bill, officers their department's, citizens their own."""
    if principal.role in (Role.PROVIDER, Role.ADMIN) or principal.kind == "system":
        return
    if principal.role == Role.OFFICER:
        if principal.department != bill.department:
            raise PermissionDenied(
                "this bill belongs to another department", code="not_your_department"
            )
        return
    if principal.role == Role.CITIZEN and principal.id:
        mine = citizen_identifiers(session, uuid.UUID(str(principal.id)))
        if (bill.payer_kind, bill.payer_value) in mine:
            return
    raise NotFound("no bill has this reference", code="unknown_reference")


def bills_of_citizen(session: Session, user_id: uuid.UUID) -> Sequence[Bill]:
    """*Public service.* Every bill addressed to the citizen or an identifier they bound."""
    pairs = citizen_identifiers(session, user_id)
    clauses = [(Bill.payer_kind == kind) & (Bill.payer_value == value) for kind, value in pairs]
    return (
        session.execute(select(Bill).where(or_(*clauses)).order_by(Bill.created_at.desc()))
        .scalars()
        .all()
    )


def bill_move(current: str, target: BillState, at: datetime | None = None) -> dict[str, Any]:
    """The column changes of moving a bill along the transition table (Conflict if illegal)."""
    status = states.check_move(current, target).value
    moment = at or utcnow()
    if target == BillState.PAID:
        return {"status": status, "paid_at": moment}
    if target == BillState.WRITTEN_OFF:
        return {"status": status, "written_off_at": moment}
    return {"status": status, "closed_at": moment}


def move_bill(bill: Bill, target: BillState, at: datetime | None = None) -> None:
    """Move a bill along the transition table (Conflict on an illegal move)."""
    for column, value in bill_move(bill.status, target, at).items():
        setattr(bill, column, value)


def cancel_bill(uow: UnitOfWork, bill_id: uuid.UUID, reason: str = "") -> Bill:
    """The department withdraws an open bill."""
    bill = get_bill(uow.session, bill_id)
    check_department(uow.actor, bill.department)
    move_bill(bill, BillState.CANCELLED)
    uow.audit("payments.bill.cancelled", "bill", bill.id, {"reason": reason[:200]})
    return bill


def expire_overdue(uow: UnitOfWork, today: date | None = None) -> int:
    """Move open bills past their due date to expired; returns how many."""
    day = today or local_today()
    bills = (
        uow.session.execute(
            select(Bill).where(Bill.status == BillState.OPEN.value, Bill.due_date < day)
        )
        .scalars()
        .all()
    )
    for bill in bills:
        move_bill(bill, BillState.EXPIRED)
        uow.audit("payments.bill.expired", "bill", bill.id, {"due": bill.due_date.isoformat()})
    return len(bills)


# -- payments ------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider reports it collected."""

    reference: str
    amount: int
    channel: str
    provider_txn_id: str
    paid_at: datetime

    def digest(self) -> str:
        """A digest of the request, to tell a retry from a different request."""
        canonical = json.dumps(
            {
                "reference": self.reference.strip(),
                "amount": self.amount,
                "channel": self.channel,
                "provider_txn_id": self.provider_txn_id,
                "paid_at": as_utc(self.paid_at).isoformat(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def _local_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(city_zone()).date()


def _url_of(code: Any) -> ColumnElement[str]:
    """The webhook URL of an organisation (subscriber first, then provider), in SQL."""
    return func.coalesce(
        select(_SUBSCRIBERS.c.url).where(_SUBSCRIBERS.c.organisation == code).scalar_subquery(),
        select(_PROVIDERS.c.webhook_url).where(_PROVIDERS.c.code == code).scalar_subquery(),
        "",
    )


def _posting_query(column: str) -> Select[*tuple[Any, ...]]:
    """The bill (locked) and everything a posting reads, in one round trip (Core columns:
    an ORM select costs more Python per execution)."""
    provider = bindparam("provider", type_=String())
    bills, items, payments = _BILLS.c, _ITEMS.c, _PAYMENTS.c
    return (
        select(
            bills.id,
            bills.write_off_number,
            bills.department,
            bills.amount,
            bills.paid_amount,
            bills.status,
            bills.due_date,
            bills.item_code,
            items.partial_allowed,
            items.write_off_rule,
            select(_PROVIDERS.c.fee).where(_PROVIDERS.c.code == provider).scalar_subquery(),
            select(payments.id)
            .where(payments.provider == provider, payments.provider_txn_id == bindparam("txn"))
            .scalar_subquery(),
            _url_of(bills.department),
            _url_of(provider),
        )
        .join_from(_BILLS, _ITEMS, items.code == bills.item_code)
        .where(bills[column] == bindparam("reference"))
        .with_for_update(of=_BILLS)
    )


# Built once: constructing a statement costs more Python than executing a cached one.
_POSTING_QUERIES = {
    column: _posting_query(column) for column in ("write_off_number", "virtual_account")
}


# A key row is claimed with INSERT … ON CONFLICT DO NOTHING, spelled per database.
_CLAIM_KEY = {
    "postgresql": postgresql.insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key),
    "sqlite": sqlite.insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key),
}

_CLAIM_COLUMNS = ("provider", "key", "request_hash", "payment_id", "created_at")


def _claiming_posting_query(column: str) -> Select[*tuple[Any, ...]]:
    """PostgreSQL: the key's claim and the posting query as one statement, one round trip.

    One row: `claimed` (1, or 0 when the key was there), then the posting query's columns, all
    NULL when no bill has the reference. The claim (a data-modifying WITH clause, counted
    on the outer side of the join) runs before the bill is locked: a concurrent request with
    the same key waits on the key row, as with two statements.
    """
    claim = (
        _CLAIM_KEY["postgresql"]
        .values({name: bindparam(name) for name in _CLAIM_COLUMNS})
        .cte("claim")
    )
    counted = select(func.count().label("claimed")).select_from(claim).subquery("counted")
    found = _posting_query(column).lateral("found")
    return select(counted.c.claimed, *found.c).select_from(counted.outerjoin(found, true()))


_CLAIMING_POSTING_QUERIES = {column: _claiming_posting_query(column) for column in _POSTING_QUERIES}


_PAYMENT_COLUMNS = list(_PAYMENTS.c)
_INSERT_PAYMENT = insert(_PAYMENTS)
# The SET clause comes from the keys of each call's parameters (compiled once per key set).
_UPDATE_BILL = update(_BILLS).where(_BILLS.c.id == bindparam("bill_id"))


def post_payment(
    uow: UnitOfWork,
    provider_code: str,
    request: PaymentRequest,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
    last_in_transaction: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Record money a provider collected; (payment view, True) when new, (view, False) on replay.

    `last_in_transaction`: the caller audits nothing after it, so the audit entry is queued
    with the posting's writes (`UnitOfWork.audit_queue_step`), one round trip fewer.

    Money is never refused: a duplicate, wrong amount or late payment is recorded, flagged
    and queued as an exception with a refund due. This is the hot path of the platform
    (docs/benchmarks.md): Core statements only, no ORM objects, the writes as one (ADR 10).
    """
    session = uow.session
    if request.amount <= 0 or request.amount > 10**12:
        raise InvalidInput("a payment's amount is a positive whole NTD", code="invalid_amount")
    Channel(request.channel)
    digest = request.digest()
    payment_id = uuid.uuid4()
    now = utcnow()
    session.flush()  # Core statements below must see what the caller already changed
    # Core statements on the session's connection, prepared on PostgreSQL: the reads
    # (core.db.execute_together), then the writes as one statement (execute_as_one).
    connection = session.connection()
    column, reference = parse_reference(request.reference)
    query = {"reference": reference, "provider": provider_code, "txn": request.provider_txn_id}
    claimed = True
    if idempotency_key is None:
        (bills,) = execute_together(connection, [(_POSTING_QUERIES[column], query)])
    else:
        # Claimed first: a concurrent request with the same key waits on this row, then
        # finds it and answers as a replay.
        claim = {
            "provider": provider_code,
            "key": idempotency_key,
            "request_hash": digest,
            "payment_id": payment_id,
            "created_at": now,
        }
        if connection.dialect.name == "postgresql":
            ((found,),) = execute_together(
                connection, [(_CLAIMING_POSTING_QUERIES[column], query | claim)]
            )
            claimed, bills = bool(found.claimed), [found] if found.id is not None else []
        else:
            keys, bills = execute_together(
                connection,
                [(_CLAIM_KEY[connection.dialect.name], claim), (_POSTING_QUERIES[column], query)],
            )
            claimed = bool(keys)
    if idempotency_key is not None and not claimed:
        return _replayed(session, provider_code, idempotency_key, digest), False
    if not bills:
        raise NotFound("no bill has this reference", code="unknown_reference")
    bill = bills[0]
    (*_, fee, existing_id, department_url, provider_url) = bill
    if existing_id is not None:
        return _rebind(uow, bill.id, existing_id, request.amount, idempotency_key), False
    if fee is None:  # this provider's first payment registers it
        fee = ensure_provider(session, provider_code).fee
    paid_at = as_utc(request.paid_at)
    status = bill.status
    changes: dict[str, Any] = {}
    if status == BillState.OPEN and _local_date(paid_at) > bill.due_date:
        changes |= bill_move(status, BillState.EXPIRED, now)
        status = changes["status"]
    outstanding = bill.amount - bill.paid_amount
    applied = refund_due = 0
    flag = PaymentFlag.NONE
    if status in (BillState.PAID, BillState.WRITTEN_OFF):
        flag, refund_due = PaymentFlag.DUPLICATE, request.amount
    elif status in (BillState.CANCELLED, BillState.EXPIRED):
        flag, refund_due = PaymentFlag.LATE, request.amount
    elif request.amount == outstanding:
        applied = request.amount
    elif request.amount > outstanding:
        flag, applied, refund_due = PaymentFlag.OVERPAID, outstanding, request.amount - outstanding
    elif bill.partial_allowed:
        applied = request.amount
    else:
        flag, refund_due = PaymentFlag.UNDERPAID, request.amount
    if applied:
        changes["paid_amount"] = bill.paid_amount + applied
        if changes["paid_amount"] == bill.amount:
            changes |= bill_move(status, BillState.PAID, paid_at)
            if bill.write_off_rule == "on_payment":
                changes |= bill_move(changes["status"], BillState.WRITTEN_OFF, now)
    payment = {
        "id": payment_id,
        "bill_id": bill.id,
        "provider": provider_code,
        "provider_txn_id": request.provider_txn_id,
        "channel": request.channel,
        "amount": request.amount,
        "applied": applied,
        "refund_due": refund_due,
        "refunded": 0,
        "flag": flag.value,
        "exception_state": ExceptionState.OPEN.value if refund_due else None,
        "exception_note": "",
        "paid_at": paid_at,
        "recorded_at": now,
        "settlement_id": None,
        "source": source,
        "department": bill.department,
        "reference": bill.write_off_number,
    }
    payment["bucket"], payment["txn_check"], payment["reference_check"] = fingerprints.of_payment(
        connection, payment
    )
    writes: list[Step] = [(_INSERT_PAYMENT, payment)]
    if changes:
        writes.append((_UPDATE_BILL, {"bill_id": bill.id, **changes}))
        # A caller holding this bill as an object must not see its old state.
        loaded = session.identity_map.get(identity_key(Bill, bill.id))
        if loaded is not None:
            session.expire(loaded)
    clearing = ledger.account(A.PROVIDER_CLEARING, provider_code)
    writes += ledger.posting_steps(
        [
            ledger.Posting(
                EntryKind.PAYMENT,
                payment_id,
                [
                    ledger.debit(clearing, request.amount),
                    ledger.credit(ledger.account(A.DEPARTMENT_REVENUE, bill.item_code), applied),
                    ledger.credit(ledger.account(A.REFUNDS_PAYABLE, bill.department), refund_due),
                ],
                bill.id,
            ),
            ledger.Posting(  # no fee: no legs, no transaction
                EntryKind.FEE,
                payment_id,
                [
                    ledger.debit(ledger.account(A.PROVIDER_FEES, provider_code), fee),
                    ledger.credit(clearing, fee),
                ],
            ),
        ]
    )
    uow.audit(
        "payments.payment.recorded",
        "payment",
        payment_id,
        {
            "bill": bill.write_off_number,
            "provider": provider_code,
            "amount": request.amount,
            "applied": applied,
            "flag": flag.value,
        },
    )
    queue_audit = uow.audit_queue_step() if last_in_transaction else None
    execute_as_one(connection, [*writes, *([queue_audit] if queue_audit else [])])
    note_write(session)
    # Just recorded: no settlement can have confirmed it yet.
    view = _view(payment, bill.write_off_number, changes.get("status", bill.status), False)
    webhooks.enqueue_to(
        session,
        {bill.department: department_url, provider_code: provider_url},
        "payment.recorded",
        view,
    )
    return view, True


def record_payment(
    uow: UnitOfWork,
    provider_code: str,
    request: PaymentRequest,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
) -> tuple[Payment, bool]:
    """`post_payment` for callers that go on working with the payment as an object."""
    view, created = post_payment(
        uow, provider_code, request, idempotency_key=idempotency_key, source=source
    )
    return get_payment(uow.session, uuid.UUID(view["id"])), created


def _view_query() -> Select[*tuple[Any, ...]]:
    return select(
        *_PAYMENT_COLUMNS, Bill.write_off_number, Bill.status, settled().label("is_settled")
    ).join(Bill, Bill.id == Payment.bill_id)


def _replayed(session: Session, provider_code: str, key: str, digest: str) -> dict[str, Any]:
    seen = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.payment_id).where(
            IdempotencyKey.provider == provider_code, IdempotencyKey.key == key
        )
    ).one()
    if seen.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used with a different request", code="idempotency_key_reused"
        )
    row = session.execute(_view_query().where(Payment.id == seen.payment_id)).first()
    if row is None:  # pragma: no cover - the key and payment commit together
        raise NotFound("the payment of this key is gone", code="unknown_payment")
    return _view(row._mapping, row.write_off_number, row.status, bool(row.is_settled))


def _rebind(
    uow: UnitOfWork,
    bill_id: uuid.UUID,
    payment_id: uuid.UUID,
    amount: int,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """A provider_txn_id recorded before: the same payment (under a new key), or a Conflict."""
    row = uow.session.execute(_view_query().where(Payment.id == payment_id)).one()
    if row.bill_id != bill_id or row.amount != amount:
        raise Conflict(
            "this provider_txn_id was already recorded with other values",
            code="provider_txn_reused",
        )
    if idempotency_key is not None:
        uow.session.execute(
            update(_KEYS)
            .where(_KEYS.c.provider == row.provider, _KEYS.c.key == idempotency_key)
            .values(payment_id=payment_id)
        )
        uow.audit("payments.idempotency.bound", "payment", payment_id, {})
    return _view(row._mapping, row.write_off_number, row.status, bool(row.is_settled))


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
                raise Conflict(busy, code="in_progress") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _view(
    payment: Mapping[Any, Any], reference: str, bill_status: str, settled: bool
) -> dict[str, Any]:
    return {
        "id": str(payment["id"]),
        "bill_id": str(payment["bill_id"]),
        "reference": reference,
        "provider": payment["provider"],
        "provider_txn_id": payment["provider_txn_id"],
        "channel": payment["channel"],
        "amount": payment["amount"],
        "applied": payment["applied"],
        "refund_due": payment["refund_due"],
        "refunded": payment["refunded"],
        "flag": payment["flag"],
        "exception_state": payment["exception_state"],
        "paid_at": as_utc(payment["paid_at"]).isoformat(),
        "bill_status": bill_status,
        "settled": settled,
    }


def settled_ids(session: Session, payments: Sequence[Payment]) -> set[uuid.UUID]:
    """Which of `payments` a settlement file confirmed (their final 核銷 status), in one query."""
    marked = {p.id for p in payments if p.settlement_id is not None}
    others = [p.id for p in payments if p.settlement_id is None]
    if others:
        marked.update(session.scalars(select(Payment.id).where(Payment.id.in_(others), settled())))
    return marked


def payment_view(payment: Payment, bill: Bill, *, settled: bool) -> dict[str, Any]:
    """A payment as the API shows it."""
    values = {column.key: getattr(payment, column.key) for column in _PAYMENT_COLUMNS}
    return _view(values, bill.write_off_number, bill.status, settled)


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    """A payment by id, or NotFound."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("no such payment", code="unknown_payment")
    return payment


def payments_of_bill(session: Session, bill_id: uuid.UUID) -> Sequence[Payment]:
    """Every payment of a bill, oldest first."""
    return (
        session.execute(select(Payment).where(Payment.bill_id == bill_id).order_by(Payment.paid_at))
        .scalars()
        .all()
    )


# -- refunds ------------------------------------------------------------------------


def refund_payment(
    uow: UnitOfWork, payment_id: uuid.UUID, amount: int | None, reason: str = ""
) -> Refund:
    """Return money to a payer: first what is owed back, then (if refundable) what was applied."""
    session = uow.session
    payment = session.execute(
        select(Payment).where(Payment.id == payment_id).with_for_update()
    ).scalar_one_or_none()
    if payment is None:
        raise NotFound("no such payment", code="unknown_payment")
    bill = get_bill(session, payment.bill_id)
    actor = uow.actor
    if actor.role == Role.PROVIDER and actor.organisation != payment.provider:
        raise NotFound("no such payment", code="unknown_payment")
    if actor.role == Role.OFFICER and actor.department != bill.department:
        raise PermissionDenied(
            "this payment belongs to another department", code="not_your_department"
        )
    available = payment.amount - payment.refunded
    if available <= 0:
        raise Conflict("this payment was refunded in full", code="nothing_to_refund")
    wanted = available if amount is None else amount
    if wanted <= 0:
        raise InvalidInput("a refund is a positive amount", code="invalid_amount")
    if wanted > available:
        raise Conflict(
            f"at most {available} NTD of this payment can be refunded",
            code="refund_exceeds_payment",
        )
    from_due = min(wanted, max(payment.refund_due - payment.refunded, 0))
    from_applied = wanted - from_due
    item = get_item(session, bill.item_code)
    if from_applied and not item.refundable:
        raise Conflict(f"{item.code} is not refundable", code="not_refundable")
    refund = Refund(payment_id=payment.id, amount=wanted, reason=reason[:500], state="completed")
    session.add(refund)
    session.flush()
    payment.refunded += wanted
    if payment.refund_due and payment.refunded >= payment.refund_due:
        payment.exception_state = ExceptionState.REFUNDED.value
    ledger.post(
        session,
        EntryKind.REFUND_PAID,
        refund.id,
        [
            ledger.debit(ledger.account(A.REFUNDS_PAYABLE, bill.department), from_due),
            ledger.debit(ledger.account(A.DEPARTMENT_REVENUE, item.code), from_applied),
            ledger.credit(ledger.account(A.PROVIDER_CLEARING, payment.provider), wanted),
        ],
    )
    webhooks.enqueue(
        session,
        [payment.provider, bill.department],
        "refund.created",
        {"refund_id": str(refund.id), "payment_id": str(payment.id), "amount": wanted},
    )
    uow.audit(
        "payments.refund.created",
        "refund",
        refund.id,
        {"payment": str(payment.id), "amount": wanted, "reason": reason[:200]},
    )
    return refund


def refunds_of(session: Session, payment_ids: Sequence[uuid.UUID]) -> Sequence[Refund]:
    """Refunds of these payments."""
    if not payment_ids:
        return []
    return session.execute(select(Refund).where(Refund.payment_id.in_(payment_ids))).scalars().all()


def exception_queue(
    session: Session, department: str | None, state: str = "open", limit: int = 500
) -> list[tuple[Payment, Bill]]:
    """Payments with money owed back, for one department (or all)."""
    query = (
        select(Payment, Bill)
        .join(Bill, Bill.id == Payment.bill_id)
        .where(Payment.exception_state == state)
        .order_by(Payment.recorded_at.desc())
        .limit(limit)
    )
    if department:
        query = query.where(Bill.department == department)
    return [(p, b) for p, b in session.execute(query).all()]


def resolve_exception(uow: UnitOfWork, payment_id: uuid.UUID, note: str) -> Payment:
    """Close an exception without a refund, with the reason written down."""
    payment = get_payment(uow.session, payment_id)
    bill = get_bill(uow.session, payment.bill_id)
    check_department(uow.actor, bill.department)
    if payment.exception_state != ExceptionState.OPEN:
        raise Conflict("this payment has no open exception", code="no_open_exception")
    payment.exception_state = ExceptionState.RESOLVED.value
    payment.exception_note = note[:500]
    uow.audit("payments.exception.resolved", "payment", payment.id, {"note": note[:200]})
    return payment


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
        day = _local_date(paid_at).isoformat()
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


def count_bills(session: Session, department: str | None) -> dict[str, int]:
    """Bills per state."""
    query = select(Bill.status, func.count()).group_by(Bill.status)
    if department:
        query = query.where(Bill.department == department)
    return {status: int(n) for status, n in session.execute(query)}
