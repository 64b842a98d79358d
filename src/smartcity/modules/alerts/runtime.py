"""Per-platform objects of the alerts module: its settings."""

from __future__ import annotations

from smartcity.core.platform import Platform
from smartcity.modules.alerts.settings import AlertsSettings


def alerts_settings(platform: Platform) -> AlertsSettings:
    """This platform's alerts settings (defaults when the module was not set up)."""
    found = platform.module_settings.get("alerts")
    return found if isinstance(found, AlertsSettings) else AlertsSettings()
