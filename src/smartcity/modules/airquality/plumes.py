"""Plume tracking: high-PM2.5 regions found in each slice's grid and followed over time.

A region is a connected set of grid cells at or above `threshold` (8-connectivity, at least
`min_cells`). Regions of consecutive slices are matched one-to-one by the Hungarian
algorithm on centroid distance, refusing moves faster than `max_speed_kmh`; unmatched
regions start new tracks. Speed and direction come from the track's centroid path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from smartcity.modules.airquality.geo import bearing_deg, haversine_km

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Region:
    """One high-PM2.5 region of one slice."""

    time: datetime
    latitude: float
    longitude: float
    """Concentration-weighted centroid."""
    area_km2: float
    peak: float
    mean: float


@dataclass
class Track:
    """A plume followed across slices."""

    id: int
    path: list[Region] = field(default_factory=list)

    @property
    def duration_h(self) -> float:
        """Hours from the first to the last sighting."""
        if len(self.path) < 2:
            return 0.0
        return (self.path[-1].time - self.path[0].time).total_seconds() / 3600.0

    @property
    def distance_km(self) -> float:
        """Straight-line displacement of the centroid from first to last sighting."""
        a, b = self.path[0], self.path[-1]
        return float(haversine_km(a.latitude, a.longitude, b.latitude, b.longitude))

    @property
    def speed_kmh(self) -> float:
        """Mean speed of the centroid (displacement over duration)."""
        return self.distance_km / self.duration_h if self.duration_h > 0 else 0.0

    @property
    def direction_deg(self) -> float | None:
        """Bearing the plume moves toward (0 = north, 90 = east); None if it has not moved."""
        if len(self.path) < 2 or self.distance_km < 1e-6:
            return None
        a, b = self.path[0], self.path[-1]
        return bearing_deg(a.latitude, a.longitude, b.latitude, b.longitude)

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "id": self.id,
            "start": self.path[0].time.isoformat(),
            "end": self.path[-1].time.isoformat(),
            "speed_kmh": round(self.speed_kmh, 2),
            "direction_deg": None if self.direction_deg is None else round(self.direction_deg, 1),
            "distance_km": round(self.distance_km, 3),
            "peak": round(max(r.peak for r in self.path), 1),
            "path": [
                {
                    "time": r.time.isoformat(),
                    "lat": round(r.latitude, 5),
                    "lon": round(r.longitude, 5),
                    "area_km2": round(r.area_km2, 3),
                    "peak": round(r.peak, 1),
                    "mean": round(r.mean, 1),
                }
                for r in self.path
            ],
        }


def find_regions(
    grid: FloatArray,
    lats: FloatArray,
    lons: FloatArray,
    time: datetime,
    *,
    threshold: float,
    min_cells: int = 4,
) -> list[Region]:
    """High regions of one grid (rows follow `lats`, columns `lons`)."""
    mask = np.nan_to_num(grid, nan=-np.inf) >= threshold
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=int))
    if count == 0:
        return []
    index = np.arange(1, count + 1)
    sizes = ndimage.sum_labels(mask, labels, index)
    weights = np.where(mask, grid, 0.0)
    rows = np.arange(grid.shape[0])[:, None] * np.ones_like(grid)
    cols = np.arange(grid.shape[1])[None, :] * np.ones_like(grid)
    wsum = ndimage.sum_labels(weights, labels, index)
    r_c = ndimage.sum_labels(weights * rows, labels, index) / wsum
    c_c = ndimage.sum_labels(weights * cols, labels, index) / wsum
    peaks = ndimage.maximum(grid, labels, index)
    means = wsum / sizes
    dlat = abs(float(lats[1] - lats[0])) if len(lats) > 1 else 0.0
    dlon = abs(float(lons[1] - lons[0])) if len(lons) > 1 else 0.0
    cell_km2 = (dlat * 111.195) * (dlon * 111.195 * np.cos(np.deg2rad(float(np.mean(lats)))))
    regions = []
    for i in range(count):
        if sizes[i] < min_cells:
            continue
        lat = float(np.interp(r_c[i], np.arange(len(lats)), lats))
        lon = float(np.interp(c_c[i], np.arange(len(lons)), lons))
        regions.append(
            Region(time, lat, lon, float(sizes[i] * cell_km2), float(peaks[i]), float(means[i]))
        )
    return regions


def track(slices: list[list[Region]], *, max_speed_kmh: float = 60.0) -> list[Track]:
    """Link the regions of consecutive slices into tracks."""
    tracks: list[Track] = []
    active: list[Track] = []
    next_id = 1
    for regions in slices:
        if not regions:
            active = []
            continue
        matched: dict[int, Track] = {}
        if active:
            last = [t.path[-1] for t in active]
            lat_a = np.array([r.latitude for r in last])
            lon_a = np.array([r.longitude for r in last])
            lat_b = np.array([r.latitude for r in regions])
            lon_b = np.array([r.longitude for r in regions])
            dist = haversine_km(lat_a[:, None], lon_a[:, None], lat_b[None, :], lon_b[None, :])
            hours = np.array(
                [
                    [max((r.time - p.time).total_seconds() / 3600.0, 1e-9) for r in regions]
                    for p in last
                ]
            )
            allowed = dist <= max_speed_kmh * hours
            cost = np.where(allowed, dist, 1e9)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols, strict=True):
                if allowed[r, c]:
                    matched[int(c)] = active[int(r)]
        new_active = []
        for j, region in enumerate(regions):
            found = matched.get(j)
            if found is None:
                found = Track(next_id)
                next_id += 1
                tracks.append(found)
            found.path.append(region)
            new_active.append(found)
        active = new_active
    return tracks
