"""alerts: events from pilot devices (acoustic crash detectors, e-fence cameras) as Alerts."""

from smartcity.modules.alerts.manifest import manifest

__all__ = ["manifest"]
