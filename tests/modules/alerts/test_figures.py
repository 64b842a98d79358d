"""The figures the living lab's KPIs read: detections per day, share confirmed, minutes to ack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.alerts import service
from smartcity.modules.alerts.schemas import EventIn
from smartcity.modules.alerts.values import Source, Verdict
from tests.modules.alerts.conftest import PILOT, T0, event


def load_history(
    platform: Platform, pilot_device: str = "FENCE-1", other_device: str = "OTHER-1"
) -> None:
    """Five alerts of the pilot's detector in [T0, T0 + 2 days) — acknowledged after 2, 4, 10
    and 30 minutes (one never), two confirmed and one false — one before T0, one of another."""
    plan = [
        # (device, hours after T0, minutes to acknowledge, verdict)
        (pilot_device, 1, 2, Verdict.CONFIRMED),
        (pilot_device, 5, 4, Verdict.CONFIRMED),
        (pilot_device, 20, 10, Verdict.FALSE_ALARM),
        (pilot_device, 30, 30, None),
        (pilot_device, 47, None, None),
        (pilot_device, -3, 1, Verdict.FALSE_ALARM),  # before the window
        (other_device, 2, 1, Verdict.FALSE_ALARM),  # another pilot's detector
    ]
    with platform.unit_of_work(system_actor("test")) as uow:
        for number, (device, hours, minutes, verdict) in enumerate(plan):
            issued = T0 + timedelta(hours=hours)
            body = event(
                number,
                alertSource=device,
                category="security",
                subCategory="suspiciousAction",
                dateIssued=issued.isoformat(),
            )
            alert, _new = service.raise_alert(
                uow,
                EventIn.model_validate(body),
                device_id=device,
                owner=None,
                source=Source.HTTP,
                max_skew=timedelta(minutes=5),
                received_at=issued + timedelta(seconds=30),
            )
            if minutes is not None:
                seen = alert.received_at + timedelta(minutes=minutes)
                service.acknowledge(uow, alert.id, at=seen)
                if verdict is not None:
                    service.resolve(uow, alert.id, verdict, at=seen + timedelta(minutes=5))


def test_figures_over_a_pilot_s_window(platform: Platform, city: dict[str, Any]) -> None:
    load_history(platform)
    with platform.db.read_session() as session:
        figures = service.pilot_figures(session, PILOT, T0, T0 + timedelta(days=2))
    assert (figures.detections, figures.confirmed, figures.false_alarms) == (5, 2, 1)
    assert figures.detections_per_day == 2.5
    assert figures.share_confirmed == pytest.approx(200 / 3)
    assert figures.median_minutes_to_acknowledge == pytest.approx(7.0)  # of 2, 4, 10, 30
    assert figures.figure("ack_minutes") == figures.median_minutes_to_acknowledge


def test_figures_without_alerts_or_verdicts_say_none(
    platform: Platform, city: dict[str, Any]
) -> None:
    with platform.db.read_session() as session:
        empty = service.pilot_figures(session, PILOT, T0, T0 + timedelta(days=1))
    assert empty.detections_per_day == 0
    assert empty.share_confirmed is None and empty.median_minutes_to_acknowledge is None
