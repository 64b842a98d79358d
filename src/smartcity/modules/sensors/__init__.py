"""sensors: the city's sensor hub — OGC SensorThings API v1.1, LASS/Airbox ingestion, storage."""

from smartcity.modules.sensors.manifest import manifest

__all__ = ["manifest"]
