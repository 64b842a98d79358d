"""Taiwan's AQI bands for PM2.5 (µg/m³) and their colours.

Breakpoints are those of the Ministry of Environment's AQI as revised in 2024 (the PM2.5
sub-index; 24-hour standard 30 µg/m³ at AQI 100). Colours are the six official AQI colours.

Checked on 2026-11-26 against public sources: the MOENV air-quality network announced the new
bands in force from 2025-01-01 (notice relayed by Tainan's Gueiren District office, 2024-12-04,
pointing to https://air.moenv.gov.tw/News/news.aspx?type=news&ID=6073), and Taichung's
published AQI table of 2025-08-29 (https://taqm.epb.taichung.gov.tw/TQAMNEWAQITABLE.aspx)
is consistent with 0–12.4 → 0–50 and 12.5–30.4 → 51–100 (e.g. PM2.5 ≈ 11 → AQI 43, ≈ 14 →
AQI 56; the pre-2025 table would give 36 and 45). The upper edges (50.4, 125.4, 225.4) could
not be confirmed from a stored public page and are kept as the 2024 revision states them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Band:
    """One AQI band: concentrations from `low` (inclusive) up to the next band's `low`."""

    index: int
    low: float
    aqi_low: int
    aqi_high: int
    key: str
    name_zh: str
    name_en: str
    colour: str
    """Hex RGB."""


BANDS: tuple[Band, ...] = (
    Band(0, 0.0, 0, 50, "good", "良好", "Good", "#00e400"),
    Band(1, 12.5, 51, 100, "moderate", "普通", "Moderate", "#ffff00"),
    Band(
        2,
        30.5,
        101,
        150,
        "sensitive",
        "對敏感族群不健康",
        "Unhealthy for sensitive groups",
        "#ff7e00",
    ),
    Band(3, 50.5, 151, 200, "unhealthy", "對所有族群不健康", "Unhealthy", "#ff0000"),
    Band(4, 125.5, 201, 300, "very_unhealthy", "非常不健康", "Very unhealthy", "#8f3f97"),
    Band(5, 225.5, 301, 500, "hazardous", "危害", "Hazardous", "#7e0023"),
)
BREAKPOINTS = np.array([b.low for b in BANDS[1:]])
"""Lower edges of bands 1…5: the contour levels of the map."""
_TOP = 500.4


def band_named(key: str) -> Band | None:
    """The band with this key (`good`, `moderate` …), for its names and colour."""
    return next((band for band in BANDS if band.key == key), None)


def band_index(pm25: ArrayLike) -> NDArray[np.int64]:
    """The band index (0…5) of each concentration; -1 for NaN."""
    values = np.asarray(pm25, dtype=float)
    # Concentrations are reported to 0.1 µg/m³; 12.45 rounds into band 0 as the table intends.
    idx = np.searchsorted(BREAKPOINTS, np.round(values, 1), side="right")
    return np.where(np.isnan(values), -1, idx).astype(np.int64)


def band_of(pm25: float | None) -> Band | None:
    """The band of one concentration (None for a missing value)."""
    if pm25 is None or not np.isfinite(pm25):
        return None
    return BANDS[int(band_index(pm25))]


def sub_index(pm25: float) -> int:
    """The PM2.5 AQI sub-index by linear interpolation inside the band."""
    band = band_of(pm25)
    if band is None:
        return -1
    high = BANDS[band.index + 1].low - 0.1 if band.index + 1 < len(BANDS) else _TOP
    c = min(round(pm25, 1), _TOP)
    aqi = band.aqi_low + (band.aqi_high - band.aqi_low) * (c - band.low) / (high - band.low)
    return round(aqi)


def colour_rgb(index: int) -> tuple[int, int, int]:
    """RGB of a band index."""
    h = BANDS[index].colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
