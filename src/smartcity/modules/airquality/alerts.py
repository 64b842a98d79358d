"""District alerts: raised when a district's estimated PM2.5 moves into another AQI band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from smartcity.modules.airquality import aqi

# Representative points (near each district office) of Taipei's 12 districts; the estimate
# at the point stands for the district until district polygons are loaded.
TAIPEI_DISTRICTS: tuple[tuple[str, str, float, float], ...] = (
    ("zhongzheng", "中正區 Zhongzheng", 25.0324, 121.5199),
    ("datong", "大同區 Datong", 25.0633, 121.5130),
    ("zhongshan", "中山區 Zhongshan", 25.0642, 121.5330),
    ("songshan", "松山區 Songshan", 25.0500, 121.5770),
    ("daan", "大安區 Da'an", 25.0264, 121.5435),
    ("wanhua", "萬華區 Wanhua", 25.0286, 121.4970),
    ("xinyi", "信義區 Xinyi", 25.0330, 121.5654),
    ("shilin", "士林區 Shilin", 25.0925, 121.5199),
    ("beitou", "北投區 Beitou", 25.1320, 121.5010),
    ("neihu", "內湖區 Neihu", 25.0690, 121.5880),
    ("nangang", "南港區 Nangang", 25.0550, 121.6070),
    ("wenshan", "文山區 Wenshan", 24.9890, 121.5700),
)


@dataclass(frozen=True)
class BandCrossing:
    """A district's estimate entered a different AQI band."""

    district: str
    time: datetime
    pm25: float
    from_band: str | None
    to_band: str
    rising: bool


def crossings(
    districts: list[str],
    times: list[datetime],
    estimates: np.ndarray,
    previous_bands: dict[str, int] | None = None,
) -> tuple[list[BandCrossing], dict[str, int]]:
    """Band changes in districts × times estimates; returns them and each district's last band."""
    bands = aqi.band_index(estimates)
    last = dict(previous_bands or {})
    found: list[BandCrossing] = []
    for i, name in enumerate(districts):
        for j, when in enumerate(times):
            b = int(bands[i, j])
            if b < 0:
                continue
            before = last.get(name)
            if before is not None and before != b:
                found.append(
                    BandCrossing(
                        name,
                        when,
                        float(estimates[i, j]),
                        aqi.BANDS[before].key,
                        aqi.BANDS[b].key,
                        b > before,
                    )
                )
            last[name] = b
    return found, last
