"""District alerts: raised when a district's estimated PM2.5 moves into another AQI band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from smartcity.modules.airquality import aqi


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
