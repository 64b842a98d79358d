"""opendata: a CKAN-compatible catalogue of the datasets every module publishes."""

from smartcity.modules.opendata.manifest import manifest

__all__ = ["manifest"]
