"""Per-platform objects of the sensor hub: settings, the device cache, the MQTT publisher."""

from __future__ import annotations

from typing import Any

from smartcity.core.http import METRIC_COLLECTORS
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.modules.sensors.drops import DropMetrics
from smartcity.modules.sensors.ingest import DeviceRegistry
from smartcity.modules.sensors.settings import SensorsSettings


def sensors_settings(platform: Platform) -> SensorsSettings:
    """This platform's sensors settings (defaults when the module was not set up)."""
    return module_settings(platform, "sensors", SensorsSettings)


def registry_of(platform: Platform) -> DeviceRegistry:
    """The platform's device cache."""
    registry = platform.services.get("sensors.registry")
    if not isinstance(registry, DeviceRegistry):
        registry = DeviceRegistry()
        platform.services["sensors.registry"] = registry
    return registry


def publisher_of(platform: Platform) -> Any:
    """The STA MQTT publisher, if one is configured (see `mqtt.StaPublisher`)."""
    return platform.services.get("sensors.publisher")


def install(platform: Platform) -> None:
    """Wire the hub into a platform: its device cache, its metrics and, if configured, the MQTT
    publisher."""
    registry_of(platform)
    platform.services.setdefault(METRIC_COLLECTORS, []).append(DropMetrics(platform))
    settings = sensors_settings(platform)
    if settings.mqtt_broker and settings.mqtt_publish_observations:
        from smartcity.modules.sensors.mqtt import StaPublisher

        platform.services["sensors.publisher"] = StaPublisher(settings.mqtt_broker)
