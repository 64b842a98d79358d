"""The daily snapshot of live KPIs, run by the job worker's schedule."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from smartcity.core.auth import system_actor
from smartcity.core.time import utcnow
from smartcity.modules.livinglab import jobs
from smartcity.modules.livinglab.models import Measurement, Pilot
from tests.modules.livinglab.conftest import Lab
from tests.modules.livinglab.test_live_kpis import _devices


def test_a_running_pilot_s_live_kpi_is_snapshotted_once_a_day(lab: Lab) -> None:
    assert any(s.task == "livinglab.snapshot_kpis" for s in lab.platform.jobs.schedules)
    pilot = lab.pilot("running")
    since = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        row = uow.session.get(Pilot, uuid.UUID(pilot))
        assert row is not None
        row.running_since = since
        uow.audit("test.backdate", "pilot", pilot, {})
    _devices(lab, since)
    median = lab.ok(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.dot,
            {
                "name": "PM2.5 中位數",
                "target": 15,
                "direction": "lower",
                "source": "sensor",
                "statistic": "median",
                "device_ids": ["LL-T-1", "LL-T-2"],
                "quantity": "pm25",
            },
        ),
        201,
    )["id"]
    jobs.snapshot_live_kpis(lab.platform, {})
    jobs.snapshot_live_kpis(lab.platform, {})  # a retry the same day adds nothing
    with lab.platform.db.read_session() as session:
        taken = session.execute(
            select(Measurement.value, Measurement.note).where(
                Measurement.kpi_id == uuid.UUID(median)
            )
        ).all()
    assert [(value, note) for value, note in taken] == [(12.0, jobs.SNAPSHOT_NOTE)]
    history = {k["id"]: k for k in lab.ok(lab.get(f"/pilots/{pilot}/kpis"))}[median]
    assert history["current"] == 12.0
