"""Data quality of low-cost PM2.5 devices, after ADF (Chen et al., IEEE IoT Journal 2018).

The input is a devices × time-slices matrix. Each reading gets a bit set of flags:

* per reading: out of range, humidity-saturated (optical counters over-read in fog), stuck
  (the same value for too long), spike (a one-slice jump that comes straight back);
* per time slice against the neighbours within `radius_km` (ADF's time-slice anomaly
  detection): readings far above or below the neighbourhood;
* per device over the window (ADF's ranking step): indoor devices (persistently below their
  neighbours), local emission events (short runs above them) and malfunctioning devices
  (anomalous most of the time), with a score that ranks every device.

Everything is vectorised: the neighbourhood statistics of all slices are three sparse
matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from smartcity.modules.airquality.geo import LocalProjection

FloatArray = NDArray[np.float64]


class Flag(IntFlag):
    """Quality flags of one reading (stored as a bit set)."""

    OUT_OF_RANGE = 1
    HUMIDITY_SATURATED = 2
    STUCK = 4
    SPIKE = 8
    SPATIAL_HIGH = 16
    SPATIAL_LOW = 32
    LOCAL_EMISSION = 64
    INDOOR = 128
    MALFUNCTION = 256


FLAG_NAMES: dict[Flag, str] = {
    Flag.OUT_OF_RANGE: "out_of_range",
    Flag.HUMIDITY_SATURATED: "humidity_saturated",
    Flag.STUCK: "stuck",
    Flag.SPIKE: "spike",
    Flag.SPATIAL_HIGH: "spatial_high",
    Flag.SPATIAL_LOW: "spatial_low",
    Flag.LOCAL_EMISSION: "local_emission",
    Flag.INDOOR: "indoor",
    Flag.MALFUNCTION: "malfunction",
}


def flag_names(bits: int) -> list[str]:
    """The names of the flags set in `bits`."""
    return [name for flag, name in FLAG_NAMES.items() if bits & flag]


@dataclass(frozen=True)
class QualityParameters:
    """Thresholds of the quality pass (defaults suit 5-minute Airbox slices)."""

    radius_km: float = 3.0
    min_neighbours: int = 3
    pm_min: float = 0.0
    pm_max: float = 1000.0
    """PMS5003 maximum of its measuring range."""
    temperature_range: tuple[float, float] = (-10.0, 60.0)
    humidity_saturated: float = 95.0
    stuck_slices: int = 12
    stuck_gap_slices: int = 2
    """Empty slices a stuck run carries across (a device reporting less often than slices)."""
    spike_abs: float = 30.0
    spike_rel: float = 1.0
    spatial_sigma: float = 3.0
    spatial_floor: float = 10.0
    spatial_rel: float = 0.5
    indoor_fraction: float = 0.6
    indoor_ratio: float = 0.6
    emission_max_fraction: float = 0.3
    malfunction_score: float = 0.4
    min_evaluated: int = 6


@dataclass(frozen=True)
class QualityResult:
    """Flags of every reading and the device summary of one window."""

    flags: NDArray[np.uint16]
    """devices × slices."""
    score: FloatArray
    """Share of evaluated readings that are anomalous and unexplained (0…1)."""
    rank: NDArray[np.int64]
    """1 = most suspicious device."""
    evaluated: NDArray[np.int64]
    """Readings compared with at least `min_neighbours` neighbours."""
    high_fraction: FloatArray
    low_fraction: FloatArray
    neighbours: NDArray[np.int64]
    indoor: NDArray[np.bool_]
    malfunction: NDArray[np.bool_]
    neighbour_mean: FloatArray
    """devices × slices: mean of the neighbours' valid readings (NaN if too few)."""

    def counts(self) -> dict[str, NDArray[np.int64]]:
        """Per device, how many readings carry each flag."""
        return {
            name: np.count_nonzero(self.flags & int(flag), axis=1)
            for flag, name in FLAG_NAMES.items()
        }


def neighbour_matrix(lat: FloatArray, lon: FloatArray, radius_km: float) -> sparse.csr_matrix:
    """Sparse 0/1 adjacency of devices within `radius_km` of each other (no self loops)."""
    n = len(lat)
    if n == 0:
        return sparse.csr_matrix((0, 0))
    xy = LocalProjection.around(lat, lon).forward(lat, lon)
    pairs = cKDTree(xy).query_pairs(radius_km, output_type="ndarray")
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))


def _run_lengths(equal_next: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For rows of "reading t equals reading t+1", the length of the run each reading is in."""
    n, t1 = equal_next.shape
    starts = np.ones((n, t1 + 1), dtype=bool)
    starts[:, 1:] = ~equal_next
    run_id = np.cumsum(starts.ravel()) - 1
    lengths = np.bincount(run_id)
    return np.asarray(lengths[run_id].reshape(n, t1 + 1))


def _held(x: FloatArray, present: NDArray[np.bool_], max_gap: int) -> FloatArray:
    """Each row's last reading carried into at most `max_gap` empty slices after it (NaN beyond)."""
    n, t = x.shape
    columns = np.broadcast_to(np.arange(t), (n, t))
    last = np.maximum.accumulate(np.where(present, columns, -1), axis=1)
    held = np.take_along_axis(x, np.maximum(last, 0), axis=1)
    return np.where((last >= 0) & (columns - last <= max_gap), held, np.nan)


def _row_median(values: FloatArray) -> FloatArray:
    """Median of each row ignoring NaN (NaN for an empty row), without warnings."""
    out = np.full(values.shape[0], np.nan)
    has = (~np.isnan(values)).any(axis=1)
    if has.any():
        out[has] = np.nanmedian(values[has], axis=1)
    return out


def assess(
    lat: FloatArray,
    lon: FloatArray,
    pm25: FloatArray,
    temperature: FloatArray | None = None,
    humidity: FloatArray | None = None,
    params: QualityParameters | None = None,
    adjacency: sparse.csr_matrix | None = None,
) -> QualityResult:
    """Run the whole quality pass over a devices × slices window."""
    p = params or QualityParameters()
    x = np.asarray(pm25, dtype=np.float64)
    n, t = x.shape
    flags = np.zeros((n, t), dtype=np.uint16)
    present = ~np.isnan(x)

    # -- per reading -----------------------------------------------------------------
    bad = present & ((x < p.pm_min) | (x > p.pm_max))
    if temperature is not None:
        temp = np.asarray(temperature, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad |= (temp < p.temperature_range[0]) | (temp > p.temperature_range[1])
    if humidity is not None:
        hum = np.asarray(humidity, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad |= (hum < 0.0) | (hum > 100.0)
            saturated = (hum >= p.humidity_saturated) & (hum <= 100.0)
        flags[saturated] |= np.uint16(Flag.HUMIDITY_SATURATED)
    flags[bad] |= np.uint16(Flag.OUT_OF_RANGE)

    if t > 1:
        # A device reporting less often than once a slice leaves empty slices between its
        # readings; a run of one value carries across such short gaps (real Airboxes report
        # every ~6 minutes, so 5-minute slices are often empty), never across an outage.
        held = _held(x, present, p.stuck_gap_slices)
        equal_next = held[:, 1:] == held[:, :-1]
        stuck = (_run_lengths(equal_next) >= p.stuck_slices) & present
        flags[stuck] |= np.uint16(Flag.STUCK)
    else:
        stuck = np.zeros_like(present)

    if t > 2:
        prev, cur, nxt = x[:, :-2], x[:, 1:-1], x[:, 2:]
        with np.errstate(invalid="ignore"):
            hi = np.fmax(prev, nxt)
            lo = np.fmin(prev, nxt)
            up = (cur - hi) > np.maximum(p.spike_abs, p.spike_rel * hi)
            down = (lo - cur) > np.maximum(p.spike_abs, p.spike_rel * cur.clip(min=0))
        spike = np.zeros((n, t), dtype=bool)
        spike[:, 1:-1] = (up | down) & ~np.isnan(prev) & ~np.isnan(nxt)
        flags[spike] |= np.uint16(Flag.SPIKE)
    else:
        spike = np.zeros_like(present)

    # -- per slice, against neighbours --------------------------------------------------
    usable = present & ~bad & ~stuck
    a = adjacency if adjacency is not None else neighbour_matrix(lat, lon, p.radius_km)
    xf = np.where(usable, x, 0.0)
    count = np.asarray(a @ usable.astype(np.float64))
    total = np.asarray(a @ xf)
    total_sq = np.asarray(a @ (xf * xf))
    enough = count >= p.min_neighbours
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(enough, total / count, np.nan)
        var = np.where(enough, total_sq / count - mean * mean, np.nan)
    sd = np.sqrt(np.clip(var, 0.0, None))
    evaluated_mask = enough & usable
    with np.errstate(invalid="ignore"):
        threshold = np.maximum(
            np.maximum(p.spatial_sigma * sd, p.spatial_floor), p.spatial_rel * mean
        )
        deviation = x - mean
        high = evaluated_mask & (deviation > threshold)
        low = evaluated_mask & (deviation < -threshold)
    flags[high] |= np.uint16(Flag.SPATIAL_HIGH)
    flags[low] |= np.uint16(Flag.SPATIAL_LOW)

    # -- per device over the window ---------------------------------------------------
    evaluated = evaluated_mask.sum(axis=1)
    safe = np.maximum(evaluated, 1)
    high_fraction = high.sum(axis=1) / safe
    low_fraction = low.sum(axis=1) / safe
    judged = evaluated >= p.min_evaluated
    # Indoor devices read persistently below their neighbours (ADF's indoor test): either
    # most slices are low outliers, or the typical ratio to the neighbourhood is small.
    # An absurd reading (near the float maximum) overflows to an infinite ratio: not indoor.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.where(evaluated_mask & (mean > 1.0), x / mean, np.nan)
    typical_ratio = _row_median(ratio)
    indoor = judged & ((low_fraction >= p.indoor_fraction) | (typical_ratio <= p.indoor_ratio))
    emission_like = judged & (high_fraction < p.emission_max_fraction)
    emission = high & emission_like[:, None]
    flags[emission] |= np.uint16(Flag.LOCAL_EMISSION)
    flags[indoor, :] |= np.uint16(Flag.INDOOR)

    # Unexplained anomalies: low readings of an indoor device and short emission events
    # are real air, not a faulty sensor.
    unexplained = (low & ~indoor[:, None]) | (high & ~emission_like[:, None])
    unexplained |= (bad | stuck | spike) & present
    n_present = np.maximum(present.sum(axis=1), 1)
    score = unexplained.sum(axis=1) / n_present
    malfunction = score >= p.malfunction_score
    flags[malfunction, :] |= np.uint16(Flag.MALFUNCTION)
    order = np.lexsort((-evaluated, -score))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    return QualityResult(
        flags=flags,
        score=score,
        rank=rank,
        evaluated=evaluated.astype(np.int64),
        high_fraction=high_fraction,
        low_fraction=low_fraction,
        neighbours=np.diff(a.indptr).astype(np.int64),
        indoor=indoor,
        malfunction=malfunction,
        neighbour_mean=mean,
    )


def to_slices(
    device_times: list[NDArray[np.datetime64]],
    device_values: list[FloatArray],
    start: np.datetime64,
    step_seconds: int,
    n_slices: int,
) -> FloatArray:
    """Average irregular per-device series into a devices × slices matrix (NaN if empty)."""
    n = len(device_times)
    if n == 0:
        return np.zeros((0, n_slices))
    lengths = np.array([len(tt) for tt in device_times])
    if lengths.sum() == 0:
        return np.full((n, n_slices), np.nan)
    times = np.concatenate(device_times).astype("datetime64[s]")
    values = np.concatenate(device_values).astype(np.float64)
    device = np.repeat(np.arange(n), lengths)
    slot = (times - start.astype("datetime64[s]")).astype(np.int64) // step_seconds
    keep = (slot >= 0) & (slot < n_slices) & ~np.isnan(values)
    flat = device[keep] * n_slices + slot[keep]
    out_sum = np.bincount(flat, weights=values[keep], minlength=n * n_slices)
    out_cnt = np.bincount(flat, minlength=n * n_slices).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((out_sum / out_cnt).reshape(n, n_slices))


def emission_events(
    flags_row: NDArray[np.uint16], slice_times: NDArray[np.datetime64]
) -> list[tuple[np.datetime64, np.datetime64, int]]:
    """Contiguous local-emission runs of one device: (first slice, last slice, slices)."""
    on = (flags_row & int(Flag.LOCAL_EMISSION)) != 0
    if not on.any():
        return []
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [
        (slice_times[s], slice_times[e], int(e - s + 1)) for s, e in zip(starts, ends, strict=True)
    ]
