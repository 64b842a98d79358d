"""livinglab's tasks for the job worker: a daily snapshot of every running pilot's live KPIs,
so that their history (the dashboard's chart, the evaluation) does not depend on someone
having entered it; the pilots of other cities read in; and the vectors matching needs, for
rows stored before it needed them."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import as_utc, city_zone, to_local, utcnow
from smartcity.modules.livinglab import kpis as kpi_values
from smartcity.modules.livinglab import semantic
from smartcity.modules.livinglab.elsewhere import import_harvested
from smartcity.modules.livinglab.models import Kpi, Measurement, Pilot
from smartcity.modules.livinglab.values import KpiSource, PilotState

SNAPSHOT_NOTE = "快照 snapshot"


def snapshot_live_kpis(platform: Platform, _payload: Any) -> None:
    """Store today's value of each running pilot's live (sensor and alerts) KPIs, once per
    city day."""
    now = utcnow()
    day_start = as_utc(datetime.combine(to_local(now).date(), time(), tzinfo=city_zone()))
    with platform.unit_of_work(system_actor("livinglab-jobs")) as uow:
        rows = uow.session.execute(
            select(Kpi, Pilot)
            .join(Pilot, Pilot.id == Kpi.pilot_id)
            .where(
                Pilot.state == PilotState.RUNNING.value,
                Kpi.source.in_((KpiSource.SENSOR.value, KpiSource.ALERTS.value)),
            )
        ).all()
        for kpi, pilot in rows:
            # A run again the same day (a retry, a second worker's lease) adds nothing.
            taken = uow.session.execute(
                select(Measurement.id).where(
                    Measurement.kpi_id == kpi.id,
                    Measurement.note == SNAPSHOT_NOTE,
                    Measurement.measured_at >= day_start,
                )
            ).first()
            value = kpi_values.value_of(uow.session, kpi, pilot)
            if taken is not None or value.current is None:
                continue
            uow.session.add(
                Measurement(kpi_id=kpi.id, measured_at=now, value=value.current, note=SNAPSHOT_NOTE)
            )
            uow.audit(
                "livinglab.kpi.snapshot",
                "pilot",
                pilot.id,
                {"kpi": str(kpi.id), "value": value.current},
            )


def import_elsewhere(platform: Platform, _payload: Any) -> None:
    """Keep the harvested cities' pilots as pilots elsewhere (see `elsewhere.py`)."""
    import_harvested(platform)


def embed_missing(platform: Platform, _payload: Any) -> None:
    """Queue the texts of challenges and proposals that have no vector yet: after an upgrade
    that matches by other texts, nobody has to remember a command."""
    with platform.unit_of_work(system_actor("livinglab-jobs")) as uow:
        semantic.request_missing(uow, platform)
