"""What a dataset page draws of a live table: a chart of its time series and a map of its places.

Both are laid out on the server as SVG (no script, no tile server, no outside CDN): the chart
with the platform's `web.charts`, the map as the city's district outlines with the records'
points and the dataset's spatial coverage on top.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartcity.core.city import CityProfile
from smartcity.core.registry import Dataset as Registration
from smartcity.core.time import as_utc
from smartcity.web import charts

CHART_SAMPLE = 2000
"""The newest records a chart is drawn from."""
MAP_SAMPLE = 500
"""Records a map places at most."""
MAP_WIDTH = 360
EPOCH_MS_FIELD = "time_ms"
"""The sensors' convention for a reading's time as epoch milliseconds."""
NOT_VALUES = {"id", "latitude", "longitude", "year", EPOCH_MS_FIELD}
MIN_TIMES = 3
"""Fewer different times than this make no line worth drawing."""
SERIES_AT_MOST = 8
"""A text field with at most this many different values names series (a quantity, a kind)."""


def time_field(
    fields: Sequence[Mapping[str, str]], registration: Registration | None
) -> str | None:
    """The field holding each record's time: the registration's, a timestamp, or epoch ms."""
    names = {field["id"]: field["type"] for field in fields}
    if registration is not None and registration.time_column in names:
        return registration.time_column
    for name, kind in names.items():
        if kind in ("timestamp", "date"):
            return name
    return EPOCH_MS_FIELD if names.get(EPOCH_MS_FIELD) == "int" else None


def value_field(fields: Sequence[Mapping[str, str]]) -> str | None:
    """The number a chart follows: a field called `value`, else the first measured number."""
    numbers = [
        field["id"]
        for field in fields
        if field["type"] in ("int", "numeric")
        and field["id"] not in NOT_VALUES
        and not field["id"].endswith("_id")
    ]
    return "value" if "value" in numbers else next(iter(numbers), None)


def _as_time(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if field == EPOCH_MS_FIELD:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return as_utc(parsed)


def _series_field(
    records: Sequence[Mapping[str, Any]], fields: Sequence[Mapping[str, str]]
) -> str | None:
    for field in fields:
        if field["type"] != "text" or field["id"].endswith("_id"):
            continue
        kinds = {record.get(field["id"]) for record in records}
        if 1 < len(kinds) <= SERIES_AT_MOST:
            return field["id"]
    return None


@dataclass(frozen=True)
class ChartPlan:
    """What a chart follows: the time, the value, and (when records mix kinds) which kind."""

    time: str
    value: str
    series: str | None
    kind: str | None


def chart_plan(
    records: Sequence[Mapping[str, Any]],
    fields: Sequence[Mapping[str, str]],
    registration: Registration | None,
) -> ChartPlan | None:
    """How to chart these records, or None when they are not a time series of numbers."""
    time, value = time_field(fields, registration), value_field(fields)
    if time is None or value is None or not records:
        return None
    series = _series_field(records, fields)
    kind = None
    if series is not None:
        # Different kinds have different units: the chart follows the commonest one.
        kind = Counter(str(record.get(series)) for record in records).most_common(1)[0][0]
    return ChartPlan(time, value, series, kind)


def time_series(
    records: Sequence[Mapping[str, Any]], plan: ChartPlan, *, title: str
) -> charts.Chart:
    """The records' mean value at each time (several devices read at once), as a line."""
    sums: dict[datetime, list[float]] = {}
    for record in records:
        if plan.series is not None and str(record.get(plan.series)) != plan.kind:
            continue
        value = record.get(plan.value)
        try:
            at = _as_time(record.get(plan.time), plan.time)
        except (TypeError, ValueError):
            continue
        if at is None or not isinstance(value, int | float) or not math.isfinite(value):
            continue
        sums.setdefault(at, []).append(float(value))
    points = sorted((at, sum(values) / len(values)) for at, values in sums.items())
    if len(points) < MIN_TIMES:
        points = []  # a snapshot (one time per place) is no series: nothing to draw
    name = plan.value if plan.kind is None else f"{plan.value} · {plan.kind}"
    return charts.time_series([(name, points)], title=title, unit="")


@dataclass(frozen=True)
class MapPoint:
    """A record drawn on the map."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Outline:
    """A district drawn under the records."""

    name_zh: str
    name_en: str
    path: str


@dataclass(frozen=True)
class DataMap:
    """A laid-out map: the city's districts, the records' places and the dataset's coverage."""

    width: int
    height: int
    outlines: list[Outline]
    points: list[MapPoint]
    coverage: str
    """The spatial coverage polygon as an SVG path, empty if the dataset has none."""


class Projection:
    """The city's extent onto the map's pixels (equirectangular, scaled at the city's latitude)."""

    def __init__(self, city: CityProfile, width: int = MAP_WIDTH) -> None:
        extent = city.extent
        self.west, self.east = extent.west, extent.east
        self.south, self.north = extent.south, extent.north
        squeeze = math.cos(math.radians((self.south + self.north) / 2))
        self.width = width
        self.height = max(
            1, round(width * (self.north - self.south) / ((self.east - self.west) * squeeze))
        )

    def xy(self, latitude: float, longitude: float) -> tuple[float, float]:
        """Where a place is drawn."""
        x = (longitude - self.west) / (self.east - self.west) * self.width
        y = (self.north - latitude) / (self.north - self.south) * self.height
        return round(x, 1), round(y, 1)

    def path(self, rings: Sequence[Sequence[Sequence[float]]]) -> str:
        """GeoJSON rings of (longitude, latitude) as one SVG path."""
        drawn = []
        for ring in rings:
            points = [self.xy(lat, lon) for lon, lat, *_rest in ring]
            drawn.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
        return " ".join(drawn)


_OUTLINES: dict[str, list[Outline]] = {}
"""District outlines per city: the same on every page, drawn once."""


def _outlines(city: CityProfile, projection: Projection) -> list[Outline]:
    drawn = _OUTLINES.get(city.key)
    if drawn is None:
        drawn = _OUTLINES[city.key] = [
            Outline(
                district.name_zh,
                district.name_en,
                " ".join(projection.path(polygon) for polygon in district.boundary),
            )
            for district in city.districts
            if district.boundary
        ]
    return drawn


def has_places(fields: Sequence[Mapping[str, str]]) -> bool:
    """Whether the records carry a latitude and a longitude."""
    names = {field["id"] for field in fields}
    return {"latitude", "longitude"} <= names


def data_map(
    city: CityProfile,
    records: Sequence[Mapping[str, Any]],
    spatial: Mapping[str, Any] | None,
    label_field: str | None,
) -> DataMap:
    """The records inside the city as points over its districts, and the coverage outline."""
    projection = Projection(city)
    extent = city.extent
    points = []
    for record in records[:MAP_SAMPLE]:
        latitude, longitude = record.get("latitude"), record.get("longitude")
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
            continue
        if not (
            extent.south <= latitude <= extent.north and extent.west <= longitude <= extent.east
        ):
            continue
        x, y = projection.xy(latitude, longitude)
        label = str(record.get(label_field) or "") if label_field else ""
        points.append(MapPoint(x, y, label or f"{latitude:.4f}, {longitude:.4f}"))
    coverage = ""
    if spatial and spatial.get("type") == "Polygon":
        coverage = projection.path(spatial.get("coordinates") or [])
    return DataMap(
        projection.width, projection.height, _outlines(city, projection), points, coverage
    )
