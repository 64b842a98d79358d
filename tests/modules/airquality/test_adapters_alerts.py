"""Glue to sensors' results (with stand-ins), the Airbox document and district alerts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from smartcity.core.csvfile import write_csv
from smartcity.modules.airquality import adapters, alerts, calibration


@dataclass(frozen=True)
class FakeSeries:
    device_id: str
    latitude: float
    longitude: float
    times: np.ndarray
    values: dict[str, np.ndarray]


@dataclass(frozen=True)
class FakeLatest:
    device_id: str
    name: str
    latitude: float
    longitude: float
    time: datetime
    values: dict[str, float] = field(default_factory=dict)


def test_window_from_series() -> None:
    t0 = datetime(2024, 11, 2, tzinfo=UTC)
    times = np.array(["2024-11-02T00:01:00", "2024-11-02T00:06:00"], dtype="datetime64[s]")
    s = FakeSeries(
        "A",
        25.0,
        121.5,
        times,
        {"pm25": np.array([10.0, 20.0]), "humidity": np.array([50.0, np.nan])},
    )
    w = adapters.window_from_series([s], t0, 300, 3)
    assert w.device_ids == ["A"]
    assert w.pm25[0, :2].tolist() == [10.0, 20.0] and np.isnan(w.pm25[0, 2])
    assert np.isnan(w.temperature).all()
    assert w.humidity[0, 0] == 50.0


def test_airbox_document_has_exactly_the_fields() -> None:
    now = datetime(2024, 11, 2, 0, 15, 3, tzinfo=UTC)
    latest = [
        FakeLatest(
            "74DA38AF1234",
            "某國小",
            25.033,
            121.5654,
            now,
            {"pm25": 17.0, "temperature": 24.5, "humidity": 68.0},
        ),
        FakeLatest("NOPM", "x", 25.0, 121.5, now, {"temperature": 20.0}),
    ]
    model = calibration.CalibrationModel("linear", (1.0, 0.5), 1.0, 2.0, 30)
    c = adapters.calibrate_latest(latest, {"74DA38AF1234": model})
    doc = adapters.airbox_feed(latest, c, version="2024-11-02T00:20:00Z")
    assert set(doc) == {"source", "feeds", "version", "num_of_records"}
    assert doc["num_of_records"] == 1
    feed = doc["feeds"][0]
    assert list(feed) == list(adapters.AIRBOX_FIELDS)
    assert feed["s_d0"] == 17.0 and feed["c_d0"] == 9.5
    assert feed["timestamp"] == "2024-11-02T00:15:03Z"
    rows = list(csv.DictReader(io.StringIO(write_csv(adapters.AIRBOX_FIELDS, doc["feeds"]))))
    assert rows[0]["SiteName"] == "某國小" and rows[0]["c_d0"] == "9.5"


def test_district_band_crossings() -> None:
    t0 = datetime(2024, 11, 2, tzinfo=UTC)
    times = [t0 + timedelta(hours=h) for h in range(4)]
    est = np.array([[10.0, 14.0, 33.0, 20.0], [5.0, 6.0, 7.0, np.nan]])
    found, last = alerts.crossings(["daan", "xinyi"], times, est)
    assert [(c.district, c.from_band, c.to_band, c.rising) for c in found] == [
        ("daan", "good", "moderate", True),
        ("daan", "moderate", "sensitive", True),
        ("daan", "sensitive", "moderate", False),
    ]
    assert last == {"daan": 1, "xinyi": 0}
    again, _ = alerts.crossings(["xinyi"], times[:1], np.array([[40.0]]), last)
    assert again[0].to_band == "sensitive"
