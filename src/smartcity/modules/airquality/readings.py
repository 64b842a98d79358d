"""What the passes and maps read from sensors: the properties, and the Airboxes among the devices.

Readings come only from `sensors.service` (`readings`, `latest`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

import smartcity.modules.sensors.service as sensors

FloatArray = NDArray[np.float64]
Progress = Callable[[int, int], None]
"""Told (done, total) as a long pass advances."""
REFERENCE = "reference"
"""The device kind of the reference stations the Airboxes are calibrated against."""
PROPERTIES = ("pm25", "temperature", "humidity")


def no_progress(_done: int, _total: int) -> None:
    """A pass's progress when nobody watches it."""
    return None


def airboxes(series: Sequence[sensors.DeviceSeries]) -> list[sensors.DeviceSeries]:
    """The low-cost devices among `series`: every device but the reference stations."""
    return [s for s in series if s.kind != REFERENCE]
