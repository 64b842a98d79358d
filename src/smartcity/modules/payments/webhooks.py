"""Signed outbound webhooks and signed inbound callbacks.

Signature (Stripe's scheme): `X-Smartcity-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
t + "." + raw body)>`. Receivers refuse a `t` more than the tolerance (300 s) away from
their clock, which defeats replays. Deliveries are at least once: an outbox row is written
in the same transaction as the change, and a worker retries with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core import outbound
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors
from smartcity.modules.payments.models import (
    Provider,
    Subscriber,
    WebhookAttempt,
    WebhookDelivery,
)
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import DeliveryState

HEADER = "X-Smartcity-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(
    secret: str, header: str | None, body: bytes, tolerance: int, now: float | None = None
) -> int:
    """The signed timestamp, or NotAuthenticated explaining why the signature fails."""
    if not header:
        raise errors.SignatureMissing(f"the {HEADER} header is missing")
    parts: dict[str, list[str]] = {}
    for piece in header.split(","):
        name, _, value = piece.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise errors.SignatureInvalid("the signature has no timestamp") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise errors.SignatureExpired(f"the signature is more than {tolerance} s old (a replay?)")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise errors.SignatureInvalid("the signature does not match")
    return timestamp


def subscribe(uow: UnitOfWork, department: str, url: str, *, allow_private: bool) -> Subscriber:
    """Set a department's webhook URL (checked by core.outbound) with a new secret."""
    outbound.check_url(url, allow_private=allow_private)
    row = uow.session.get(Subscriber, department)
    if row is None:
        row = Subscriber(organisation=department, url=url, secret="")
        uow.session.add(row)
    row.url = url
    row.secret = secrets.token_hex(32)
    uow.audit("payments.subscriber.set", "subscriber", department, {"url": url})
    return row


def register_provider(
    uow: UnitOfWork,
    provider: Provider,
    *,
    channels: list[str],
    fee: int,
    webhook_url: str,
    charge_url: str,
    allow_private: bool,
) -> Provider:
    """A provider's channels, fee and URLs (each checked by core.outbound), with a new secret."""
    for url in (webhook_url, charge_url):
        if url:  # empty: no webhooks, no autopay charges
            outbound.check_url(url, allow_private=allow_private)
    provider.channels = channels
    provider.fee = fee
    provider.webhook_url = webhook_url
    provider.charge_url = charge_url
    provider.webhook_secret = secrets.token_hex(32)
    uow.audit(
        "payments.provider.registered",
        "provider",
        provider.code,
        {"channels": channels, "fee": fee},
    )
    return provider


def enqueue(session: Session, organisations: list[str], event: str, data: dict[str, Any]) -> int:
    """Queue `event` for every named organisation that has a webhook URL; returns how many."""
    with session.no_autoflush:  # lookups; nothing pending needs to be written first
        urls = {code: _endpoint_of(session, code)[0] for code in organisations}
    return enqueue_to(session, urls, event, data)


def enqueue_to(session: Session, urls: dict[str, str], event: str, data: dict[str, Any]) -> int:
    """Queue `event` for each organisation → URL already looked up (empty URL: none)."""
    queued = 0
    for code, url in urls.items():
        if not url:
            continue
        body = json.dumps(
            {"event": event, "data": data, "created_at": utcnow().isoformat()},
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        session.add(WebhookDelivery(organisation=code, url=url, event=event, body=body))
        queued += 1
    return queued


def _endpoint_of(session: Session, code: str) -> tuple[str, str]:
    """An organisation's webhook URL and the secret it verifies our signatures with: a
    department's subscription, else a provider's registration, else none ("", "")."""
    subscriber = session.get(Subscriber, code)
    if subscriber is not None:
        return subscriber.url, subscriber.secret
    provider = session.get(Provider, code)
    return (provider.webhook_url, provider.webhook_secret) if provider is not None else ("", "")


def backoff(attempts: int, base: int) -> timedelta:
    """Delay before the next attempt: base × 2^(attempts − 1), capped at six hours."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver_round(
    session: Session, settings: PaymentsSettings, *, allow_private: bool
) -> dict[str, int]:
    """`deliver_due` with the module's settings: the worker's schedule and the CLI's rounds."""
    return deliver_due(
        session,
        max_attempts=settings.webhook_max_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
        timeout=settings.webhook_timeout_seconds,
        allow_private=allow_private,
    )


def deliver_due(
    session: Session,
    *,
    max_attempts: int,
    backoff_seconds: int,
    timeout: float,
    allow_private: bool,
    now: datetime | None = None,
    limit: int = 100,
    on_attempt: Callable[[WebhookDelivery], None] | None = None,
) -> dict[str, int]:
    """Try every due delivery once; returns counts of delivered, retrying, failed and refused.

    Unless `allow_private`, a URL that leads to a non-public address is not called: the
    delivery is `refused` at once, and its log says so without any connection detail.
    """
    moment = now or utcnow()
    due = (
        session.execute(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.state == DeliveryState.PENDING.value,
                WebhookDelivery.next_attempt_at <= moment,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "refused": 0}
    with outbound.client(allow_private=allow_private, timeout=timeout) as http:
        for delivery in due:
            body = delivery.body.encode()
            headers = {
                "Content-Type": "application/json",
                HEADER: sign(_endpoint_of(session, delivery.organisation)[1], body),
                "X-Smartcity-Delivery": str(delivery.id),
                "X-Smartcity-Event": delivery.event,
            }
            status: int | None = None
            error = ""
            refused = False
            try:
                response = http.post(delivery.url, content=body, headers=headers)
                status = response.status_code
            except outbound.OutboundRefused as exc:
                refused, error = True, f"refused: {exc.code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            delivery.attempts += 1
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id, attempted_at=moment, status_code=status, error=error
                )
            )
            if refused:
                delivery.state = DeliveryState.REFUSED.value
                counts["refused"] += 1
            elif status is not None and 200 <= status < 300:
                delivery.state = DeliveryState.DELIVERED.value
                delivery.delivered_at = moment
                counts["delivered"] += 1
            elif delivery.attempts >= max_attempts:
                delivery.state = DeliveryState.FAILED.value
                counts["failed"] += 1
            else:
                delivery.next_attempt_at = moment + backoff(delivery.attempts, backoff_seconds)
                counts["retrying"] += 1
            if on_attempt:
                on_attempt(delivery)
    return counts
