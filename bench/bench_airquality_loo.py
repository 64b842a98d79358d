"""airquality map accuracy: leave-one-out RMSE of the default method vs IDW (p=2).

Real Airbox data of March 2017 (../shared/data/airbox/airbox-2017-03-hourly.csv.gz,
516 devices, 744 hours); skipped cleanly when absent. For each day from 2 March on, the
default method's variogram (nugget share and range) is chosen by leave-one-out RMSE on the
previous day's hours (every third hour), then every hour of the day is scored by leaving
each device out in turn — an honest out-of-sample test. IDW is scored on the same hours.
`kriging_offsets` also subtracts from every remaining device its persistent offset from its
neighbourhood, the mean leave-one-out residual of the previous three days (past only); the
left-out device's reading is compared raw, as for every other method.

Run: .venv/bin/python bench/bench_airquality_loo.py
"""

from __future__ import annotations

import csv
import gzip
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smartcity.modules.airquality import interpolation as interp  # noqa: E402
from smartcity.modules.airquality.geo import LocalProjection  # noqa: E402

OFFSET_DAYS = 3
"""Device offsets come from this many previous days."""
DATA = ROOT.parent / "shared" / "data" / "airbox" / "airbox-2017-03-hourly.csv.gz"


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    devices: dict[str, int] = {}
    hours: dict[str, int] = {}
    rows = []
    with gzip.open(DATA, "rt", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for device, when, lat, lon, pm in reader:
            d = devices.setdefault(device, len(devices))
            h = hours.setdefault(when, len(hours))
            rows.append((d, h, float(lat), float(lon), float(pm)))
    arr = np.array(rows)
    z = np.full((len(devices), len(hours)), np.nan)
    z[arr[:, 0].astype(int), arr[:, 1].astype(int)] = arr[:, 4]
    lat = np.zeros(len(devices))
    lon = np.zeros(len(devices))
    lat[arr[:, 0].astype(int)] = arr[:, 2]
    lon[arr[:, 0].astype(int)] = arr[:, 3]
    order = np.argsort(list(hours))  # ISO times sort chronologically
    return lat, lon, z[:, order]


def rmse(errors: list[np.ndarray]) -> float:
    e = np.concatenate(errors)
    return float(np.sqrt(np.mean(e[~np.isnan(e)] ** 2)))


def main() -> None:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    started = time.perf_counter()
    lat, lon, z = load()
    xy = LocalProjection(23.8, 120.9).forward(lat, lon)
    days = z.shape[1] // 24
    err = {
        "idw16": [],
        "idw_all": [],
        "kriging": [],
        "kriging_offsets": [],
        "kriging_fitted_wls": [],
    }
    chosen = []
    # LOO residuals of each past day under that day's own variogram: the device offsets of
    # day d are the mean residuals of days d-3 … d-1 (past only).
    residuals = np.full(z.shape, np.nan)
    for day in range(1, days):
        unit, _ = interp.fit_variogram_cv(xy, z[:, (day - 1) * 24 : day * 24 : 3])
        chosen.append(unit)
        past = slice(max(0, day - OFFSET_DAYS) * 24, day * 24)
        if day == 1:
            residuals[:, :24] = interp.loo_residuals(xy, z[:, :24], unit)
        offsets = interp.device_offsets(residuals[:, past])
        residuals[:, day * 24 : day * 24 + 24] = interp.loo_residuals(
            xy, z[:, day * 24 : day * 24 + 24], unit
        )
        for h in range(day * 24, day * 24 + 24):
            v = z[:, h]
            ok = ~np.isnan(v)
            p, q = xy[ok], v[ok]
            err["idw16"].append(interp.loo_idw(p, q, k=16) - q)
            err["idw_all"].append(interp.loo_idw(p, q, k=None) - q)
            err["kriging"].append(interp.loo_kriging(p, q, interp.scaled(unit, q)) - q)
            corrected = q - offsets[ok]
            err["kriging_offsets"].append(
                interp.loo_kriging(p, corrected, interp.scaled(unit, corrected)) - q
            )
            if h % 4 == 0:
                wls = interp.fit_variogram(p, q)
                err["kriging_fitted_wls"].append(interp.loo_kriging(p, q, wls) - q)
    scores = {name: rmse(e) for name, e in err.items()}
    base = min(scores["idw16"], scores["idw_all"])
    print(f"devices: {z.shape[0]}, hours scored: {len(err['idw16'])}, days: 2–{days} March 2017")
    for name, value in scores.items():
        print(f"LOO RMSE {name:20s} {value:6.3f} µg/m³   ratio to best IDW {value / base:.3f}")
    shares = sorted({(u.nugget, u.range_km) for u in chosen})
    print(f"variograms chosen (nugget share, range km): {shares}")
    print(f"elapsed {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
