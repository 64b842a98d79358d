"""Small geodesy helpers: a local flat projection in kilometres, good to a few metres per city."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from smartcity.core.boundaries import EARTH_RADIUS_KM
from smartcity.core.city import current_city


class LocalProjection:
    """Equirectangular projection around a reference latitude, in kilometres."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        self._kx = np.deg2rad(1.0) * EARTH_RADIUS_KM * np.cos(np.deg2rad(self.lat0))
        self._ky = np.deg2rad(1.0) * EARTH_RADIUS_KM

    @classmethod
    def around(cls, lat: ArrayLike, lon: ArrayLike) -> LocalProjection:
        """A projection centred on the middle of the given points."""
        lat_a = np.asarray(lat, dtype=float)
        lon_a = np.asarray(lon, dtype=float)
        if lat_a.size == 0:
            return cls(*current_city().centre)
        return cls(float(np.nanmean(lat_a)), float(np.nanmean(lon_a)))

    def forward(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
        """(n, 2) array of x (east) and y (north) in km."""
        lat_a = np.asarray(lat, dtype=float)
        lon_a = np.asarray(lon, dtype=float)
        return np.stack(((lon_a - self.lon0) * self._kx, (lat_a - self.lat0) * self._ky), axis=-1)

    def inverse(self, xy: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Latitudes and longitudes of (n, 2) km coordinates."""
        pts = np.asarray(xy, dtype=float)
        return pts[..., 1] / self._ky + self.lat0, pts[..., 0] / self._kx + self.lon0


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in km (broadcasting)."""
    p1, p2 = np.deg2rad(np.asarray(lat1, float)), np.deg2rad(np.asarray(lat2, float))
    dphi = p2 - p1
    dlmb = np.deg2rad(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dl = np.deg2rad(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return float((np.rad2deg(np.arctan2(y, x)) + 360.0) % 360.0)
