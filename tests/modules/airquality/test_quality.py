"""The ADF-style quality pass finds the faults planted in a generated network."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.modules.airquality import quality, synthetic
from smartcity.modules.airquality.quality import Flag


def _devices_with(result: quality.QualityResult, flag: Flag) -> set[int]:
    return set(np.flatnonzero((result.flags & int(flag)).any(axis=1)).tolist())


def test_planted_faults_are_found() -> None:
    net = synthetic.network(200, seed=3)
    r = quality.assess(net.lat, net.lon, net.pm25, net.temperature, net.humidity)
    assert set(np.flatnonzero(r.indoor)) == set(net.indoor)
    assert _devices_with(r, Flag.LOCAL_EMISSION) == set(net.emitting)
    assert set(net.broken) <= set(np.flatnonzero(r.malfunction))
    assert _devices_with(r, Flag.STUCK) == set(net.stuck)
    # The random-number devices lead the ranking.
    assert set(np.argsort(r.rank)[:2]) == set(net.broken)
    # Emitting devices are not called broken.
    assert not r.malfunction[net.emitting].any()


def test_clean_network_has_few_flags() -> None:
    net = synthetic.network(150, seed=5, faults=False)
    r = quality.assess(net.lat, net.lon, net.pm25, net.temperature, net.humidity)
    assert not r.malfunction.any()
    assert not r.indoor.any()
    assert np.count_nonzero(r.flags) / r.flags.size < 0.01


def test_per_reading_checks() -> None:
    lat = np.array([25.0, 25.001, 25.002, 25.003])
    lon = np.array([121.5, 121.5, 121.501, 121.502])
    pm = np.tile(np.arange(20.0, 40.0), (4, 1))
    pm[0, 5] = 1500.0  # out of range
    pm[1, 10] = 200.0  # a spike
    hum = np.full_like(pm, 60.0)
    hum[2, 3] = 98.0  # saturated
    temp = np.full_like(pm, 25.0)
    params = quality.QualityParameters(stuck_slices=5)
    pm[3, 0:8] = 21.0  # stuck for 8 slices
    r = quality.assess(lat, lon, pm, temp, hum, params)
    assert r.flags[0, 5] & Flag.OUT_OF_RANGE
    assert r.flags[1, 10] & Flag.SPIKE
    assert r.flags[2, 3] & Flag.HUMIDITY_SATURATED
    assert all(r.flags[3, 0:8] & Flag.STUCK)
    assert not r.flags[3, 8] & Flag.STUCK
    assert "out_of_range" in quality.flag_names(int(r.flags[0, 5]))


def test_isolated_device_is_not_judged_spatially() -> None:
    lat = np.array([25.0, 23.0])
    lon = np.array([121.5, 120.5])
    pm = np.array([[10.0, 11.0, 12.0], [300.0, 310.0, 320.0]])
    r = quality.assess(lat, lon, pm)
    assert (r.evaluated == 0).all()
    assert not (r.flags & (Flag.SPATIAL_HIGH | Flag.SPATIAL_LOW)).any()


def test_to_slices_averages_and_gaps() -> None:
    start = np.datetime64("2024-01-01T00:00:00", "s")
    times = [
        start + np.array([0, 60, 400], dtype="timedelta64[s]"),
        np.array([], dtype="datetime64[s]"),
    ]
    values = [np.array([10.0, 20.0, 5.0]), np.array([])]
    m = quality.to_slices(times, values, start, 300, 3)
    assert m[0, 0] == 15.0 and m[0, 1] == 5.0 and np.isnan(m[0, 2])
    assert np.isnan(m[1]).all()


def test_emission_events_are_runs() -> None:
    row = np.array([0, 64, 64, 0, 64], dtype=np.uint16)
    times = np.datetime64("2024-01-01T00:00", "s") + np.arange(5) * np.timedelta64(300, "s")
    events = quality.emission_events(row, times)
    assert [e[2] for e in events] == [2, 1]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 30),
    st.one_of(st.floats(-50, 2000), st.just(float("nan"))),
    st.integers(0, 10_000),
)
def test_never_crashes_and_flags_are_known(n: int, t: int, fill: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lat = 25.0 + rng.uniform(0, 0.05, n)
    lon = 121.5 + rng.uniform(0, 0.05, n)
    pm = rng.uniform(0, 100, (n, t))
    pm[rng.random((n, t)) < 0.2] = fill
    r = quality.assess(lat, lon, pm, rng.uniform(-20, 70, (n, t)), rng.uniform(-5, 105, (n, t)))
    assert r.flags.shape == (n, t)
    known = sum(int(f) for f in Flag)
    assert not (r.flags & ~np.uint16(known)).any()
    assert sorted(r.rank.tolist()) == list(range(1, n + 1))
    assert ((r.score >= 0) & (r.score <= 1)).all()
