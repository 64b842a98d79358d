"""KPIs computed live from the events of the pilot's detectors (the alerts module)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from smartcity.core.auth import system_actor
from smartcity.core.time import utcnow
from smartcity.modules.alerts import service as alerts
from smartcity.modules.alerts.schemas import EventIn
from smartcity.modules.alerts.values import Source, Verdict
from smartcity.modules.identity.service import ensure_organisation
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.livinglab import jobs
from smartcity.modules.livinglab.models import Measurement, Pilot
from tests.modules.livinglab.conftest import Lab


def _running_pilot_with_alerts(lab: Lab) -> str:
    """A pilot running for two days whose detector raised four events in them (acknowledged
    after 3, 5 and 9 minutes; two confirmed, one false) and one before."""
    pilot = lab.pilot("running")
    since = utcnow() - timedelta(days=2)
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        row = uow.session.get(Pilot, uuid.UUID(pilot))
        assert row is not None
        row.running_since = since
        uow.audit("test.backdate", "pilot", pilot, {})
        ensure_organisation(uow, "CAMS", OrganisationKind.DEVICE_OWNER)
        alerts.register_detector(uow, device_id="CAM-1", owner="CAMS", pilot_id=pilot)
        plan = [(-5, 1, Verdict.FALSE_ALARM), (1, 3, Verdict.CONFIRMED), (6, 5, Verdict.CONFIRMED)]
        plan += [(12, 9, Verdict.FALSE_ALARM), (30, None, None)]
        for number, (hours, minutes, verdict) in enumerate(plan):
            issued = since + timedelta(hours=hours)
            alert, _new = alerts.raise_alert(
                uow,
                EventIn.model_validate(
                    {
                        "eventId": f"e{number}",
                        "category": "security",
                        "subCategory": "suspiciousAction",
                        "severity": "medium",
                        "location": {"type": "Point", "coordinates": [121.5, 25.0]},
                        "dateIssued": issued.isoformat(),
                    }
                ),
                device_id="CAM-1",
                owner="CAMS",
                source=Source.HTTP,
                max_skew=timedelta(minutes=5),
                received_at=issued,
            )
            if minutes is not None:
                alerts.acknowledge(uow, alert.id, at=issued + timedelta(minutes=minutes))
                alerts.resolve(uow, alert.id, verdict, at=issued + timedelta(minutes=30))
    return pilot


def _declare(lab: Lab, pilot: str, statistic: str, **extra: object) -> dict[str, object]:
    body = {"name": statistic, "target": 1, "source": "alerts", "statistic": statistic}
    return lab.post(f"/pilots/{pilot}/kpis", lab.dot, {**body, **extra})  # type: ignore[no-any-return]


def test_detections_share_confirmed_and_minutes_to_acknowledge(lab: Lab) -> None:
    pilot = _running_pilot_with_alerts(lab)
    made = {
        statistic: lab.ok(_declare(lab, pilot, statistic), 201)["id"]
        for statistic in ("detections_day", "share_confirmed", "ack_minutes")
    }
    values = {k["id"]: k for k in lab.ok(lab.get(f"/pilots/{pilot}/kpis"))}
    assert {values[i]["live"] for i in made.values()} == {"live"}
    # Four events in a window of two days (and a few seconds more by now).
    assert values[made["detections_day"]]["current"] == pytest.approx(2.0, abs=0.01)
    assert values[made["share_confirmed"]]["current"] == 66.67
    assert values[made["ack_minutes"]]["current"] == 5.0


def test_an_alerts_kpi_needs_an_alerts_statistic_and_only_it_has_them(lab: Lab) -> None:
    pilot = lab.pilot("running")
    wrong = _declare(lab, pilot, "median")
    assert wrong.status_code == 422 and wrong.json()["code"] == "kpi_bad_statistic"
    sensor = _declare(lab, pilot, "ack_minutes", source="sensor", device_ids=["X"], quantity="pm25")
    assert sensor.status_code == 422 and sensor.json()["code"] == "kpi_bad_statistic"


def test_an_alerts_kpi_is_not_entered_by_hand(lab: Lab) -> None:
    pilot = lab.pilot("running")
    kpi = lab.ok(_declare(lab, pilot, "share_confirmed"), 201)["id"]
    entered = lab.post(f"/kpis/{kpi}/measurements", lab.dot, {"value": 50})
    assert entered.status_code == 409 and entered.json()["code"] == "kpi_is_live"


def test_the_daily_snapshot_keeps_an_alerts_kpi_s_value_in_its_history(lab: Lab) -> None:
    pilot = _running_pilot_with_alerts(lab)
    kpi = lab.ok(_declare(lab, pilot, "share_confirmed"), 201)["id"]
    jobs.snapshot_live_kpis(lab.platform, {})
    jobs.snapshot_live_kpis(lab.platform, {})  # a retry the same day adds nothing
    with lab.platform.db.read_session() as session:
        taken = session.execute(
            select(Measurement.value, Measurement.note).where(Measurement.kpi_id == uuid.UUID(kpi))
        ).all()
    assert [(value, note) for value, note in taken] == [(66.67, jobs.SNAPSHOT_NOTE)]
