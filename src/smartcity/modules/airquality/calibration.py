"""Daily calibration of low-cost PM2.5 readings against reference stations.

For each station, hourly pairs (device reading, temperature, humidity) → station PM2.5 are
formed from the devices within `pair_radius_km`. Every candidate regression is scored by
blocked cross-validation over the previous day (contiguous blocks of hours, so a model is
never judged on the hours it was fitted to), the best is refitted on the whole day and
applied to every device whose nearest station it is: `c_d0 = model(s_d0, s_t0, s_h0)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _rh(h: FloatArray) -> FloatArray:
    return np.clip(h, 0.0, 99.0) / 100.0


# Design matrices of the candidate models: raw PM2.5 (x), temperature (t), humidity (h).
# The hygroscopic term x·RH²/(1−RH) follows κ-Köhler growth of particles in humid air.
CANDIDATES: dict[str, Callable[[FloatArray, FloatArray, FloatArray], FloatArray]] = {
    "linear": lambda x, t, h: np.column_stack([np.ones_like(x), x]),
    "linear_t_rh": lambda x, t, h: np.column_stack([np.ones_like(x), x, t, h]),
    "linear_t_rh_interaction": lambda x, t, h: np.column_stack(
        [np.ones_like(x), x, t, h, x * h / 100.0]
    ),
    "hygroscopic": lambda x, t, h: np.column_stack(
        [np.ones_like(x), x, t, x * _rh(h) ** 2 / (1.0 - _rh(h))]
    ),
}
"""Candidate regressions by name; each maps (raw, temperature, humidity) to features."""


@dataclass(frozen=True)
class CalibrationModel:
    """One fitted regression: c_d0 = features(raw, t, h) · coefficients."""

    kind: str
    coefficients: tuple[float, ...]
    rmse: float
    """Cross-validated RMSE on the day it was chosen by (µg/m³)."""
    raw_rmse: float
    """RMSE of the uncorrected readings on the same pairs."""
    n_pairs: int

    def apply(self, raw: FloatArray, temperature: FloatArray, humidity: FloatArray) -> FloatArray:
        """Corrected PM2.5 (never negative); NaN where an input is missing."""
        x = np.asarray(raw, dtype=float)
        t = np.asarray(temperature, dtype=float)
        h = np.asarray(humidity, dtype=float)
        x, t, h = np.broadcast_arrays(x, t, h)
        ok = ~(np.isnan(x) | np.isnan(t) | np.isnan(h))
        out = np.full(x.shape, np.nan)
        if ok.any():
            design = CANDIDATES[self.kind](x[ok], t[ok], h[ok])
            out[ok] = np.maximum(design @ np.asarray(self.coefficients), 0.0)
        return out


IDENTITY = CalibrationModel("linear", (0.0, 1.0), float("nan"), float("nan"), 0)
"""Used where no station has enough pairs: c_d0 = s_d0."""


def _fit(design: FloatArray, y: FloatArray) -> FloatArray:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return np.asarray(coef)


def blocked_cv_rmse(
    kind: str, x: FloatArray, t: FloatArray, h: FloatArray, y: FloatArray, blocks: NDArray[np.int64]
) -> float:
    """RMSE of `kind` predicting each block from a fit on the other blocks."""
    build = CANDIDATES[kind]
    design = build(x, t, h)
    sq = 0.0
    count = 0
    for b in np.unique(blocks):
        test = blocks == b
        train = ~test
        if train.sum() <= design.shape[1]:
            continue
        coef = _fit(design[train], y[train])
        sq += float(np.sum((design[test] @ coef - y[test]) ** 2))
        count += int(test.sum())
    return float(np.sqrt(sq / count)) if count else float("inf")


def choose_model(
    x: FloatArray,
    t: FloatArray,
    h: FloatArray,
    y: FloatArray,
    blocks: NDArray[np.int64],
    *,
    min_pairs: int = 12,
) -> tuple[CalibrationModel, dict[str, float]]:
    """The candidate with the lowest blocked-CV RMSE, refitted on all pairs, and every score."""
    ok = ~(np.isnan(x) | np.isnan(t) | np.isnan(h) | np.isnan(y))
    x, t, h, y, blocks = x[ok], t[ok], h[ok], y[ok], blocks[ok]
    raw_rmse = float(np.sqrt(np.mean((x - y) ** 2))) if len(y) else float("nan")
    if len(y) < min_pairs or len(np.unique(blocks)) < 2:
        return IDENTITY, {}
    scores = {kind: blocked_cv_rmse(kind, x, t, h, y, blocks) for kind in CANDIDATES}
    best = min(scores, key=lambda k: scores[k])
    if not np.isfinite(scores[best]):
        return IDENTITY, scores
    coef = _fit(CANDIDATES[best](x, t, h), y)
    model = CalibrationModel(best, tuple(float(c) for c in coef), scores[best], raw_rmse, len(y))
    return model, scores


def hourly_blocks(hours: NDArray[np.int64], n_blocks: int = 4) -> NDArray[np.int64]:
    """Assign hours of a day (0…23) to `n_blocks` contiguous blocks."""
    return np.asarray(np.clip(hours * n_blocks // 24, 0, n_blocks - 1), dtype=np.int64)


def nearest_station(
    device_xy: FloatArray, station_xy: FloatArray
) -> tuple[NDArray[np.int64], FloatArray]:
    """Index of, and distance (km) to, the nearest station of each device."""
    from scipy.spatial import cKDTree

    if len(station_xy) == 0:
        return np.full(len(device_xy), -1, dtype=np.int64), np.full(len(device_xy), np.inf)
    dist, idx = cKDTree(station_xy).query(device_xy, k=1)
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)
