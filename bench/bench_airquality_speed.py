"""airquality speed: the quality pass over one day of 3,000 devices and a 500 × 500 map.

Each figure is reported against the time to merely load the same data from a SQLite file
(one SELECT into NumPy arrays), measured in the same run. Devices sit at the real Airbox
school locations from ../shared when present (random points in Taiwan otherwise).

Run: .venv/bin/python bench/bench_airquality_speed.py
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smartcity.modules.airquality import quality, rendering, synthetic  # noqa: E402

SCHOOLS = ROOT.parent / "shared" / "data" / "airbox" / "lass-airbox-schools.json"
N, SLICES, STEP = 3000, 288, 300


def positions(n: int) -> tuple[np.ndarray, np.ndarray, str]:
    rng = np.random.default_rng(0)
    if SCHOOLS.exists():
        rows = json.loads(SCHOOLS.read_text())["school"]
        pts = np.array(
            [(float(r["lat"]), float(r["lon"])) for r in rows if r.get("lat") and r.get("lon")]
        )
        pts = pts[
            (pts[:, 0] > 21.5) & (pts[:, 0] < 25.5) & (pts[:, 1] > 119.5) & (pts[:, 1] < 122.5)
        ]
        pick = rng.choice(len(pts), size=n, replace=len(pts) < n)
        jitter = rng.normal(0, 0.0005, (n, 2))
        return pts[pick, 0] + jitter[:, 0], pts[pick, 1] + jitter[:, 1], "real school locations"
    return rng.uniform(22.0, 25.3, n), rng.uniform(120.1, 121.9, n), "random points"


def best_of(fn, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    lat, lon, where = positions(N)
    net = synthetic.network(N, slices=SLICES, step_seconds=STEP, lat=lat, lon=lon)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.sqlite"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE r (device INTEGER, slot INTEGER, pm25 REAL, t REAL, h REAL)")
        dev, slot = np.indices((N, SLICES))
        con.executemany(
            "INSERT INTO r VALUES (?,?,?,?,?)",
            zip(
                dev.ravel().tolist(),
                slot.ravel().tolist(),
                net.pm25.ravel().tolist(),
                net.temperature.ravel().tolist(),
                net.humidity.ravel().tolist(),
                strict=True,
            ),
        )
        con.commit()

        def load_day() -> np.ndarray:
            rows = con.execute("SELECT device, slot, pm25, t, h FROM r").fetchall()
            return np.array(rows, dtype=np.float64)

        def load_slice() -> np.ndarray:
            rows = con.execute("SELECT device, pm25 FROM r WHERE slot = 100").fetchall()
            return np.array(rows, dtype=np.float64)

        con.execute("CREATE INDEX r_slot ON r (slot)")
        load_day_s = best_of(load_day)
        load_slice_s = best_of(load_slice)
        con.close()

    result: dict[str, quality.QualityResult] = {}

    def run_quality() -> None:
        result["r"] = quality.assess(net.lat, net.lon, net.pm25, net.temperature, net.humidity)

    quality_s = best_of(run_quality)
    spec = rendering.GridSpec(21.9, 120.0, 25.35, 122.0, 500, 500)
    z = net.pm25[:, 100]
    kriging_s = best_of(
        lambda: rendering.estimate_grid(net.lat, net.lon, z, spec, method="kriging")
    )
    idw_s = best_of(lambda: rendering.estimate_grid(net.lat, net.lon, z, spec, method="idw"))
    grid = rendering.estimate_grid(net.lat, net.lon, z, spec)
    png_s = best_of(lambda: rendering.render_png(grid))
    r = result["r"]
    print(f"devices: {N} at {where}; slices: {SLICES} × {STEP} s = {N * SLICES:,} readings")
    print(f"neighbours within 3 km: median {statistics.median(r.neighbours.tolist()):.0f}")
    print(f"load one day from SQLite:      {load_day_s:.3f} s")
    print(
        f"quality pass:                  {quality_s:.3f} s  (= {quality_s / load_day_s:.2f} × load)"
    )
    print(f"load one slice from SQLite:    {load_slice_s * 1000:.1f} ms")
    k_ratio = kriging_s / load_slice_s
    print(f"500×500 grid, kriging:         {kriging_s:.3f} s  (= {k_ratio:.0f} × load)")
    print(f"500×500 grid, IDW p=2:         {idw_s:.3f} s")
    print(f"PNG encoding of the grid:      {png_s * 1000:.1f} ms")
    print(f"malfunctioning: {int(r.malfunction.sum())}, indoor: {int(r.indoor.sum())}")


if __name__ == "__main__":
    main()
