"""Calibration model choice, plume tracking, AQI bands, PNG and contours."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

import numpy as np

from smartcity.core.city import load_city
from smartcity.modules.airquality import aqi, calibration, plumes, rendering, synthetic


def test_calibration_prefers_the_humidity_model_when_humidity_matters() -> None:
    rng = np.random.default_rng(0)
    hours = np.tile(np.arange(24), 6)
    truth = rng.uniform(5, 60, len(hours))
    hum = rng.uniform(40, 98, len(hours))
    temp = rng.uniform(18, 30, len(hours))
    rh = np.clip(hum, 0, 99) / 100
    raw = truth * (1 + 0.4 * rh**2 / (1 - rh)) + rng.normal(0, 0.5, len(hours))
    model, scores = calibration.choose_model(
        raw, temp, hum, truth, calibration.hourly_blocks(hours)
    )
    assert model.kind in ("hygroscopic", "linear_t_rh_interaction")
    assert model.rmse < scores["linear"]
    assert model.rmse < model.raw_rmse
    corrected = model.apply(raw, temp, hum)
    assert np.sqrt(np.mean((corrected - truth) ** 2)) < 3.0


def test_calibration_falls_back_to_identity_without_pairs() -> None:
    model, scores = calibration.choose_model(
        np.array([1.0]), np.array([20.0]), np.array([50.0]), np.array([2.0]), np.array([0])
    )
    assert model is calibration.IDENTITY and scores == {}
    out = model.apply(np.array([5.0, np.nan]), np.array([20.0, 20.0]), np.array([50.0, 50.0]))
    assert out[0] == 5.0 and np.isnan(out[1])


def test_nearest_station() -> None:
    idx, dist = calibration.nearest_station(
        np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[9.0, 0.0], [1.0, 0.0]])
    )
    assert idx.tolist() == [1, 0] and dist.tolist() == [1.0, 1.0]


def test_plume_is_tracked_with_its_drift() -> None:
    net = synthetic.network(220, slices=12, step_seconds=3600, faults=False, seed=4)
    spec = rendering.city_grid(load_city("taipei"))
    t0 = datetime(2024, 11, 2, tzinfo=UTC)
    slices = []
    for j in range(12):
        grid = rendering.estimate_grid(net.lat, net.lon, net.pm25[:, j], spec)
        slices.append(
            plumes.find_regions(grid, spec.lats, spec.lons, t0 + timedelta(hours=j), threshold=50.5)
        )
    tracks = plumes.track(slices)
    longest = max(tracks, key=lambda t: len(t.path))
    assert len(longest.path) >= 6
    # The generated plume moves north-east (bearing ≈ 48°) at about 0.75 km/h.
    assert longest.direction_deg is not None and 20 < longest.direction_deg < 80
    assert 0.3 < longest.speed_kmh < 1.5
    assert longest.as_dict()["path"]


def test_tracks_refuse_impossible_jumps() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    a = plumes.Region(t0, 25.0, 121.5, 1.0, 60, 55)
    b = plumes.Region(t0 + timedelta(hours=1), 25.9, 121.5, 1.0, 60, 55)  # 100 km in an hour
    assert len(plumes.track([[a], [b]], max_speed_kmh=60)) == 2


def test_aqi_bands() -> None:
    assert aqi.band_index([0, 12.4, 12.5, 30.4, 30.5, 50.5, 125.5, 225.5, np.nan]).tolist() == [
        0,
        0,
        1,
        1,
        2,
        3,
        4,
        5,
        -1,
    ]
    assert aqi.sub_index(12.4) == 50 and aqi.sub_index(30.4) == 100
    assert aqi.band_of(None) is None


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    w, h = size
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w * 4 + 1)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 4)


def test_png_round_trip_and_orientation() -> None:
    grid = np.array([[5.0, 40.0], [np.nan, 200.0]])  # row 0 is south
    img = _decode_png(rendering.render_png(grid))
    assert img.shape == (2, 2, 4)
    assert img[1, 0].tolist() == [0, 228, 0, 170]  # south-west: good
    assert img[0, 0, 3] == 0  # north-west: no data, transparent
    assert img[0, 1, :3].tolist() == [0x8F, 0x3F, 0x97]


def test_contours_follow_a_ramp() -> None:
    spec = rendering.GridSpec(25.0, 121.0, 25.1, 121.1, 50, 50)
    grid = np.tile(np.linspace(0, 60, 50), (50, 1))  # rising west to east
    gj = rendering.contours_geojson(grid, spec)
    levels = [f["properties"]["level"] for f in gj["features"]]
    assert levels == [12.5, 30.5, 50.5]
    line = gj["features"][0]["geometry"]["coordinates"]
    assert len(line) == 1  # one joined polyline per level
    lons = {round(p[0], 3) for p in line[0]}
    assert len(lons) == 1  # a vertical line
    assert 121.0 < lons.pop() < 121.05
