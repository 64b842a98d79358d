"""parking: roadside bays sensed over LoRaWAN, live free-bay feeds, fees billed from the sensors."""

from smartcity.modules.parking.manifest import manifest

__all__ = ["manifest"]
