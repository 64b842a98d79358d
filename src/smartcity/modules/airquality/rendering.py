"""Grids of PM2.5 estimates, written as PNG (by hand, with zlib) and as GeoJSON isolines."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from smartcity.core.city import CityProfile
from smartcity.modules.airquality import aqi
from smartcity.modules.airquality.geo import LocalProjection
from smartcity.modules.airquality.interpolation import (
    Variogram,
    idw_from_neighbours,
    kriging_from_neighbours,
)

FloatArray = NDArray[np.float64]
Method = Literal["kriging", "idw"]


@dataclass(frozen=True)
class GridSpec:
    """A regular latitude/longitude grid; row 0 is the southern edge."""

    south: float
    west: float
    north: float
    east: float
    width: int
    height: int

    @property
    def lats(self) -> FloatArray:
        """Cell-centre latitudes, south to north."""
        step = (self.north - self.south) / self.height
        return np.asarray(self.south + step * (np.arange(self.height) + 0.5))

    @property
    def lons(self) -> FloatArray:
        """Cell-centre longitudes, west to east."""
        step = (self.east - self.west) / self.width
        return np.asarray(self.west + step * (np.arange(self.width) + 0.5))

    def bbox(self) -> list[float]:
        """[west, south, east, north] as GeoJSON writes it."""
        return [self.west, self.south, self.east, self.north]


def city_grid(city: CityProfile) -> GridSpec:
    """The city's map extent at its map size (the default map)."""
    extent, (width, height) = city.extent, city.map_cells
    return GridSpec(extent.south, extent.west, extent.north, extent.east, width, height)


def estimate_grid(
    lat: FloatArray,
    lon: FloatArray,
    values: FloatArray,
    spec: GridSpec,
    *,
    method: Method = "kriging",
    variogram: Variogram | None = None,
    k: int = 16,
    max_distance_km: float | None = 10.0,
) -> FloatArray:
    """Estimates on every cell of `spec` (height × width); NaN beyond `max_distance_km`."""
    ok = ~np.isnan(values)
    lat, lon, z = lat[ok], lon[ok], values[ok]
    out = np.full((spec.height, spec.width), np.nan)
    if len(z) == 0:
        return out
    proj = LocalProjection.around(lat, lon)
    xy = proj.forward(lat, lon)
    glat, glon = np.meshgrid(spec.lats, spec.lons, indexing="ij")
    query = proj.forward(glat.ravel(), glon.ravel())
    tree = cKDTree(xy)
    inside = np.ones(len(query), dtype=bool)
    if max_distance_km is not None:
        # Cells far from every device (the sea) stay empty and cost one cheap query.
        nearest, _ = tree.query(query, k=1, distance_upper_bound=max_distance_km, workers=-1)
        inside = np.isfinite(nearest)
    kk = min(k, len(z))
    dist, idx = tree.query(query[inside], k=kk, workers=-1)
    dist = np.asarray(dist, dtype=float).reshape(-1, kk)
    idx = np.asarray(idx, dtype=np.intp).reshape(-1, kk)
    if method == "idw":
        est = idw_from_neighbours(z, dist, idx, 2.0)
    else:
        var = max(float(np.var(z)), 1e-6)
        vg = variogram or Variogram("exponential", 0.3 * var, 0.7 * var, 20.0)
        est, _ = kriging_from_neighbours(xy, z, dist, idx, vg)
    flat = out.reshape(-1)
    flat[inside] = est
    return out


# -- PNG ------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_rgba(rgba: NDArray[np.uint8]) -> bytes:
    """Encode an (h, w, 4) uint8 image as PNG (RFC 2083: 8-bit RGBA, filter 0, one IDAT)."""
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)
    raw[:, 1:] = rgba.reshape(h, w * 4)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


_PALETTE = np.array([aqi.colour_rgb(b.index) for b in aqi.BANDS], dtype=np.uint8)


def colourise(grid: FloatArray, alpha: int = 170) -> NDArray[np.uint8]:
    """AQI band colours of a south-to-north grid, flipped so that north is up; NaN transparent."""
    bands = aqi.band_index(grid)[::-1]
    rgba = np.zeros((*bands.shape, 4), dtype=np.uint8)
    valid = bands >= 0
    rgba[valid, :3] = _PALETTE[bands[valid]]
    rgba[valid, 3] = alpha
    return rgba


def render_png(grid: FloatArray, alpha: int = 170) -> bytes:
    """The PNG of a grid coloured by AQI band."""
    return png_rgba(colourise(grid, alpha))


# -- contours -----------------------------------------------------------------------

# Marching squares. Corner bits: 1 top-left, 2 top-right, 4 bottom-right, 8 bottom-left
# ("top" = lower row index); edges 0 top, 1 right, 2 bottom, 3 left. Saddles (5, 10) are
# resolved by separating the corners that are above the level.
_SEGMENTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((0, 3),),
    2: ((0, 1),),
    3: ((3, 1),),
    4: ((1, 2),),
    5: ((0, 3), (1, 2)),
    6: ((0, 2),),
    7: ((3, 2),),
    8: ((2, 3),),
    9: ((0, 2),),
    10: ((0, 1), (2, 3)),
    11: ((1, 2),),
    12: ((3, 1),),
    13: ((0, 1),),
    14: ((0, 3),),
}


def isoline_segments(grid: FloatArray, level: float) -> FloatArray:
    """Segments (m, 2, 2) of (row, col) fractional positions where `grid` crosses `level`."""
    tl, tr = grid[:-1, :-1], grid[:-1, 1:]
    bl, br = grid[1:, :-1], grid[1:, 1:]
    valid = ~(np.isnan(tl) | np.isnan(tr) | np.isnan(bl) | np.isnan(br))
    case = (
        (tl >= level).astype(np.int8)
        | (tr >= level).astype(np.int8) << 1
        | (br >= level).astype(np.int8) << 2
        | (bl >= level).astype(np.int8) << 3
    )
    case[~valid] = 0

    def frac(a: FloatArray, b: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (level - a) / (b - a)
        return np.asarray(np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0))

    rows_i, cols_i = np.indices(case.shape)
    rows = rows_i.astype(np.float64)
    cols = cols_i.astype(np.float64)
    edge_points: Any = (
        (rows, cols + frac(tl, tr)),  # top
        (rows + frac(tr, br), cols + 1),  # right
        (rows + 1, cols + frac(bl, br)),  # bottom
        (rows + frac(tl, bl), cols),  # left
    )
    out = []
    for c, segs in _SEGMENTS.items():
        mask = case == c
        if not mask.any():
            continue
        for e1, e2 in segs:
            p1 = np.stack([edge_points[e1][0][mask], edge_points[e1][1][mask]], axis=-1)
            p2 = np.stack([edge_points[e2][0][mask], edge_points[e2][1][mask]], axis=-1)
            out.append(np.stack([p1, p2], axis=1))
    if not out:
        return np.empty((0, 2, 2))
    return np.concatenate(out).astype(float)


def _chain(segments: FloatArray) -> list[list[tuple[float, float]]]:
    """Join segments that share end points into polylines."""

    def key(p: FloatArray) -> tuple[float, float]:
        return (round(float(p[0]), 6), round(float(p[1]), 6))

    ends: dict[tuple[float, float], list[int]] = {}
    for i, seg in enumerate(segments):
        ends.setdefault(key(seg[0]), []).append(i)
        ends.setdefault(key(seg[1]), []).append(i)
    used = np.zeros(len(segments), dtype=bool)
    lines = []
    for start in range(len(segments)):
        if used[start]:
            continue
        used[start] = True
        line = [key(segments[start][0]), key(segments[start][1])]
        for forward in (True, False):
            while True:
                tip = line[-1] if forward else line[0]
                nxt = next((j for j in ends.get(tip, []) if not used[j]), None)
                if nxt is None:
                    break
                used[nxt] = True
                a, b = key(segments[nxt][0]), key(segments[nxt][1])
                other = b if a == tip else a
                if forward:
                    line.append(other)
                else:
                    line.insert(0, other)
        lines.append(line)
    return lines


def contours_geojson(
    grid: FloatArray, spec: GridSpec, levels: FloatArray | None = None
) -> dict[str, Any]:
    """A FeatureCollection with one MultiLineString per level (AQI band edges by default)."""
    levels = aqi.BREAKPOINTS if levels is None else levels
    lat_step = (spec.north - spec.south) / spec.height
    lon_step = (spec.east - spec.west) / spec.width
    features = []
    for level in levels:
        segments = isoline_segments(grid, float(level))
        if len(segments) == 0:
            continue
        lines = []
        for line in _chain(segments):
            coords = [
                [
                    round(spec.west + (c + 0.5) * lon_step, 6),
                    round(spec.south + (r + 0.5) * lat_step, 6),
                ]
                for r, c in line
            ]
            lines.append(coords)
        band = aqi.band_of(float(level))
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "level": float(level),
                    "band": band.key if band else None,
                    "colour": band.colour if band else None,
                },
                "geometry": {"type": "MultiLineString", "coordinates": lines},
            }
        )
    return {"type": "FeatureCollection", "bbox": spec.bbox(), "features": features}
