"""The built-in sandbox provider: a hosted payment page and asynchronous signed callbacks.

It behaves like a real provider: the payer confirms on its page, and a moment later the
platform receives a signed callback (sometimes late, sometimes twice) at
`POST /api/v1/payments/sandbox/callbacks`, which records the payment like any provider's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core import jsonbody
from smartcity.core.auth import Principal, Role
from smartcity.core.platform import Platform
from smartcity.core.repository import get_or_404
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, receipts, service, webhooks
from smartcity.modules.payments.models import SandboxIntent
from smartcity.modules.payments.values import BillState, Channel, IntentState

CODE = "SANDBOX"
SANDBOX_PRINCIPAL = Principal(
    kind="organisation", id=CODE, role=Role.PROVIDER, name="Sandbox", organisation=CODE
)


def secret(platform: Platform) -> str:
    """The secret signing sandbox callbacks (setting, or derived from the platform's keys)."""
    configured = service.settings_of(platform).sandbox_secret
    if configured:
        return configured
    key = platform.keys.pseudonym("payments.sandbox", "callback-secret")
    return hmac.new(key.encode(), b"sandbox", hashlib.sha256).hexdigest()


def start(uow: UnitOfWork, platform: Platform, bill_id: uuid.UUID) -> SandboxIntent:
    """The payer confirmed on the hosted page: queue the callback a little later."""
    bill = service.get_bill(uow.session, bill_id)
    service.check_can_see(uow.session, uow.actor, bill)
    if bill.status != BillState.OPEN:
        raise errors.BillNotOpen(f"this bill is {bill.status}")
    if receipts.payment_on_the_way(uow.session, bill.id):
        # A second click on the hosted page must not pay the bill twice.
        raise errors.PaymentOnTheWay("a payment of this bill is on its way")
    settings = service.settings_of(platform)
    delay = random.randint(0, settings.sandbox_max_delay_ms)  # noqa: S311  # simulated latency
    intent = SandboxIntent(
        bill_id=bill.id,
        amount=bill.amount - bill.paid_amount,
        state=IntentState.PENDING.value,
        deliver_after=utcnow() + timedelta(milliseconds=delay),
    )
    uow.session.add(intent)
    uow.session.flush()
    uow.audit("payments.sandbox.started", "sandbox_intent", intent.id, {"bill": str(bill.id)})
    return intent


def callback_body(session: Session, intent: SandboxIntent) -> bytes:
    """The callback the sandbox sends for an intent."""
    bill = service.get_bill(session, intent.bill_id)
    return json.dumps(
        {
            "intent_id": str(intent.id),
            "reference": bill.write_off_number,
            "amount": intent.amount,
            "paid_at": intent.created_at.isoformat(),
        },
        sort_keys=True,
    ).encode()


def deliver_pending(platform: Platform, *, force: bool = False) -> int:
    """Send the callbacks that are due (all of them with `force`); returns how many were sent."""
    settings = service.settings_of(platform)
    session = platform.db.read_session()
    try:
        query = select(SandboxIntent).where(SandboxIntent.state == IntentState.PENDING.value)
        if not force:
            query = query.where(SandboxIntent.deliver_after <= utcnow())
        intents = session.execute(query).scalars().all()
        bodies = [(intent.id, callback_body(session, intent)) for intent in intents]
    finally:
        session.close()
    sent = 0
    for _intent_id, body in bodies:
        copies = 2 if random.random() < settings.sandbox_duplicate_rate else 1  # noqa: S311
        for _ in range(copies):
            accept_callback(platform, webhooks.sign(secret(platform), body), body)
            sent += 1
    return sent


def accept_callback(platform: Platform, signature: str | None, body: bytes) -> dict[str, Any]:
    """Verify a sandbox callback and record its payment (idempotent per intent)."""
    settings = service.settings_of(platform)
    webhooks.verify(secret(platform), signature, body, settings.webhook_tolerance_seconds)
    try:
        data = jsonbody.loads(body)
        intent_id = uuid.UUID(str(data["intent_id"]))
        reference = str(data["reference"])
        amount = int(data["amount"])
    except (ValueError, KeyError, TypeError):
        raise errors.InvalidCallback("the callback body is not a sandbox callback") from None
    with platform.unit_of_work(SANDBOX_PRINCIPAL) as uow:
        intent = get_or_404(
            uow.session,
            SandboxIntent,
            intent_id,
            code=errors.IntentNotFound.code,
            detail="no such sandbox payment",
        )
        if intent.state == IntentState.PENDING:
            intent.state = IntentState.DELIVERED.value
            uow.audit("payments.sandbox.delivered", "sandbox_intent", intent.id, {})
        created_at = intent.created_at
    view, _created = service.record_payment_retrying(
        platform,
        SANDBOX_PRINCIPAL,
        None,
        CODE,
        service.PaymentRequest(
            reference=reference,
            amount=amount,
            channel=Channel.CARD.value,
            provider_txn_id=receipts.sandbox_txn_id(intent_id),
            paid_at=created_at,
        ),
        idempotency_key=f"intent:{intent_id}",
        source="sandbox",
    )
    return view
