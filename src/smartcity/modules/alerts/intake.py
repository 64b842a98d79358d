"""Taking an event from a device, over HTTP or MQTT alike.

An event is parsed, checked and stored in one unit of work. If anything refuses it, that
unit of work rolls back and a second one keeps the body as a dead letter with the reason,
so that nothing a device sent is lost without an officer being able to see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError

from smartcity.core import jsonbody
from smartcity.core.auth import Principal
from smartcity.core.errors import DomainError
from smartcity.core.platform import Platform
from smartcity.modules.alerts import service
from smartcity.modules.alerts.errors import EventTooLarge, EventUnreadable, InvalidEvent
from smartcity.modules.alerts.runtime import alerts_settings
from smartcity.modules.alerts.schemas import AlertOut, EventIn
from smartcity.modules.alerts.values import Source


@dataclass(frozen=True)
class Taken:
    """A stored event: the alert, and whether this delivery stored it (False: a replay)."""

    alert: AlertOut
    created: bool


def parse_event(raw: bytes, max_body: int, max_data: int) -> EventIn:
    """The event in `raw`, or the domain error that says what is wrong with it."""
    if len(raw) > max_body:
        raise EventTooLarge(f"the event is larger than {max_body} bytes")
    found = jsonbody.problem(raw)
    if found is not None:
        raise EventUnreadable(found.detail)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise EventUnreadable("the body is not JSON") from None
    if not isinstance(document, dict):
        raise EventUnreadable("the event is a JSON object")
    try:
        event = EventIn.model_validate(document)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        where = ".".join(errors[0]["loc"])
        message = str(errors[0]["msg"])
        raise InvalidEvent(f"{where}: {message}" if where else message, errors=errors) from None
    size = len(json.dumps(event.data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > max_data:
        raise EventTooLarge(f"data (the detector's output) is larger than {max_data} bytes")
    return event


def _device_named(event: EventIn, topic_device: str | None) -> str:
    if topic_device is None:
        if not event.alert_source:
            raise InvalidEvent("alertSource names the detector", code="alert_source_missing")
        return event.alert_source
    if event.alert_source and event.alert_source != topic_device:
        raise InvalidEvent(
            f"alertSource {event.alert_source} is not the topic's device {topic_device}",
            code="alert_source_mismatch",
        )
    return topic_device


def _claimed_device(raw: bytes) -> str:
    """The alertSource a refused body names, if any: the dead letter's device."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    claimed = document.get("alertSource") if isinstance(document, dict) else None
    return claimed[:64] if isinstance(claimed, str) else ""


def _printable(raw: bytes, limit: int) -> str:
    # PostgreSQL text holds no NUL; an undecodable byte becomes U+FFFD.
    text = raw[: limit * 4].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text[:limit]


def take_event(
    platform: Platform,
    actor: Principal,
    raw: bytes,
    *,
    source: Source,
    owner: str | None,
    sender: str,
    topic_device: str | None = None,
    request_id: str | None = None,
) -> Taken:
    """Store the event in `raw` from `sender`, whose detectors are `owner`'s (None: any).

    Refused: the error is raised after the body was kept as a dead letter.
    """
    settings = alerts_settings(platform)
    device_id = topic_device or ""
    try:
        if topic_device == "":
            raise InvalidEvent(
                "the topic names no device: publish to alerts/<device id>/events",
                code="alert_topic_invalid",
            )
        event = parse_event(raw, settings.max_body_bytes, settings.max_data_bytes)
        device_id = _device_named(event, topic_device)
        with platform.unit_of_work(actor, request_id) as uow:
            alert, created = service.raise_alert(
                uow,
                event,
                device_id=device_id,
                owner=owner,
                source=source,
                max_skew=timedelta(seconds=settings.max_clock_skew_s),
            )
            return Taken(AlertOut.of(alert, device_id), created)
    except DomainError as refused:
        with platform.unit_of_work(actor, request_id) as uow:
            service.keep_dead_letter(
                uow,
                source=source,
                sender=sender,
                device_id=device_id or _claimed_device(raw[: settings.max_body_bytes]),
                owner=owner,
                code=refused.code,
                reason=refused.detail,
                payload=_printable(raw, settings.dead_letter_chars),
            )
        raise
