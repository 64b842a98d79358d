"""Every query of airquality's own tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smartcity.modules.airquality.models import (
    Calibration,
    DayPass,
    DeviceHealth,
    DistrictAlert,
    LateDay,
    PlumeTrack,
    SliceFlags,
)


def replace_flags(
    session: Session, start: datetime, end: datetime, rows: Sequence[dict[str, Any]]
) -> None:
    """Drop the window's flags and store `rows` (bulk, in chunks)."""
    session.execute(
        delete(SliceFlags).where(SliceFlags.slice_start >= start, SliceFlags.slice_start < end)
    )
    for offset in range(0, len(rows), 5000):
        session.execute(insert(SliceFlags), list(rows[offset : offset + 5000]))


def replace_health(session: Session, day: date, rows: Sequence[dict[str, Any]]) -> None:
    """Drop the day's health summaries and store `rows`."""
    session.execute(delete(DeviceHealth).where(DeviceHealth.day == day))
    if rows:
        session.execute(insert(DeviceHealth), list(rows))


def health_day(session: Session, day: date) -> date | None:
    """The newest day at or before `day` with health summaries."""
    found = session.execute(
        select(func.max(DeviceHealth.day)).where(DeviceHealth.day <= day)
    ).scalar()
    return found if isinstance(found, date) else None


def health_of_day(session: Session, day: date) -> list[DeviceHealth]:
    """Every device's summary of `day`, most suspicious first."""
    return list(
        session.execute(
            select(DeviceHealth).where(DeviceHealth.day == day).order_by(DeviceHealth.rank)
        ).scalars()
    )


def health_history(session: Session, device_id: str, limit: int = 14) -> list[DeviceHealth]:
    """A device's summaries, newest first."""
    return list(
        session.execute(
            select(DeviceHealth)
            .where(DeviceHealth.device_id == device_id)
            .order_by(DeviceHealth.day.desc())
            .limit(limit)
        ).scalars()
    )


def recent_flags(session: Session, device_id: str, limit: int = 50) -> list[SliceFlags]:
    """A device's newest flagged slices."""
    return list(
        session.execute(
            select(SliceFlags)
            .where(SliceFlags.device_id == device_id)
            .order_by(SliceFlags.slice_start.desc())
            .limit(limit)
        ).scalars()
    )


def excluded_devices(session: Session, day: date) -> set[str]:
    """Devices judged malfunctioning or indoor on the newest assessed day up to `day`."""
    found = health_day(session, day)
    if found is None:
        return set()
    return set(
        session.execute(
            select(DeviceHealth.device_id).where(
                DeviceHealth.day == found,
                (DeviceHealth.malfunction.is_(True)) | (DeviceHealth.indoor.is_(True)),
            )
        ).scalars()
    )


def upsert_calibration(session: Session, values: dict[str, Any]) -> Calibration:
    """Store (or replace) the model of one station for one day."""
    row = session.execute(
        select(Calibration).where(
            Calibration.day == values["day"], Calibration.station_id == values["station_id"]
        )
    ).scalar_one_or_none()
    if row is None:
        row = Calibration(**values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    return row


def calibrations_for(session: Session, day: date) -> list[Calibration]:
    """The models in force on `day`: those of the newest calibrated day at or before it."""
    newest = session.execute(
        select(func.max(Calibration.day)).where(Calibration.day <= day)
    ).scalar()
    if newest is None:
        return []
    return list(
        session.execute(
            select(Calibration).where(Calibration.day == newest).order_by(Calibration.station_id)
        ).scalars()
    )


def replace_tracks(session: Session, day: date, rows: Iterable[dict[str, Any]]) -> None:
    """Drop the day's plume tracks and store `rows`."""
    session.execute(delete(PlumeTrack).where(PlumeTrack.day == day))
    rows = list(rows)
    if rows:
        session.execute(insert(PlumeTrack), rows)


def tracks_of(session: Session, day: date | None) -> tuple[date | None, list[PlumeTrack]]:
    """The plume tracks of `day` (the newest tracked day when None)."""
    if day is None:
        day = session.execute(select(func.max(PlumeTrack.day))).scalar()
        if day is None:
            return None, []
    rows = session.execute(
        select(PlumeTrack).where(PlumeTrack.day == day).order_by(PlumeTrack.track_no)
    ).scalars()
    return day, list(rows)


def replace_alerts(
    session: Session, start: datetime, end: datetime, rows: Iterable[dict[str, Any]]
) -> None:
    """Drop the window's alerts and store `rows`."""
    session.execute(
        delete(DistrictAlert).where(DistrictAlert.time >= start, DistrictAlert.time < end)
    )
    rows = list(rows)
    if rows:
        session.execute(insert(DistrictAlert), rows)


def last_bands(session: Session, before: datetime) -> dict[str, str]:
    """Each district's band after its newest alert before `before`."""
    newest = (
        select(DistrictAlert.district, func.max(DistrictAlert.time).label("t"))
        .where(DistrictAlert.time < before)
        .group_by(DistrictAlert.district)
        .subquery()
    )
    rows = session.execute(
        select(DistrictAlert.district, DistrictAlert.to_band).join(
            newest,
            (newest.c.district == DistrictAlert.district) & (newest.c.t == DistrictAlert.time),
        )
    )
    return {str(district): str(band) for district, band in rows.all()}


def alerts(session: Session, limit: int, district: str | None = None) -> list[DistrictAlert]:
    """The newest alerts (of one district when given)."""
    query = select(DistrictAlert).order_by(DistrictAlert.time.desc(), DistrictAlert.id.desc())
    if district:
        query = query.where(DistrictAlert.district == district)
    return list(session.execute(query.limit(limit)).scalars())


def offsets_before(session: Session, day: date, days: int = 3) -> dict[str, float]:
    """Each device's mean offset over the `days` assessed days before `day` (past only)."""
    rows = session.execute(
        select(DeviceHealth.device_id, func.avg(DeviceHealth.offset))
        .where(
            DeviceHealth.day < day,
            DeviceHealth.day >= day - timedelta(days=days),
            DeviceHealth.offset.is_not(None),
        )
        .group_by(DeviceHealth.device_id)
    )
    return {str(device): float(value) for device, value in rows if value is not None}


def record_day_pass(
    session: Session, day: date, slice_minutes: int, observations: int, assessed_at: datetime
) -> None:
    """Remember what the day's quality pass was run on (replacing the previous pass's)."""
    values = {
        "slice_minutes": slice_minutes,
        "observations": observations,
        "assessed_at": assessed_at,
    }
    _put_day(session, DayPass, day, values)


def day_pass(session: Session, day: date) -> DayPass | None:
    """What the day's newest quality pass was run on, if it ran."""
    return session.get(DayPass, day)


def mark_late_day(session: Session, day: date, marked_at: datetime) -> None:
    """Remember that readings of the ended `day` arrived at `marked_at` (once per day)."""
    _put_day(session, LateDay, day, {"marked_at": marked_at})


def _put_day(
    session: Session, table: type[DayPass] | type[LateDay], day: date, values: dict[str, Any]
) -> None:
    """Insert the row of `day`, or set `values` on it (one statement on either server)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(table)
        .values(day=day, **values)
        .on_conflict_do_update(index_elements=["day"], set_=values)
    )


def late_days(session: Session) -> list[date]:
    """The days late readings arrived for, oldest first."""
    return list(session.scalars(select(LateDay.day).order_by(LateDay.day)))


def forget_late_day(session: Session, day: date, marked_by: datetime) -> None:
    """Forget `day` unless readings marked it again after `marked_by`."""
    session.execute(delete(LateDay).where(LateDay.day == day, LateDay.marked_at <= marked_by))


def open_quality_flags() -> Select[*tuple[Any, ...]]:
    """The quality pass's flags per device and slice, as open data."""
    return select(
        SliceFlags.id.label("id"),
        SliceFlags.device_id.label("device_id"),
        SliceFlags.slice_start.label("slice_start"),
        SliceFlags.slice_seconds.label("slice_seconds"),
        SliceFlags.flags.label("flags"),
        SliceFlags.pm25.label("pm25"),
    )


def open_calibrations() -> Select[*tuple[Any, ...]]:
    """The calibrated feed's models: one per reference station and day, as open data."""
    return select(
        Calibration.id.label("id"),
        Calibration.day.label("day"),
        Calibration.station_id.label("station_id"),
        Calibration.latitude.label("latitude"),
        Calibration.longitude.label("longitude"),
        Calibration.kind.label("kind"),
        Calibration.coefficients.label("coefficients"),
        Calibration.rmse.label("rmse"),
        Calibration.raw_rmse.label("raw_rmse"),
        Calibration.n_pairs.label("n_pairs"),
        Calibration.computed_at.label("computed_at"),
    )
