"""KPIs measured, not claimed: where a KPI's value comes from.

A `KpiValueSource` answers for one kind of KPI. `ManualSource` reads the values
entered by hand. `SensorSource` computes the value live from the pilot's own
Things and Datastreams in the sensor hub over the pilot's running window, and
`AlertSource` from the events its detectors raised (the alerts module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.time import utcnow
from smartcity.modules.livinglab.models import Kpi, Measurement, Pilot
from smartcity.modules.livinglab.values import Direction, KpiSource, KpiStatistic

if TYPE_CHECKING:
    from smartcity.modules.alerts.service import AlertFigures


@dataclass(frozen=True)
class KpiValue:
    """A KPI's current value, its history and where they came from."""

    current: float | None
    series: list[tuple[datetime, float]]
    live: str = ""
    """For sensor KPIs: `live`, or why no live value is available."""


class KpiValueSource(Protocol):
    """Computes a KPI's value."""

    def value(self, session: Session, kpi: Kpi, pilot: Pilot) -> KpiValue:
        """The current value and series of `kpi`."""


class ManualSource:
    """Values entered by hand."""

    def value(self, session: Session, kpi: Kpi, pilot: Pilot) -> KpiValue:
        """The latest entered value and all of them."""
        rows = session.execute(
            select(Measurement)
            .where(Measurement.kpi_id == kpi.id)
            .order_by(Measurement.measured_at, Measurement.id)
        ).scalars()
        series = [(row.measured_at, row.value) for row in rows]
        return KpiValue(series[-1][1] if series else None, series)


Stats = Callable[[Session, list[int], datetime, datetime], dict[int, dict[str, Any]]]
OnlineRatio = Callable[[Session, list[int], datetime, datetime, float], float]
Readings = Callable[..., list[Any]]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class SensorSource:
    """Live values from the sensor hub over the pilot's running window.

    Built on the sensors module's public services: `datastream_stats` for KPIs linked
    to Datastreams, `thing_online_ratio` for "devices online" KPIs linked to Things,
    and `readings` for KPIs linked to device ids and a quantity. Without them (tests
    may pass none) every sensor KPI says it is pending. Snapshots stored as
    measurements make the chart's history.
    """

    def __init__(
        self,
        stats: Stats | None = None,
        online_ratio: OnlineRatio | None = None,
        readings: Readings | None = None,
    ):
        self.stats = stats
        self.online_ratio = online_ratio
        self.readings = readings

    def value(self, session: Session, kpi: Kpi, pilot: Pilot) -> KpiValue:
        """The live value (or the reason there is none) with the snapshot history."""
        history = ManualSource().value(session, kpi, pilot).series
        if self.stats is None or self.online_ratio is None or self.readings is None:
            fallback = history[-1][1] if history else None
            return KpiValue(fallback, history, "pending: the sensors module is not wired in")
        start = pilot.running_since
        if start is None:
            return KpiValue(None, history, "not running yet")
        end = pilot.running_until or utcnow()
        if kpi.statistic == KpiStatistic.ONLINE_RATIO:
            ratio = self.online_ratio(
                session, [int(i) for i in kpi.thing_ids], start, end, float(kpi.expected_interval_s)
            )
            current = round(ratio * 100, 2)
            return KpiValue(current, [*history, (end, current)], "live")
        values: list[float] = []
        if kpi.datastream_ids:
            stats = self.stats(session, [int(i) for i in kpi.datastream_ids], start, end)
            values = [
                float(s[kpi.statistic])
                for s in stats.values()
                if s.get("count") and s.get(kpi.statistic) is not None
            ]
        elif kpi.device_ids and kpi.quantity:
            for series in self.readings(session, start, end, [kpi.quantity], list(kpi.device_ids)):
                column = [float(v) for v in series.values[kpi.quantity] if v == v]  # skip NaN
                if column:
                    mid = _median(column)
                    values.append(
                        mid if kpi.statistic == KpiStatistic.MEDIAN else sum(column) / len(column)
                    )
        if not values:
            return KpiValue(None, history, "no readings in the running window")
        # Several datastreams or devices: the KPI is the median of their statistics.
        current = round(_median(values), 3)
        return KpiValue(current, [*history, (end, current)], "live")


def sensor_source() -> SensorSource:
    """The sensor source, wired to the sensors module's public services."""
    from smartcity.modules.sensors.service import (
        datastream_stats,
        readings,
        thing_online_ratio,
    )

    return SensorSource(datastream_stats, thing_online_ratio, readings)


Figures = Callable[[Session, str, datetime, datetime], "AlertFigures"]


class AlertSource:
    """Live values from the events of the pilot's detectors over its running window.

    Built on the alerts module's public service `pilot_figures` (detectors name their
    pilot); without it (tests may pass none) every alerts KPI says it is pending.
    """

    def __init__(self, figures: Figures | None = None):
        self.figures = figures

    def value(self, session: Session, kpi: Kpi, pilot: Pilot) -> KpiValue:
        """The live value (or the reason there is none) with the snapshot history."""
        history = ManualSource().value(session, kpi, pilot).series
        if self.figures is None:
            fallback = history[-1][1] if history else None
            return KpiValue(fallback, history, "pending: the alerts module is not wired in")
        start = pilot.running_since
        if start is None:
            return KpiValue(None, history, "not running yet")
        end = pilot.running_until or utcnow()
        figures = self.figures(session, str(pilot.id), start, end)
        current = figures.figure(kpi.statistic)
        if current is None:
            reason = "no verdicts yet" if figures.detections else "no alerts in the running window"
            return KpiValue(None, history, reason)
        current = round(current, 2)
        return KpiValue(current, [*history, (end, current)], "live")


def alert_source() -> AlertSource:
    """The alerts source, wired to the alerts module's public service."""
    from smartcity.modules.alerts.service import pilot_figures

    return AlertSource(pilot_figures)


def value_of(session: Session, kpi: Kpi, pilot: Pilot) -> KpiValue:
    """A KPI's value from its source."""
    source: KpiValueSource
    if kpi.source == KpiSource.SENSOR:
        source = sensor_source()
    elif kpi.source == KpiSource.ALERTS:
        source = alert_source()
    else:
        source = ManualSource()
    return source.value(session, kpi, pilot)


def meets(kpi: Kpi, value: float | None) -> bool | None:
    """Whether `value` meets the KPI's target (None without a value)."""
    if value is None:
        return None
    if kpi.direction == Direction.LOWER:
        return value <= kpi.target
    return value >= kpi.target
