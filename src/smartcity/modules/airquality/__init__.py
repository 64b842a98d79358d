"""airquality: data quality, calibration, maps and plume tracking over the sensor hub's readings."""

from smartcity.modules.airquality.manifest import manifest

__all__ = ["manifest"]
